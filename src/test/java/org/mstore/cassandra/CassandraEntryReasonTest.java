package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.ActionFigures;
import org.mstore.api.HistoryEntry;
import org.mstore.api.OpenOptions;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueRequest;
import org.mstore.api.RepairRequestedException;
import org.mstore.api.Setting;
import org.mstore.api.TaskResult;
import org.mstore.engine.Engine;
import org.mstore.testing.SettableClock;

/**
 * Issue 7, item 2, on the Cassandra store: an entry keeps why it was queued, the process that queued it and when it was
 * first queued, for its life and in its history rows; forcing it and a Repair's re-stamp change none of them. A store
 * made by an earlier release, whose tables lack the columns, is read without them by a read-only open (which adds
 * nothing) and gets them at its next read-write open.
 */
@ExtendWith(CassandraFixture.class)
class CassandraEntryReasonTest {
    static final String BOX = "user/bob";
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("reason");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
        s.mailbox(BOX);
    }

    @AfterEach
    void tearDown() throws Exception {
        s.engine.mailboxes().delete(BOX);
        s.close();
    }

    @Test
    void run_now_keeps_the_reason_an_entry_was_queued_for() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "2");
        s.append(BOX, 5);
        Instant queued = s.clock.instant();
        s.expunge(BOX, "1:3"); // Expunged 3 > store.cleanupsize 2: the store without a cleanup step queues a Purge
        QueueEntry purge = s.engine.queue().find(BOX, Action.PURGE).orElseThrow();
        assertThat(purge).extracting(QueueEntry::reason, QueueEntry::queuedBy, QueueEntry::queuedAt)
                .containsExactly("Expunged 3 > store.cleanupsize 2", QueueRequest.process("test"), queued);

        s.clock.advance(Duration.ofMinutes(10));
        s.engine.queue().request(BOX, Action.PURGE); // Purge now on the waiting entry: forced, its reason stays
        QueueEntry forced = s.engine.queue().get(purge.recno()).orElseThrow();
        assertThat(forced.forced()).isTrue();
        assertThat(forced).extracting(QueueEntry::reason, QueueEntry::queuedBy, QueueEntry::queuedAt)
                .containsExactly("Expunged 3 > store.cleanupsize 2", QueueRequest.process("test"), queued);

        List<TaskResult> r = s.engine.daemon().runNow(List.of(purge.recno()));
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        HistoryEntry h = s.engine.queue().finished(purge.recno()).orElseThrow();
        assertThat(h.entry().forced()).isTrue();
        assertThat(h.entry()).extracting(QueueEntry::reason, QueueEntry::queuedBy, QueueEntry::queuedAt)
                .containsExactly("Expunged 3 > store.cleanupsize 2", QueueRequest.process("test"), queued);
        assertThat(s.engine.queue().historyAfter(h.seq() - 1, 1)).extracting(x -> x.entry().reason())
                .containsExactly("Expunged 3 > store.cleanupsize 2");
    }

    @Test
    void the_reason_of_a_self_healing_repair_names_the_corruption_and_a_re_stamp_keeps_when_it_was_first_queued() throws Exception {
        s.append(BOX, 3);
        s.backend.cqlForTests("UPDATE {mbox}.mailbox_storage SET messages = 999, bytes = -5 WHERE user = 'bob' AND name = ?", BOX);
        Instant first = s.clock.instant();
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 1)).isInstanceOf(RepairRequestedException.class);
        QueueEntry repair = s.engine.queue().find(BOX, Action.REPAIR).orElseThrow();
        assertThat(repair.reason()).startsWith("Mailbox has an invalid format: ").contains("999");
        assertThat(repair.queuedAt()).isEqualTo(first);

        s.clock.advance(Duration.ofHours(1));
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 1)).isInstanceOf(RepairRequestedException.class);
        QueueEntry again = s.engine.queue().get(repair.recno()).orElseThrow();
        assertThat(again.timestamp()).isEqualTo(s.clock.instant()); // re-stamped: impurge skips it only if repaired after this
        assertThat(again.queuedAt()).isEqualTo(first);
        assertThat(again.reason()).isEqualTo(repair.reason());
        // a Repair queued after the first one, stamped before its re-stamp: the first is still the one waiting the longest
        s.backend.queue().enqueue("user/zed", Action.REPAIR, first.plus(Duration.ofMinutes(30)).toEpochMilli(), false);
        ActionFigures f = s.engine.queue().figures().stream().filter(a -> a.action() == Action.REPAIR).findFirst().orElseThrow();
        assertThat(f.oldestDue()).contains(first);
        s.engine.daemon().drain();
    }

    @Test
    void a_store_made_before_entries_kept_reasons_is_read_without_them_read_only_and_gets_them_at_its_next_read_write_open()
            throws Exception {
        String p = CassandraFixture.newPrefix("oldreason");
        Path root = tmp.resolve("old");
        try {
            try (Engine e = CassandraFixture.store(root, p, SettableClock.fixed())) {
                e.mailboxes().create("user/ann", CassandraStorage.PARTITION);
                CassandraBackend b = (CassandraBackend) e.backend();
                for (String t : Schema.REASON_TABLES) { // as a release before reasons left the store
                    b.ddlForTests("ALTER TABLE {mbox}." + t + " DROP (reason, queued_by, queued_at)");
                }
            }
            try (Engine e = Engine.open(root, new OpenOptions(SettableClock.fixed(), "test", false, false))) {
                // opened read-write: the columns are there again, and a new entry keeps its reason
                e.queue().request("user/ann", Action.REPAIR);
                assertThat(e.queue().find("user/ann", Action.REPAIR).orElseThrow().reason()).isEqualTo("Repair now by an administrator");
                CassandraBackend b = (CassandraBackend) e.backend();
                for (String t : Schema.REASON_TABLES) {
                    b.ddlForTests("ALTER TABLE {mbox}." + t + " DROP (reason, queued_by, queued_at)");
                }
            }
            try (Engine ro = Engine.open(root, new OpenOptions(SettableClock.fixed(), "console", false, false, true))) {
                assertThat(ro.queue().entriesAfter(0, 10)).extracting(QueueEntry::mailbox, QueueEntry::action, QueueEntry::reason)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("user/ann", Action.REPAIR, null));
                CassandraBackend b = (CassandraBackend) ro.backend();
                assertThatThrownBy(() -> ((CassandraStorage) b.storage()).cql.execute("SELECT reason FROM {mbox}.queue_entries").all())
                        .as("a read-only open adds no column").hasMessageContaining("reason");
            }
        } finally {
            try (Engine e = Engine.open(root, new OpenOptions(SettableClock.fixed(), "test", false, false))) {
                CassandraBackend b = (CassandraBackend) e.backend();
                for (String ks : List.of("msg", "mbox", "cache")) {
                    b.ddlForTests("DROP KEYSPACE IF EXISTS " + p + ks);
                }
            }
        }
    }
}
