package org.mstore.queue;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueRequest;
import org.mstore.classic.ClassicBackend;
import org.mstore.db.ChangeLog;
import org.mstore.db.Database;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The queue's history and the change log keep themselves bounded as they are written, whichever process writes: no
 * open of the store prunes them (every command used to run two deletes as it opened).
 */
class SelfPruningTest {
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private MaintenanceQueue q() {
        return (MaintenanceQueue) s.engine.backend().queue();
    }

    private Database db() {
        return ((ClassicBackend) s.engine.backend()).database();
    }

    /** {@code n} entries enqueued and taken out by the administrator, in one transaction each way: {@code n} history rows. */
    private void finish(String prefix, int n) {
        long now = s.clock.millis();
        List<QueueRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            requests.add(new QueueRequest(prefix + i, Action.CLEAN, now, false));
        }
        q().enqueueAll(requests);
        List<Long> recnos = q().entriesAfter(0, n + 10).stream().map(QueueEntry::recno).toList();
        assertThat(q().remove(recnos, Outcome.REMOVED, "taken out by the test", now)).hasSize(n);
    }

    private List<HistoryEntry> history() {
        return q().history(EnumSet.allOf(Outcome.class), Long.MAX_VALUE, 10_000);
    }

    private long count(String sql) {
        return db().read(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Test
    void history_older_than_thirty_days_is_dropped_as_new_history_is_written() {
        finish("old/", 10);
        s.clock.advance(Duration.ofDays(2));
        finish("young/", 10);
        s.clock.advance(Duration.ofDays(29)); // the first ten are 31 days old now, the next ten 29
        finish("new/", 969);
        assertThat(history()).as("kept until the thousandth row is written").hasSize(989);

        finish("new2/", 20); // the thousandth row is among these

        List<HistoryEntry> left = history();
        assertThat(left).hasSize(999);
        assertThat(left).noneMatch(h -> h.entry().mailbox().startsWith("old/"));
        assertThat(left.stream().filter(h -> h.entry().mailbox().startsWith("young/"))).hasSize(10);
        assertThat(left.stream().filter(h -> h.entry().mailbox().startsWith("new"))).hasSize(989);
    }

    @Test
    void the_change_log_keeps_its_newest_records_as_transactions_write_it() throws Exception {
        // a log that grew beyond what is kept (old records of a long-running store), and a reopen, which leaves it
        int old = (int) ChangeLog.KEEP + 500;
        db().administer(c -> {
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO change_log(kind, subject, changed_at) SELECT 'setting', 'old', 0 FROM SYSTEM_RANGE(1, " + old + ")");
            }
            return null;
        });
        try (org.mstore.engine.Engine again = s.openAgain()) {
            assertThat(again.queue().count()).isZero(); // another process opens the store
        }
        assertThat(count("SELECT COUNT(*) FROM change_log WHERE subject = 'old'")).as("opening the store prunes nothing").isEqualTo(old);

        long firstOld = count("SELECT MIN(seq) FROM change_log WHERE subject = 'old'");
        long lastOld = count("SELECT MAX(seq) FROM change_log WHERE subject = 'old'");
        for (int i = 0; i < 1000; i++) { // one writing transaction each: one of them is a thousandth
            q().enqueue("user/m" + i, Action.CLEAN, s.clock.millis(), false);
        }

        assertThat(count("SELECT COUNT(*) FROM change_log")).isLessThanOrEqualTo(ChangeLog.KEEP + 1000);
        assertThat(count("SELECT COUNT(*) FROM change_log WHERE seq = " + firstOld)).as("the oldest record").isZero();
        assertThat(count("SELECT COUNT(*) FROM change_log WHERE kind = 'added' AND seq > " + lastOld)).as("the new records").isEqualTo(1000);
    }
}
