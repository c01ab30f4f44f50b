package org.mstore.engine;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.OpenOptions;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.StoreEvent;
import org.mstore.classic.ClassicBackend;
import org.mstore.db.ChangeLog;
import org.mstore.db.Database;
import org.mstore.queue.MaintenanceQueue;
import org.mstore.testing.SettableClock;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Another process's changes reach this one's listeners through the change log, in commit order: entries added,
 * changed and done, mailboxes and settings — and a transaction that commits late is not missed.
 */
class ChangeWatcherTest {
    @TempDir
    Path tmp;

    /** A second engine on the same store that watches it, as the console beside a CLI does. */
    private static Engine watcher(TestStore s, List<StoreEvent> events) throws Exception {
        Engine watching = Engine.open(s.root, new OpenOptions(s.clock, "test", false, true));
        watching.subscribe(events::add);
        return watching;
    }

    private static <T extends StoreEvent> List<T> of(List<StoreEvent> events, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (StoreEvent e : events) {
            if (type.isInstance(e)) {
                out.add(type.cast(e));
            }
        }
        return out;
    }

    @Test
    void entries_that_were_there_before_the_watcher_started_are_not_announced_as_added() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            for (int i = 0; i < 10; i++) {
                s.engine.backend().queue().enqueue("user/u" + i, Action.CLEAN, s.clock.millis(), false);
            }
            SettableClock clock = s.clock;
            try (Engine watching = Engine.open(s.root, new OpenOptions(clock, "test", false, true))) {
                List<StoreEvent> events = new ArrayList<>();
                watching.subscribe(events::add);
                watching.pollChanges();
                assertThat(events).noneMatch(e -> e instanceof StoreEvent.EntriesAdded);

                s.engine.backend().queue().enqueue("user/new", Action.REPAIR, clock.millis(), false);
                watching.pollChanges();
                assertThat(events).filteredOn(e -> e instanceof StoreEvent.EntriesAdded)
                        .singleElement().satisfies(e -> assertThat(((StoreEvent.EntriesAdded) e).entries())
                                .extracting(q -> q.mailbox()).containsExactly("user/new"));
            }
        }
    }

    @Test
    void a_late_commit_is_seen_by_the_watcher() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            List<StoreEvent> events = new CopyOnWriteArrayList<>();
            try (Engine watching = watcher(s, events)) {
                Database db = ((ClassicBackend) s.engine.backend()).database();
                MaintenanceQueue queue = (MaintenanceQueue) s.engine.backend().queue();
                List<Long> bulkRecnos = new ArrayList<>();
                try (Connection bulk = db.connection()) {
                    // a bulk transaction starts and takes its RecNos first ...
                    bulk.setAutoCommit(false);
                    ChangeLog.Pending changes = new ChangeLog.Pending();
                    for (int i = 0; i < 1000; i++) {
                        bulkRecnos.add(queue.enqueue(bulk, "user/bulk" + i, Action.CLEAN, s.clock.millis(), false, null, null, changes).recno());
                    }
                    // ... a small one starts after it and commits first, with a RecNo far above most of the bulk's (a look-back of
                    // 256 RecNos behind the newest seen would miss them)
                    long small = s.engine.backend().queue().enqueue("user/small", Action.REPAIR, s.clock.millis(), false).recno();
                    assertThat(small).isGreaterThan(bulkRecnos.get(0) + 256);
                    watching.pollChanges();
                    assertThat(of(events, StoreEvent.EntriesAdded.class)).singleElement()
                            .satisfies(e -> assertThat(e.entries()).extracting(QueueEntry::recno).containsExactly(small));
                    // ... then the bulk commits, after it
                    ChangeLog.write(bulk, changes, s.clock.millis());
                    bulk.commit();
                }
                watching.pollChanges();
                List<StoreEvent.EntriesAdded> added = of(events, StoreEvent.EntriesAdded.class);
                assertThat(added).hasSize(2);
                assertThat(added.get(1).entries()).extracting(QueueEntry::recno).containsExactlyElementsOf(bulkRecnos);
            }
        }
    }

    @Test
    void claims_and_completions_by_another_process_are_announced_in_order() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            s.mailbox("user/alice");
            List<StoreEvent> events = new CopyOnWriteArrayList<>();
            try (Engine watching = watcher(s, events)) {
                long recno = s.engine.backend().queue().enqueue("user/ghost", Action.PURGE, s.clock.millis(), false).recno();
                QueueEntry claimed = s.engine.backend().queue().pickNext(s.clock.millis(), 0, "impurge[1]").orElseThrow();
                watching.pollChanges();
                s.engine.context().meta().transact(tx -> tx.complete(claimed, Outcome.DROPPED, "mailbox no longer exists", 0));
                s.engine.settings().set(Setting.CLEANUP_SIZE, "50");
                s.engine.mailboxes().create("user/alice/Sent", "primary");
                watching.pollChanges();
                assertThat(events).extracting(e -> e.getClass().getSimpleName()).containsExactly("EntriesAdded", "EntriesChanged",
                        "EntriesDone", "SettingsChanged", "MailboxesChanged");
                assertThat(of(events, StoreEvent.EntriesChanged.class).get(0).entries()).extracting(QueueEntry::recno, QueueEntry::state,
                        QueueEntry::pickedBy).containsExactly(org.assertj.core.groups.Tuple.tuple(recno, QueueEntry.State.RUNNING, "impurge[1]"));
                assertThat(of(events, StoreEvent.EntriesDone.class).get(0).entries()).extracting(h -> h.entry().recno(), HistoryEntry::outcome)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple(recno, Outcome.DROPPED));
                assertThat(of(events, StoreEvent.SettingsChanged.class).get(0).keys()).containsExactly(Setting.CLEANUP_SIZE.key());
                assertThat(of(events, StoreEvent.MailboxesChanged.class).get(0).names()).containsExactly("user/alice/Sent");
            }
        }
    }

    @Test
    void an_entry_added_and_done_between_two_looks_is_announced_as_both() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            List<StoreEvent> events = new CopyOnWriteArrayList<>();
            try (Engine watching = watcher(s, events)) {
                long recno = s.engine.backend().queue().enqueue("user/ghost", Action.CLEAN, s.clock.millis(), false).recno();
                s.engine.daemon().drain();
                watching.pollChanges();
                assertThat(of(events, StoreEvent.EntriesAdded.class)).singleElement()
                        .satisfies(e -> assertThat(e.entries()).extracting(QueueEntry::recno).containsExactly(recno));
                assertThat(of(events, StoreEvent.EntriesDone.class)).singleElement()
                        .satisfies(e -> assertThat(e.entries()).extracting(h -> h.entry().recno()).containsExactly(recno));
                assertThat(events.indexOf(of(events, StoreEvent.EntriesAdded.class).get(0)))
                        .isLessThan(events.indexOf(of(events, StoreEvent.EntriesDone.class).get(0)));
            }
        }
    }

    @Test
    void queue_counts_are_read_with_the_feed_sequence_of_exactly_the_changes_they_include() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            List<StoreEvent> events = new CopyOnWriteArrayList<>();
            try (Engine watching = watcher(s, events)) {
                for (int i = 0; i < 5; i++) {
                    s.engine.backend().queue().enqueue("user/u" + i, Action.CLEAN, s.clock.millis(), false);
                }
                org.mstore.api.QueueQuery bulk1 = org.mstore.api.QueueQuery.all().withMailboxText("bulk1");
                org.mstore.api.QueueCounts before = watching.queue().counts(bulk1);
                assertThat(before.byAction().get(Action.CLEAN)).isEqualTo(5);
                assertThat(before.matching()).isZero();
                assertThat(before.seq()).isEqualTo(s.engine.backend().changes().maxSeq());

                Database db = ((ClassicBackend) s.engine.backend()).database();
                MaintenanceQueue queue = (MaintenanceQueue) s.engine.backend().queue();
                try (Connection bulk = db.connection()) {
                    bulk.setAutoCommit(false);
                    ChangeLog.Pending changes = new ChangeLog.Pending();
                    for (int i = 0; i < 100; i++) {
                        queue.enqueue(bulk, "user/bulk" + i, Action.PURGE, s.clock.millis(), false, null, null, changes);
                    }
                    ChangeLog.write(bulk, changes, s.clock.millis());
                    // written, not committed: neither in the counts nor under their sequence
                    assertThat(watching.queue().counts(bulk1)).isEqualTo(before);
                    bulk.commit();
                }
                org.mstore.api.QueueCounts after = watching.queue().counts(bulk1);
                assertThat(after.byAction().get(Action.PURGE)).isEqualTo(100);
                assertThat(after.matching()).isEqualTo(11); // user/bulk1, bulk10..bulk19
                assertThat(after.total()).isEqualTo(105);

                watching.pollChanges();
                int bulkSeen = 0;
                for (StoreEvent.EntriesAdded added : of(events, StoreEvent.EntriesAdded.class)) {
                    for (int i = 0; i < added.entries().size(); i++) {
                        if (added.entries().get(i).mailbox().startsWith("user/bulk")) {
                            bulkSeen++;
                            assertThat(added.seq(i)).as("the bulk's change: not in the first count, in the second")
                                    .isGreaterThan(before.seq()).isLessThanOrEqualTo(after.seq());
                        } else {
                            assertThat(added.seq(i)).as("an entry the first count includes").isLessThanOrEqualTo(before.seq());
                        }
                    }
                }
                assertThat(bulkSeen).isEqualTo(100);
            }
        }
    }

    @Test
    void a_snapshot_read_sees_neither_the_queue_nor_the_change_log_move_under_it() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            Database db = ((ClassicBackend) s.engine.backend()).database();
            s.engine.backend().queue().enqueue("user/a", Action.CLEAN, s.clock.millis(), false);
            long[] seen = db.snapshot(c -> {
                long n0 = single(c, "SELECT COUNT(*) FROM maintenance_queue");
                long s0 = single(c, "SELECT MAX(seq) FROM change_log");
                // another transaction commits an entry and its change between the snapshot's statements
                s.engine.backend().queue().enqueue("user/b", Action.CLEAN, s.clock.millis(), false);
                return new long[] {n0, s0, single(c, "SELECT COUNT(*) FROM maintenance_queue WHERE action = 'Clean'"),
                        single(c, "SELECT MAX(seq) FROM change_log")};
            });
            assertThat(seen[2]).as("the queue as the snapshot began").isEqualTo(seen[0]).isEqualTo(1);
            assertThat(seen[3]).as("the log as the snapshot began").isEqualTo(seen[1]);
            assertThat(s.engine.queue().count()).isEqualTo(2);
        }
    }

    private static long single(Connection c, String sql) throws java.sql.SQLException {
        try (java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
