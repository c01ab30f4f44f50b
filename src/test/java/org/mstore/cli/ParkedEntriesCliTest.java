package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.ZoneId;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.backend.QueueStore;
import org.mstore.testing.TestStore;

/**
 * Parked entries from the command line, one process per command: {@code imcheck -q --failed} lists them with their
 * attempts and last error, {@code imcheck -q} keeps the seed's layout and shows the queue proper, and
 * {@code impurge --retry} and {@code --discard} act on them. The parked state is made in-process (a task fails for the
 * last time with a settable clock), then the commands run as real processes.
 */
class ParkedEntriesCliTest {
    static final String HEADER = "RecNo      Mailbox                             Timestamp      Action";
    static final String DASHES = "---------- ----------------------------------- -------------- ------";

    @TempDir
    static Path dir;
    static Cli cli;
    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        cli = new Cli(dir);
    }

    /** A store with a waiting Clean (user/bob) and two parked entries (user/alice Purge, user/carol Repair). */
    private record Store(Path root, QueueEntry waiting, QueueEntry purge, QueueEntry repair) {
    }

    private Store store() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            QueueStore q = s.engine.backend().queue();
            QueueEntry purge = park(s, "user/alice", Action.PURGE, "cache file unreadable: Input/output error");
            QueueEntry repair = park(s, "user/carol", Action.REPAIR, "partition primary is full");
            long waiting = q.enqueue("user/bob", Action.CLEAN, s.clock.millis(), false).recno();
            return new Store(s.root, q.get(waiting).orElseThrow(), q.get(purge.recno()).orElseThrow(), q.get(repair.recno()).orElseThrow());
        }
    }

    private static QueueEntry park(TestStore s, String mailbox, Action action, String error) {
        QueueStore q = s.engine.backend().queue();
        q.enqueue(mailbox, action, s.clock.millis(), false);
        QueueEntry running = q.pickNext(s.clock.millis(), 0, "impurge[1]").orElseThrow();
        q.park(running, error);
        return running;
    }

    private static String stamp(QueueEntry e) {
        return ImcheckCommand.STAMP.format(e.timestamp().atZone(ZoneId.systemDefault()));
    }

    @Test
    void imcheck_q_failed_lists_parked_entries_with_their_error() throws Exception {
        Store st = store();
        assertThat(cli.on(st.root(), "imcheck", "-q", "--failed").ok().outLines()).containsExactly(
                HEADER + " Attempts Last error",
                DASHES + " -------- ----------",
                String.format("%-10d %-35s %-14s %-6s %-8d %s", st.purge().recno(), "user/alice", stamp(st.purge()), "Purge", 1,
                        "cache file unreadable: Input/output error"),
                String.format("%-10d %-35s %-14s %-6s %-8d %s", st.repair().recno(), "user/carol", stamp(st.repair()), "Repair", 1,
                        "partition primary is full"));
    }

    @Test
    void imcheck_q_keeps_the_seed_layout_and_shows_only_the_queue_proper() throws Exception {
        Store st = store();
        assertThat(cli.on(st.root(), "imcheck", "-q").ok().outLines()).containsExactly(HEADER, DASHES,
                String.format("%-10d %-35s %-14s %s", st.waiting().recno(), "user/bob", stamp(st.waiting()), "Clean"));
    }

    @Test
    void impurge_retry_puts_a_parked_entry_back_in_the_queue() throws Exception {
        Store st = store();
        assertThat(cli.on(st.root(), "impurge", "--retry", String.valueOf(st.purge().recno())).ok().out())
                .isEqualTo("impurge: retried 1 parked entries: RecNo " + st.purge().recno() + "\n");
        assertThat(cli.on(st.root(), "imcheck", "-q").ok().outLines()).containsExactly(HEADER, DASHES,
                String.format("%-10d %-35s %-14s %s", st.purge().recno(), "user/alice", stamp(st.purge()), "Purge"),
                String.format("%-10d %-35s %-14s %s", st.waiting().recno(), "user/bob", stamp(st.waiting()), "Clean"));
    }

    @Test
    void impurge_discard_all_takes_every_parked_entry_out() throws Exception {
        Store st = store();
        assertThat(cli.on(st.root(), "impurge", "--discard", "all").ok().out()).isEqualTo("impurge: discarded 2 parked entries\n");
        assertThat(cli.on(st.root(), "imcheck", "-q", "--failed").ok().outLines()).containsExactly(
                HEADER + " Attempts Last error", DASHES + " -------- ----------");
    }

    @Test
    void impurge_retry_refuses_a_recno_that_is_not_parked_and_changes_nothing() throws Exception {
        Store st = store();
        cli.on(st.root(), "impurge", "--retry", st.purge().recno() + "," + st.waiting().recno())
                .failsWith(1, "not a parked entry: RecNo " + st.waiting().recno(), "nothing changed");
        cli.on(st.root(), "impurge", "--discard", "seven").failsWith(1, "--discard: 'seven' is not a RecNo");
        assertThat(cli.on(st.root(), "imcheck", "-q", "--failed").ok().outLines()).hasSize(4);
    }
}
