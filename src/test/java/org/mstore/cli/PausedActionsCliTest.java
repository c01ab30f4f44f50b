package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pausing and resuming one action from the command line, one process per command: {@code impurge --pause} holds its
 * entries back for every later impurge, {@code --status} shows it, {@code --resume} lets them run.
 */
class PausedActionsCliTest {
    @TempDir
    static Path dir;
    static Cli cli;
    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        cli = new Cli(dir);
    }

    private Path store() {
        Path store = tmp.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", "user/alice").ok();
        return store;
    }

    @Test
    void a_paused_action_waits_through_impurge_until_it_is_resumed() throws Exception {
        Path store = store();
        assertThat(cli.on(store, "impurge", "--pause", "clean").ok().out()).isEqualTo("impurge: paused Clean; paused now: Clean\n");
        cli.on(store, "msconfig", "set", "store.cleanupsize", "1").ok();
        java.util.List<String> append = new java.util.ArrayList<>(java.util.List.of("client", "append", "user/alice"));
        append.addAll(Mail.messageFiles(tmp.resolve("in"), 3));
        append.addAll(java.util.List.of("--store", store.toString()));
        cli.run(append).ok();
        cli.on(store, "client", "delete", "user/alice", "1:3").ok();
        cli.on(store, "client", "expunge", "user/alice").ok(); // Expunged 3 > 1: a Clean is queued

        cli.on(store, "impurge", "--exit-when-empty", "--quiet").ok();
        assertThat(cli.on(store, "imcheck", "-q").ok().outLines()).anyMatch(l -> l.contains("user/alice") && l.endsWith("Clean"));
        assertThat(cli.on(store, "impurge", "--status").ok().outLines())
                .anyMatch(l -> l.matches("Clean +paused +1 .*"))
                .anyMatch(l -> l.matches("Repair +running +0 .*"))
                .anyMatch(l -> l.startsWith("(finished and waits over the last"))
                .anyMatch(l -> l.matches("Disk: [0-9,]+ bytes free of [0-9,]+; impurge's reserve of [0-9,]+ bytes \\(.*/mboxlist/reserve\\) is held"));

        assertThat(cli.on(store, "impurge", "--resume", "all").ok().out()).contains("paused now: none");
        cli.on(store, "impurge", "--exit-when-empty", "--quiet").ok();
        assertThat(cli.on(store, "imcheck", "-q").ok().outLines()).noneMatch(l -> l.endsWith("Clean"));
    }

    @Test
    void pausing_an_action_that_does_not_exist_fails_in_one_line_and_changes_nothing() {
        Path store = store();
        Cli.Result r = cli.on(store, "impurge", "--pause", "Purge,Expunge").failsWith(1, "--pause: 'Expunge' is not an action");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(cli.on(store, "msconfig", "get", "store.purge.paused").ok().out().strip()).isEmpty();
    }
}
