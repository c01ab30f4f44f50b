package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several processes on one store: commands started at the same moment all succeed; the {@code impurge}
 * daemon runs as a background process, a second impurge fails with the seed's message while other commands
 * keep working beside the daemon (H2's automatic mixed mode); neither a stopped nor a crashed daemon leaves
 * the purge session lock held. The tests are steps of one scenario, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConcurrentProcessesCliTest {
    static final String BOX = "user/lock";
    static final String LOCKED = "Could not get purge session lock. Possibly another impurge is running";
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static Cli cli;
    static Path store;
    static Cli.Background daemon;

    @BeforeAll
    static void setUp() {
        cli = new Cli(dir);
        store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", BOX).ok();
    }

    @AfterAll
    static void tearDown() throws InterruptedException {
        if (daemon != null) {
            daemon.close();
        }
    }

    /** Starts {@code impurge} (daemon mode) and waits until it holds the session lock. */
    static Cli.Background startDaemon() throws InterruptedException {
        Cli.Background d = cli.background(store, "impurge");
        Path lock = store.resolve("mboxlist").resolve("purge.session.lck");
        Cli.await("impurge daemon " + d.pid() + " to hold " + lock, WAIT, () -> {
            if (!d.process().isAlive()) {
                throw new AssertionError("the daemon exited: " + d.out() + d.err());
            }
            return read(lock).contains("[" + d.pid() + "]");
        });
        return d;
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void awaitLog(String what, Predicate<String> line) throws InterruptedException {
        Cli.await(what + " in the default log", WAIT, () -> {
            try {
                return Mail.log(store).stream().anyMatch(line);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Test
    @Order(0)
    void commands_started_at_the_same_moment_all_succeed() throws Exception {
        String many = "user/many";
        cli.on(store, "mboxutil", "-c", many).ok();
        List<String> append = new ArrayList<>(List.of("client", "append", many));
        append.addAll(Mail.messageFiles(dir.resolve("in/batch"), 10));
        append.addAll(List.of("--store", store.toString()));
        // three processes racing to open the database (and to serve it to the others: H2's automatic mixed mode)
        List<Callable<Cli.Result>> commands = List.of(() -> cli.run(append), () -> cli.run(append), () -> cli.on(store, "imcheck", "-q"));
        ExecutorService pool = Executors.newFixedThreadPool(commands.size());
        List<Future<Cli.Result>> runs;
        try {
            runs = pool.invokeAll(commands);
        } finally {
            pool.shutdown();
        }

        Set<String> uids = new TreeSet<>();
        for (int i = 0; i < runs.size(); i++) {
            Cli.Result r = runs.get(i).get().ok();
            if (i < 2) {
                assertThat(r.outLines()).hasSize(10);
                uids.addAll(r.outLines());
            }
        }
        assertThat(uids).as("every append got UIDs of its own").hasSize(20);
        assertThat(cli.on(store, "imcheck", "-m", many).ok().outLines()).contains("Messages:               20", "Next UID:               21",
                "Cache records:          20");
    }

    @Test
    @Order(1)
    void a_second_impurge_fails_with_the_seeds_message_while_the_daemon_holds_the_session_lock() throws Exception {
        daemon = startDaemon();

        Cli.Result r = cli.on(store, "impurge", "--exit-when-empty").failsWith(1, LOCKED);

        assertThat(r.err()).contains("[" + daemon.pid() + "]");
        assertThat(Mail.log(store)).anyMatch(l -> l.matches("^\\[[^]]+] \\S+ impurge\\[\\d+]: General Error: " + LOCKED + "$")
                && !l.contains("[" + daemon.pid() + "]"));
        assertThat(daemon.process().isAlive()).isTrue();
    }

    @Test
    @Order(2)
    void other_commands_work_while_the_daemon_has_the_store_open_and_it_handles_what_they_queue() throws Exception {
        Path mbox = Mail.write(dir.resolve("in/three.mbox"), """
                From a@example.com Sat Feb 25 09:55:57 2012
                Subject: one

                1

                From b@example.com Sat Feb 25 09:55:58 2012
                Subject: two

                2

                From c@example.com Sat Feb 25 09:55:59 2012
                Subject: three

                3
                """);
        assertThat(cli.on(store, "client", "append", BOX, mbox.toString()).ok().outLines()).containsExactly("1", "2", "3");
        cli.on(store, "msconfig", "set", "store.cleanupsize", "1").ok();
        cli.on(store, "client", "delete", BOX, "1:2").ok();
        assertThat(cli.on(store, "client", "expunge", BOX).ok().out()).contains("Expunged is now 2");

        String me = "impurge[" + daemon.pid() + "]: ";
        awaitLog("the daemon's Clean", l -> l.contains(me + "General Notice: cleaning up " + BOX));
        List<String> queue = cli.on(store, "imcheck", "-q").ok().outLines();
        assertThat(queue).anySatisfy(l -> assertThat(l).matches("\\d+ +" + BOX + " +\\d{14} Remove"));

        // a setting changed by another process takes effect in the running daemon, no restart
        cli.on(store, "msconfig", "set", "store.cleanupage", "0s").ok();
        awaitLog("the daemon's Remove", l -> l.contains(me + "General Notice: removing obsolete files of " + BOX));
        assertThat(Mail.messageFileUids(Mail.inboxDir(store, "lock"))).containsExactly(3);
        assertThat(daemon.process().isAlive()).isTrue();
    }

    @Test
    @Order(3)
    void a_stopped_daemon_lets_go_of_the_lock() throws Exception {
        int status = daemon.terminate();

        assertThat(status).as("killed by SIGTERM").isEqualTo(143);
        assertThat(daemon.out()).contains("impurge: stopped");
        assertThat(daemon.err()).isEmpty();
        assertThat(cli.on(store, "impurge", "--exit-when-empty").ok().out()).contains("queue drained");
    }

    @Test
    @Order(4)
    void a_crashed_daemon_does_not_leave_the_lock_held() throws Exception {
        daemon = startDaemon();
        assertThat(daemon.crash()).as("killed by SIGKILL").isEqualTo(137);

        assertThat(cli.on(store, "impurge", "--exit-when-empty").ok().out()).contains("queue drained");
        assertThat(cli.on(store, "imcheck", "-q").ok().outLines()).hasSize(2);
    }
}
