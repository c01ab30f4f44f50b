package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.ActionFigures;
import org.mstore.api.NoSuchMessageException;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.SessionLockedException;
import org.mstore.api.Setting;
import org.mstore.api.TaskResult;
import org.mstore.engine.Engine;

/**
 * The seed's removal lifecycle on the Cassandra store, through the same API as the classic store's tests, with the
 * seed's Cassandra differences: one queue, no Clean (past store.cleanupsize a Purge is queued), the Purge deferred by
 * store.cleanupage and deleting records and blobs, nothing left dangling.
 */
@ExtendWith(CassandraFixture.class)
class CassandraLifecycleTest {
    static final String BOX = "user/alice";
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("life");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (var m : s.engine.mailboxes().list()) {
            if (m.name().split("/").length == 2) {
                s.engine.mailboxes().delete(m.name());
            }
        }
        s.close();
    }

    @Test
    void the_store_says_what_it_is() {
        var info = s.engine.info();
        assertThat(info.backend()).isEqualTo("cassandra");
        assertThat(info.features().cleanupStep()).isFalse();
        assertThat(info.features().cacheOffsets()).isFalse();
        assertThat(info.location()).contains(prefix).contains("LOCAL_QUORUM");
    }

    @Test
    void past_cleanupsize_a_purge_is_queued_not_a_clean() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "10");
        s.mailbox(BOX);
        s.append(BOX, 30);
        s.expunge(BOX, "1:10");
        assertThat(s.queue()).isEmpty();
        assertThat(s.engine.mailboxes().get(BOX).expunged()).isEqualTo(10);

        s.expunge(BOX, "11");
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.PURGE);
        assertThat(s.engine.mailboxes().get(BOX).expunged()).isEqualTo(11);
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(19);
        // expunged: gone for clients at once
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 5)).isInstanceOf(NoSuchMessageException.class);
        // Clean does not exist here
        assertThatThrownBy(() -> s.engine.queue().request(BOX, Action.CLEAN)).hasMessageContaining("does not exist on the cassandra store");
    }

    @Test
    void purge_waits_for_cleanupage_then_deletes_records_and_blobs_leaving_nothing() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "5");
        s.mailbox(BOX);
        s.append(BOX, 40);
        var id = s.backend.mailboxIdForTests(BOX);
        long blobsBefore = s.rows("SELECT uid FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = 0", id);
        assertThat(blobsBefore).isEqualTo(40);
        s.expunge(BOX, "1:20");

        s.clock.advance(Duration.ofMinutes(59));
        assertThat(s.engine.daemon().drain()).isEmpty(); // store.cleanupage is 1h: not yet due
        assertThat(s.rows("SELECT uid FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = 0", id)).isEqualTo(40);

        s.clock.advance(Duration.ofMinutes(2));
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(x -> x.entry().action()).containsExactly(Action.PURGE);
        assertThat(r.get(0).outcome()).isEqualTo(Outcome.DONE);
        assertThat(r.get(0).bytesReclaimed()).isPositive();
        var info = s.engine.mailboxes().get(BOX);
        assertThat(info.expunged()).isZero();
        assertThat(info.messageCount()).isEqualTo(20);
        assertThat(info.cacheRecords()).isEqualTo(20);
        assertThat(info.cacheExpunged()).isZero();
        assertThat(info.lastPurge()).isNotNull();
        assertThat(s.queue()).isEmpty();
        // nothing of the purged messages is left: records, blobs, blob references, summaries, purge to-dos
        assertThat(s.rows("SELECT uid FROM {mbox}.messages WHERE mailbox_id = ? AND bucket = 0", id)).isEqualTo(20);
        assertThat(s.rows("SELECT uid FROM {msg}.blob_refs WHERE mailbox_id = ? AND bucket = 0", id)).isEqualTo(20);
        assertThat(s.rows("SELECT uid FROM {cache}.summaries WHERE mailbox_id = ? AND bucket = 0", id)).isEqualTo(20);
        assertThat(s.rows("SELECT uid FROM {mbox}.expunged WHERE mailbox_id = ? AND bucket = 0", id)).isZero();
        for (int uid = 21; uid <= 40; uid++) {
            assertThat(new String(s.engine.mailboxes().fetch(BOX, uid))).contains("Body " + (uid - 1));
        }
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
    }

    @Test
    void a_purge_within_cleanupage_is_not_counted_as_waiting_and_its_due_time_is_the_expunge_plus_cleanupage() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "5");
        s.mailbox(BOX);
        s.append(BOX, 10);
        s.expunge(BOX, "1:6");
        java.time.Instant expunged = s.clock.instant();
        s.clock.advance(Duration.ofMinutes(20));

        ActionFigures purge = s.engine.queue().figures().stream().filter(x -> x.action() == Action.PURGE).findFirst().orElseThrow();
        assertThat(purge.inQueue()).isEqualTo(1);
        assertThat(purge.oldestDue()).contains(expunged.plus(Duration.ofHours(1)));
        assertThat(purge.oldestAge(s.clock.instant())).isEmpty(); // due in 40 min: not waiting yet
        s.clock.advance(Duration.ofMinutes(45));
        purge = s.engine.queue().figures().stream().filter(x -> x.action() == Action.PURGE).findFirst().orElseThrow();
        assertThat(purge.oldestAge(s.clock.instant())).contains(Duration.ofMinutes(5));
        assertThat(s.engine.info().features().due(s.queue().get(0), Duration.ofHours(1))).isEqualTo(expunged.plus(Duration.ofHours(1)));
    }

    @Test
    void messages_expunged_later_wait_for_their_own_cleanupage() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "5");
        s.mailbox(BOX);
        s.append(BOX, 40);
        s.expunge(BOX, "1:10");
        s.clock.advance(Duration.ofMinutes(50));
        s.expunge(BOX, "11:20");
        s.clock.advance(Duration.ofMinutes(11)); // the first ten are 61 min old, the next ten 11 min
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).hasSize(1);
        assertThat(r.get(0).detail()).contains("purged 10 expunged messages").contains("10 expunged less than");
        assertThat(s.engine.mailboxes().get(BOX).expunged()).isEqualTo(10);
        // the rest exceed store.cleanupsize: a Purge due when the oldest of them is
        List<QueueEntry> q = s.queue();
        assertThat(q).extracting(QueueEntry::action).containsExactly(Action.PURGE);
        s.clock.advance(Duration.ofMinutes(48));
        assertThat(s.engine.daemon().drain()).isEmpty();
        s.clock.advance(Duration.ofMinutes(2));
        assertThat(s.engine.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.engine.mailboxes().get(BOX).expunged()).isZero();
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(20);
    }

    @Test
    void a_forced_purge_runs_at_once() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 10);
        s.expunge(BOX, "1:4");
        s.engine.queue().request(BOX, Action.PURGE);
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.engine.mailboxes().get(BOX).expunged()).isZero();
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(6);
    }

    @Test
    void a_purge_no_longer_needed_is_skipped() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "3");
        s.mailbox(BOX);
        s.append(BOX, 10);
        s.expunge(BOX, "1:5");
        s.engine.settings().set(Setting.CLEANUP_SIZE, "100");
        s.clock.advance(Duration.ofHours(2));
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.SKIPPED);
        assertThat(r.get(0).detail()).contains("does not exceed store.cleanupsize 100");
    }

    @Test
    void a_purge_is_skipped_when_expunged_only_equals_cleanupsize() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "3");
        s.mailbox(BOX);
        s.append(BOX, 10);
        s.expunge(BOX, "1:5");
        s.engine.settings().set(Setting.CLEANUP_SIZE, "5"); // Expunged 5 does not exceed 5
        s.clock.advance(Duration.ofHours(2));
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.SKIPPED);
        assertThat(r.get(0).detail()).isEqualTo("Expunged 5 does not exceed store.cleanupsize 5");
        assertThat(s.engine.mailboxes().get(BOX).expunged()).isEqualTo(5);
    }

    @Test
    void flags_undelete_and_uids_behave_as_on_the_classic_store() throws Exception {
        s.mailbox(BOX);
        int[] uids = s.append(BOX, 5);
        assertThat(uids).containsExactly(1, 2, 3, 4, 5);
        s.engine.mailboxes().setDeleted(BOX, org.mstore.api.UidSet.parse("2:3"), true);
        s.engine.mailboxes().setDeleted(BOX, org.mstore.api.UidSet.parse("3"), false);
        assertThat(s.engine.mailboxes().expunge(BOX).uids()).containsExactly(2);
        assertThat(s.append(BOX, 1)).containsExactly(6);
        var snap = s.engine.mailboxes().snapshot(BOX);
        assertThat(snap.records()).extracting(org.mstore.api.MessageRecord::uid).containsExactly(1, 3, 4, 5, 6);
        assertThat(snap.nextUid()).isEqualTo(7);
        // imcheck -m's listing: summaries from the cache keyspace
        assertThat(s.engine.mailboxes().messages(BOX, 0, 10)).extracting(v -> v.summary().subject()).contains("Message 0 to user/alice");
    }

    @Test
    void deleting_a_mailbox_leaves_nothing_behind_and_drops_its_entries() throws Exception {
        s.mailbox(BOX);
        s.mailbox(BOX + "/Archive");
        s.append(BOX + "/Archive", 12);
        s.expunge(BOX + "/Archive", "1:3");
        s.engine.queue().request(BOX + "/Archive", Action.REPAIR);
        var id = s.backend.mailboxIdForTests(BOX + "/Archive");
        assertThat(s.engine.mailboxes().delete(BOX)).containsExactly(BOX, BOX + "/Archive");
        assertThat(s.queue()).isEmpty();
        for (String t : List.of("{mbox}.messages", "{mbox}.expunged", "{cache}.summaries", "{msg}.blob_refs")) {
            assertThat(s.rows("SELECT uid FROM " + t + " WHERE mailbox_id = ? AND bucket = 0", id)).as(t).isZero();
        }
        assertThat(s.engine.mailboxes().list()).isEmpty();
    }

    @Test
    void two_impurges_on_one_host_get_the_seeds_session_lock_error() throws Exception {
        try (Engine other = Engine.open(s.root, new org.mstore.api.OpenOptions(s.clock, "test", false, false))) {
            other.daemon().start(org.mstore.api.DaemonMode.daemon());
            try {
                assertThatThrownBy(() -> s.engine.daemon().drain()).isInstanceOf(SessionLockedException.class)
                        .hasMessageContaining("Could not get purge session lock");
            } finally {
                other.daemon().stop();
            }
        }
    }

    @Test
    void imcheck_q_shows_the_one_queue_in_the_seeds_layout() throws Exception {
        s.mailbox(BOX);
        s.engine.queue().request(BOX, Action.REPAIR);
        s.engine.queue().request(BOX, Action.PURGE);
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactlyInAnyOrder(Action.REPAIR, Action.PURGE);
        assertThat(s.engine.queue().countsByAction()).containsEntry(Action.REPAIR, 1L).containsEntry(Action.PURGE, 1L)
                .containsEntry(Action.CLEAN, 0L);
        // a second request for a waiting task adds nothing
        assertThat(s.engine.queue().request(BOX, Action.REPAIR).added()).isFalse();
        assertThat(s.engine.queue().count()).isEqualTo(2);
        assertThat(s.engine.settings().explicit()).isEmpty();
        s.engine.settings().apply(Map.of(Setting.PURGE_COUNT, "7"));
        assertThat(s.engine.settings().snapshot().purgeCount()).isEqualTo(7);
    }
}
