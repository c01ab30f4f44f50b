package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.backend.QueueStore;
import org.mstore.purge.SessionLock;
import org.mstore.testing.Await;
import org.mstore.testing.TestStore;

/**
 * {@code impurge --run RECNO[,RECNO...]}: the console's Run now as a command (and what its Copy as command gives), run
 * as real processes: exactly the named entries run at once, forced, also a Remove that store.cleanupage still holds
 * back; a RecNo that is not a waiting entry, or another impurge holding the session lock, runs nothing.
 */
class RunNowCliTest {
    static final String BOX = "user/alice";

    @TempDir
    static Path dir;
    static Cli cli;
    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        cli = new Cli(dir);
    }

    /** A store whose Clean of user/alice has run: its Remove waits for store.cleanupage (1h), and a Clean of user/bob waits. */
    private record Store(Path root, QueueEntry remove, QueueEntry clean) {
    }

    private Store store() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            s.clock.set(Instant.now()); // the commands run on the real clock: the Remove is not due for an hour
            s.mailbox(BOX);
            s.mailbox("user/bob");
            s.append(BOX, 3);
            s.expunge(BOX, "1");
            s.requestAndDrain(BOX, Action.CLEAN);
            QueueStore q = s.engine.backend().queue();
            QueueEntry remove = s.engine.queue().find(BOX, Action.REMOVE).orElseThrow();
            long clean = q.enqueue("user/bob", Action.CLEAN, s.clock.millis(), false).recno();
            return new Store(s.root, remove, q.get(clean).orElseThrow());
        }
    }

    @Test
    void impurge_run_runs_a_remove_that_store_cleanupage_still_holds_back_and_nothing_else() throws Exception {
        Store st = store();
        // what a drain would do: leave the Remove, not yet due, waiting
        assertThat(cli.on(st.root(), "impurge", "--exit-when-empty", "--quiet").ok().out()).contains("entries left (not yet due)");
        assertThat(cli.on(st.root(), "imcheck", "-q").ok().out()).contains(" Remove");

        Cli.Result r = cli.on(st.root(), "impurge", "--run", String.valueOf(st.remove().recno())).ok();
        assertThat(r.outLines()).hasSize(2);
        assertThat(r.outLines().get(0)).startsWith("Remove " + BOX + " (RecNo " + st.remove().recno() + "): done");
        assertThat(r.outLines().get(1)).isEqualTo("impurge: ran 1 entry, 1 finished");
        assertThat(cli.on(st.root(), "imcheck", "-q").ok().out()).doesNotContain(" Remove");
    }

    @Test
    void impurge_run_refuses_a_recno_that_is_not_a_waiting_entry_and_runs_nothing() throws Exception {
        Store st = store();
        cli.on(st.root(), "impurge", "--run", st.remove().recno() + ",99999")
                .failsWith(1, "--run: RecNo 99999 is not in the queue", "nothing run");
        cli.on(st.root(), "impurge", "--run", "seven").failsWith(1, "--run: 'seven' is not a RecNo");
        cli.on(st.root(), "impurge", "--run", "all").failsWith(1, "--run: 'all' runs everything due: use --exit-when-empty");
        assertThat(cli.on(st.root(), "imcheck", "-q").ok().out()).contains(" Remove");
    }

    @Test
    void impurge_run_while_another_impurge_holds_the_session_lock_runs_nothing_and_says_who() throws Exception {
        Store st = store();
        try (Cli.Background daemon = cli.background(st.root(), "impurge")) {
            Await.until(java.time.Duration.ofSeconds(60), "the daemon to hold the session lock",
                    () -> SessionLock.holder(st.root()).isPresent());
            cli.on(st.root(), "impurge", "--run", String.valueOf(st.remove().recno()))
                    .failsWith(1, "General Error: Could not get purge session lock", "nothing run: the entries stay queued");
            daemon.terminate();
        }
        assertThat(cli.on(st.root(), "imcheck", "-q").ok().out()).contains(" Remove");
    }
}
