package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.ExpungedMessage;
import org.mstore.api.Flags;
import org.mstore.api.MessageRecord;
import org.mstore.api.Action;
import org.mstore.api.Outcome;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.api.UnexpungeResult;
import org.mstore.fs.CrashPoint;

/**
 * Expunged mail recovered on the Cassandra store until its Purge: listed with date, sender and subject, brought back
 * as new messages with their bytes and their flags less \Deleted, all or none, and never twice, also when the recovery
 * is cut short.
 */
@ExtendWith(CassandraFixture.class)
class CassandraUnexpungeTest {
    static final String BOX = "user/una";
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("unexp");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
        s.mailbox(BOX);
        s.append(BOX, 5);
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("2"), Flags.SEEN | Flags.FLAGGED, org.mstore.api.FlagMode.ADD);
        s.expunge(BOX, "2:3");
    }

    @AfterEach
    void tearDown() throws Exception {
        CrashPoint.clearFaults();
        s.engine.mailboxes().delete(BOX);
        s.close();
    }

    private int flagsOf(int uid) throws Exception {
        return s.engine.mailboxes().records(BOX, UidSet.parse(Integer.toString(uid))).stream().mapToInt(MessageRecord::flags).findFirst()
                .orElseThrow();
    }

    @Test
    void expunged_messages_are_listed_and_recovered_with_new_uids_their_bytes_and_flags_less_deleted() throws Exception {
        List<ExpungedMessage> listed = s.engine.mailboxes().expunged(BOX);
        assertThat(listed).extracting(ExpungedMessage::uid).containsExactly(2, 3);
        assertThat(listed).allSatisfy(x -> assertThat(x.recoverable()).isTrue());
        assertThat(listed.get(0).subject()).isEqualTo("Message 1 to " + BOX);

        UnexpungeResult r = s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:3"));
        assertThat(r.newUids()).containsExactly(6, 7);
        assertThat(new String(s.engine.mailboxes().fetch(BOX, 6))).contains("Subject: Message 1 to " + BOX);
        assertThat(flagsOf(6)).isEqualTo(Flags.SEEN | Flags.FLAGGED);
        assertThat(flagsOf(7)).isZero();
        assertThat(s.engine.mailboxes().expunged(BOX)).isEmpty();
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(5);
        assertThat(s.engine.mailboxes().get(BOX).expunged()).isZero();
        assertThat(s.engine.mailboxes().get(BOX).cacheRecords()).as("records: the old ones went with the recovery").isEqualTo(5);
        assertThat(s.engine.mailboxes().get(BOX).cacheExpunged()).isZero();
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
    }

    @Test
    void recovery_is_all_or_none_and_a_purged_or_recovered_message_is_refused() throws Exception {
        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("4"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UID 4 is not an expunged message");
        s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2"));
        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.engine.mailboxes().expunged(BOX)).extracting(ExpungedMessage::uid).containsExactly(3);

        s.engine.queue().request(BOX, Action.PURGE); // an admin's Purge now runs at once, whatever store.cleanupage says
        s.engine.daemon().drain();
        assertThat(s.engine.mailboxes().expunged(BOX)).isEmpty();
        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("3"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("purged already");
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(4);
    }

    @Test
    void a_purge_that_finds_nothing_left_after_an_unexpunge_is_skipped_with_the_reason() throws Exception {
        s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:3"));
        long recno = s.engine.queue().request(BOX, Action.PURGE).recno(); // "Purge now": past the thresholds' re-check

        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.SKIPPED);
        assertThat(r.get(0).detail()).isEqualTo("nothing to purge: no expunged message is left (recovered or purged since the Purge was queued)");
        assertThat(s.engine.queue().finished(recno)).hasValueSatisfying(h -> {
            assertThat(h.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(h.detail()).startsWith("nothing to purge");
            assertThat(h.bytesReclaimed()).isZero();
        });
        assertThat(s.engine.mailboxes().get(BOX).lastPurge()).as("nothing was purged").isNull();
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(5);
    }

    @Test
    void an_unexpunge_cut_short_after_its_copies_is_finished_by_repair_and_recovers_nothing_twice() throws Exception {
        CrashPoint.injectFault("cassandra-unexpunge.after-copies");
        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:3")));
        CrashPoint.clearFaults();

        assertThat(s.engine.maintenance().inspect(BOX).problems()).anySatisfy(p -> assertThat(p).contains("an interrupted unexpunge"));
        String detail = s.engine.maintenance().reconstruct(BOX);
        assertThat(detail).contains("5 messages");
        assertThat(s.engine.mailboxes().expunged(BOX)).isEmpty();
        assertThat(flagsOf(6)).isEqualTo(Flags.SEEN | Flags.FLAGGED);
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
    }

    @Test
    void an_unexpunge_cut_short_before_its_copies_leaves_the_messages_expunged_and_recoverable() throws Exception {
        CrashPoint.injectFault("cassandra-unexpunge.after-intent");
        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:3")));
        CrashPoint.clearFaults();

        s.engine.maintenance().reconstruct(BOX);
        assertThat(s.engine.mailboxes().get(BOX).messageCount()).isEqualTo(3);
        assertThat(s.engine.mailboxes().expunged(BOX)).extracting(ExpungedMessage::uid).containsExactly(2, 3);
        assertThat(s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:3")).newUids()).containsExactly(8, 9);
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
    }
}
