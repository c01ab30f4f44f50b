package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message that a Repair could not tell expunged from live is held back, not served, and kept until an administrator
 * decides. {@code migrate} would carry it as expunged, and the Cassandra store's Purge deletes expunged mail once
 * store.cleanupage has passed: so migrate refuses such a source, naming the messages and the ways on, before it makes or
 * reaches anything of the target. (No Cassandra node is needed: the refusal comes first; past it, the unreachable
 * contact point given here is what stops the command.)
 */
class MigrateUndecidedCliTest {
    static final String BOX = "user/alice";
    @TempDir
    Path dir;

    @Test
    void migrate_refuses_a_source_holding_messages_a_repair_could_not_tell_expunged_from_live() throws Exception {
        Cli cli = new Cli(dir);
        Path store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", BOX).ok();
        List<String> append = new ArrayList<>(List.of("client", "append", BOX));
        append.addAll(Mail.messageFiles(dir.resolve("in"), 4));
        cli.on(store, append.toArray(String[]::new)).ok();
        cli.on(store, "client", "delete", BOX, "2:3").ok();
        cli.on(store, "client", "expunge", BOX).ok();
        // the index, the expunge list and the cache lost together: nothing tells the expunged files from the live ones
        Path mailbox;
        try (Stream<Path> all = Files.walk(store.resolve("partition"))) {
            mailbox = all.filter(p -> p.getFileName().toString().equals("=alice")).findFirst().orElseThrow();
        }
        for (String f : List.of("store.idx", "store.exp", "store.cache")) {
            Files.delete(mailbox.resolve(f));
        }
        cli.on(store, "reconstruct", BOX).ok();
        assertThat(cli.on(store, "unexpunge", BOX, "--list").ok().out()).contains("recoverable");
        Path target = dir.resolve("target");

        Cli.Result refused = cli.on(store, "migrate", "--to", "cassandra", "--target", target.toString(),
                "--contact-point", "127.0.0.1:1");

        refused.failsWith(1, BOX + " holds 4 messages (UID 1:4) that a Repair could not tell expunged from live",
                "'mstore unexpunge " + BOX + " 1:4 --store ", "--undecided-as-expunged");
        assertThat(target).doesNotExist();

        // told to carry them as expunged, migrate goes past the check (and stops at the unreachable node)
        String past = cli.on(store, "migrate", "--to", "cassandra", "--target", target.toString(), "--contact-point", "127.0.0.1:1",
                "--undecided-as-expunged").err();
        assertThat(past).isNotBlank().doesNotContain("could not tell expunged from live");
        // brought back, they are live mail again, and the source is no longer refused for them
        cli.on(store, "unexpunge", BOX, "1:4").ok();
        String after = cli.on(store, "migrate", "--to", "cassandra", "--target", target.toString(), "--contact-point", "127.0.0.1:1")
                .err();
        assertThat(after).isNotBlank().doesNotContain("could not tell expunged from live");
    }
}
