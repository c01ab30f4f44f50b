package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mstore.fs.CrashPoint;

/**
 * {@code reconstruct --mboxlist} after the database was lost brings back the mailbox list, the maintenance it implies
 * and the settings (from their mirror, {@code store.settings}); killed at any of its crash points, it leaves a store
 * that every command refuses in one line, and run again it finishes, with the settings the administrator had set.
 * Before, a rebuild killed after the list was written lost the settings: the second run took the new database for
 * the store's own and wrote its defaults over the mirror.
 */
class RebuildListCrashTest {
    static final String PREFIX = "rebuild-list.";
    static final List<String> POINTS = List.of("rebuild-list.after-list", "rebuild-list.after-queue");

    @TempDir
    static Path dir;
    static Cli cli;
    static Path prepared;

    /** Two mailboxes with messages, two settings changed, and then the database lost. */
    @BeforeAll
    static void prepare() throws Exception {
        cli = new Cli(dir);
        prepared = dir.resolve("prepared");
        Path msg = dir.resolve("m.eml");
        Files.writeString(msg, "From: a@example.org\r\nSubject: kept through the rebuild\r\n\r\nhello\r\n", StandardCharsets.UTF_8);
        cli.on(prepared, "init").ok();
        cli.on(prepared, "mboxutil", "-c", "user/alice").ok();
        cli.on(prepared, "mboxutil", "-c", "user/bob").ok();
        cli.on(prepared, "client", "append", "user/alice", msg.toString(), msg.toString(), msg.toString()).ok();
        cli.on(prepared, "client", "append", "user/bob", msg.toString(), msg.toString()).ok();
        cli.on(prepared, "msconfig", "set", "store.cleanupsize", "42").ok();
        cli.on(prepared, "msconfig", "set", "store.cleanupage", "2h").ok();
        try (var files = Files.list(prepared.resolve("mboxlist"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("mstore.")).toList()) {
                Files.delete(f); // the database is lost
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rebuild-list.after-list", "rebuild-list.after-queue"})
    void a_rebuild_of_a_lost_list_killed_halfway_is_refused_until_it_runs_again_and_keeps_the_settings(String point) throws Exception {
        Path store = dir.resolve(point);
        CrashPointMatrixTest.copyTree(prepared, store);
        Cli.Result halted = cli.withJvm(List.of("-Dmstore.crashpoint=" + point), store, "reconstruct", "--mboxlist");
        assertThat(halted.exit()).as(halted.err()).isEqualTo(CrashPoint.EXIT_STATUS);

        String why = "is being rebuilt, or its rebuild was interrupted";
        String fix = "run 'mstore reconstruct --mboxlist --store " + store.toAbsolutePath().normalize() + "' (again) to finish it";
        cli.on(store, "imcheck", "-q").failsWith(1, why, fix);
        cli.on(store, "msconfig", "get", "store.cleanupsize").failsWith(1, why, fix);
        cli.on(store, "mboxutil", "-c", "user/carol").failsWith(1, why, fix);

        cli.on(store, "reconstruct", "--mboxlist").ok();
        assertThat(cli.on(store, "msconfig", "get", "store.cleanupsize").ok().out().strip()).isEqualTo("42");
        assertThat(cli.on(store, "msconfig", "get", "store.cleanupage").ok().out().strip()).isEqualTo("2h");
        assertThat(cli.on(store, "mboxutil", "-l").ok().out()).contains("user/alice", "user/bob");
        for (String uid : List.of("1", "2", "3")) {
            assertThat(cli.on(store, "client", "fetch", "user/alice", uid).ok().out()).contains("Subject: kept through the rebuild");
        }
        assertThat(cli.on(store, "client", "fetch", "user/bob", "2").ok().out()).contains("Subject: kept through the rebuild");
        assertThat(Files.readString(store.resolve("store.settings"))).contains("42");
    }

    @Test
    void every_rebuild_crash_point_in_the_source_is_tested_here() throws Exception {
        assertThat(CrashPointMatrixTest.crashPointsInTheSource(PREFIX)).containsExactlyInAnyOrderElementsOf(POINTS);
    }
}
