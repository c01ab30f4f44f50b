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
import org.mstore.engine.Engine;
import org.mstore.fs.CrashPoint;

/**
 * {@code init} is all or nothing, also when it is killed: it writes {@code init.incomplete} before anything else and
 * deletes it last. Halted at each of its crash points as a real process, it leaves a store that every command refuses
 * in one line naming the fix, until {@code init} runs again and makes it whole. The crash-point matrix starts from
 * made stores, so init's points are this test's ({@link #every_init_crash_point_in_the_source_is_tested_here}).
 */
class InitCrashTest {
    static final String PREFIX = "init.";
    static final List<String> POINTS = List.of("init.after-marker", "init.after-open");

    @TempDir
    static Path dir;
    static Cli cli;

    @BeforeAll
    static void setUp() {
        cli = new Cli(dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"init.after-marker", "init.after-open"})
    void an_init_killed_halfway_is_refused_by_every_command_until_init_runs_again(String point) throws Exception {
        Path store = dir.resolve(point);
        Cli.Result halted = cli.withJvm(List.of("-Dmstore.crashpoint=" + point), store, "init");
        assertThat(halted.exit()).as(halted.err()).isEqualTo(CrashPoint.EXIT_STATUS);
        assertThat(store.resolve(Engine.INIT_MARKER)).exists();
        String why = "is not finished: its init was interrupted";
        String fix = "run 'mstore init --store " + store.toAbsolutePath().normalize() + "' to make it again";
        cli.on(store, "imcheck", "-q").failsWith(1, why, fix);
        cli.on(store, "mboxutil", "-c", "user/alice").failsWith(1, why, fix);
        cli.on(store, "reconstruct", "--mboxlist").failsWith(1, why, fix);

        cli.on(store, "init").ok();
        assertThat(store.resolve(Engine.INIT_MARKER)).doesNotExist();
        Path msg = dir.resolve(point + ".eml");
        Files.writeString(msg, "From: a@example.org\r\nSubject: after init\r\n\r\nhello\r\n", StandardCharsets.UTF_8);
        cli.on(store, "mboxutil", "-c", "user/alice").ok();
        cli.on(store, "client", "append", "user/alice", msg.toString()).ok();
        assertThat(cli.on(store, "client", "fetch", "user/alice", "1").ok().out()).contains("Subject: after init");
        assertThat(cli.on(store, "imcheck", "-q").ok().out()).contains("RecNo");
    }

    @Test
    void init_leaves_alone_a_store_with_mail_that_holds_the_marker() throws Exception {
        Path store = dir.resolve("used");
        Path msg = dir.resolve("used.eml");
        Files.writeString(msg, "From: a@example.org\r\nSubject: kept\r\n\r\nhello\r\n", StandardCharsets.UTF_8);
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", "user/alice").ok();
        cli.on(store, "client", "append", "user/alice", msg.toString()).ok();
        Files.writeString(store.resolve(Engine.INIT_MARKER), "put there by hand\n");

        cli.on(store, "init").failsWith(1, "holds " + Engine.INIT_MARKER + " but also mail", "delete " + store.resolve(Engine.INIT_MARKER));
        Files.delete(store.resolve(Engine.INIT_MARKER));
        assertThat(cli.on(store, "client", "fetch", "user/alice", "1").ok().out()).contains("Subject: kept");
    }

    @Test
    void every_init_crash_point_in_the_source_is_tested_here() throws Exception {
        assertThat(CrashPointMatrixTest.crashPointsInTheSource(PREFIX)).containsExactlyInAnyOrderElementsOf(POINTS);
    }
}
