package org.mstore.mailbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.ExpungedMessage;
import org.mstore.api.Flags;
import org.mstore.api.MessageRecord;
import org.mstore.api.ReadOnlyStoreException;
import org.mstore.api.Setting;
import org.mstore.api.UidSet;
import org.mstore.api.UnexpungeResult;
import org.mstore.engine.Engine;
import org.mstore.store.Mailbox;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Recovery of expunged messages (unexpunge), on a real store. */
class UnexpungeTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 5); // UIDs 1-5, "Message i to user/alice"
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private void expunge(String uids) throws Exception {
        s.engine.mailboxes().setFlags(BOX, UidSet.parse(uids), Flags.SEEN | Flags.DELETED, org.mstore.api.FlagMode.ADD);
        s.engine.mailboxes().expunge(BOX);
    }

    @Test
    void unexpunge_brings_back_a_message_with_its_bytes_and_internal_date_under_a_new_uid_without_deleted() throws Exception {
        byte[] original = s.engine.mailboxes().fetch(BOX, 2);
        long date = s.engine.mailboxes().records(BOX, UidSet.parse("2")).get(0).internalDate();
        expunge("2");
        s.clock.advance(Duration.ofMinutes(5));

        UnexpungeResult r = s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2"));

        assertThat(r.oldUids()).containsExactly(2);
        assertThat(r.newUids()).containsExactly(6);
        assertThat(s.engine.mailboxes().fetch(BOX, 6)).isEqualTo(original);
        MessageRecord back = s.engine.mailboxes().records(BOX, UidSet.parse("6")).get(0);
        assertThat(back.internalDate()).isEqualTo(date);
        assertThat(back.flags() & Flags.DELETED).isZero();
        assertThat(s.info(BOX).messageCount()).isEqualTo(5);
        assertThat(s.info(BOX).nextUid()).isEqualTo(7);
    }

    private static final int KEPT = Flags.SEEN | Flags.FLAGGED | Flags.ANSWERED;

    /** \Seen \Flagged \Answered set on {@code uids}, then \Deleted, then expunged. */
    private void flagAndExpunge(String uids) throws Exception {
        s.engine.mailboxes().setFlags(BOX, UidSet.parse(uids), KEPT, org.mstore.api.FlagMode.ADD);
        expunge(uids);
    }

    private int flags(int uid) throws Exception {
        return s.engine.mailboxes().records(BOX, UidSet.parse(Integer.toString(uid))).get(0).flags();
    }

    @Test
    void unexpunge_restores_the_flags_the_message_had_when_expunged_except_deleted() throws Exception {
        flagAndExpunge("2");
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("3"), Flags.DRAFT, org.mstore.api.FlagMode.ADD);
        expunge("3");

        UnexpungeResult r = s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:3"));

        assertThat(r.newUids()).containsExactly(6, 7);
        assertThat(flags(6)).isEqualTo(KEPT);
        assertThat(flags(7)).isEqualTo(Flags.DRAFT | Flags.SEEN); // expunge() set \Seen too
    }

    @Test
    void unexpunge_restores_the_flags_also_after_clean_renamed_the_list() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "1");
        flagAndExpunge("2:3"); // past store.cleanupsize
        s.engine.daemon().drain(); // Clean: store.exp renamed, Remove waits for store.cleanupage
        assertThat(Mailbox.cleanupStamps(s.dir(BOX))).hasSize(1);

        UnexpungeResult r = s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:3"));

        assertThat(flags(r.newUids()[0])).isEqualTo(KEPT);
        assertThat(flags(r.newUids()[1])).isEqualTo(KEPT);
    }

    @Test
    void a_recovered_message_is_not_taken_by_the_next_expunge() throws Exception {
        byte[] original = s.engine.mailboxes().fetch(BOX, 2);
        flagAndExpunge("2");
        int back = s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2")).newUids()[0];

        assertThat(s.engine.mailboxes().expunge(BOX).messages()).isZero();

        assertThat(s.engine.mailboxes().fetch(BOX, back)).isEqualTo(original);
        assertThat(s.info(BOX).messageCount()).isEqualTo(5);
    }

    @Test
    void expunged_lists_what_is_recoverable_with_date_sender_and_subject() throws Exception {
        expunge("2:3");
        List<ExpungedMessage> list = s.engine.mailboxes().expunged(BOX);
        assertThat(list).extracting(ExpungedMessage::uid).containsExactly(2, 3);
        assertThat(list).allSatisfy(m -> assertThat(m.state()).isEqualTo(ExpungedMessage.State.RECOVERABLE));
        assertThat(list.get(0).subject()).isEqualTo("Message 1 to user/alice");
        assertThat(list.get(0).from()).isNotBlank();
        assertThat(list.get(0).size()).isEqualTo(s.engine.mailboxes().expunged(BOX).get(0).size()).isPositive();

        s.engine.mailboxes().unexpunge(BOX, UidSet.parse("3"));
        list = s.engine.mailboxes().expunged(BOX);
        assertThat(list.get(1).state()).isEqualTo(ExpungedMessage.State.RECOVERED);
        assertThat(list.get(1).recoveredAs()).isEqualTo(6);
    }

    @Test
    void a_message_cannot_be_recovered_twice() throws Exception {
        expunge("2");
        s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2"));
        long next = s.info(BOX).nextUid();
        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("UID 2 of user/alice was already recovered as UID 6");
        assertThat(s.info(BOX).nextUid()).isEqualTo(next);
    }

    @Test
    void unexpunge_fails_clearly_after_remove_deleted_the_file_and_recovers_none_of_the_set() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "1");
        expunge("2:3");
        s.engine.daemon().drain(); // Clean
        s.clock.advance(Duration.ofHours(2));
        s.engine.daemon().drain(); // Remove
        assertThat(Files.exists(Mailbox.messageFile(s.dir(BOX), 2))).isFalse();
        expunge("4"); // still recoverable
        long next = s.info(BOX).nextUid();

        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("UID 2 of user/alice can no longer be recovered: its file was removed by Remove");
        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("99")))
                .hasMessageContaining("does not exist");
        assertThat(s.info(BOX).nextUid()).isEqualTo(next);
        assertThat(s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:4")).oldUids()).containsExactly(4);
    }

    @Test
    void a_message_a_clean_set_aside_is_recoverable_until_remove() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "1");
        byte[] original = s.engine.mailboxes().fetch(BOX, 2);
        expunge("2:3");
        s.engine.daemon().drain(); // Clean: store.exp renamed, Remove waits for store.cleanupage
        assertThat(s.queue()).extracting(q -> q.action()).containsExactly(Action.REMOVE);

        UnexpungeResult r = s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2"));
        assertThat(s.engine.mailboxes().fetch(BOX, r.newUids()[0])).isEqualTo(original);

        s.clock.advance(Duration.ofHours(2));
        s.engine.daemon().drain(); // Remove deletes the old file; the copy stays
        assertThat(s.engine.mailboxes().fetch(BOX, r.newUids()[0])).isEqualTo(original);
        assertThat(s.engine.maintenance().check(BOX).problems()).isEmpty();
    }

    @Test
    void the_expunged_count_goes_down() throws Exception {
        expunge("1:3");
        assertThat(s.info(BOX).expunged()).isEqualTo(3);
        s.engine.mailboxes().unexpunge(BOX, UidSet.parse("1:2"));
        assertThat(s.info(BOX).expunged()).isEqualTo(1);
        expunge("4");
        assertThat(s.info(BOX).expunged()).isEqualTo(2);
    }

    @Test
    void a_read_only_store_refuses() throws Exception {
        expunge("2");
        try (Engine ro = Engine.open(s.root, TestStore.options(s.clock).withReadOnly(true))) {
            assertThat(ro.mailboxes().expunged(BOX)).extracting(ExpungedMessage::uid).containsExactly(2);
            assertThatThrownBy(() -> ro.mailboxes().unexpunge(BOX, UidSet.parse("2"))).isInstanceOf(ReadOnlyStoreException.class);
        }
        assertThat(s.engine.mailboxes().expunged(BOX).get(0).recoverable()).isTrue();
    }

    @Test
    void a_crash_after_the_append_leaves_the_copy_and_the_message_recoverable_again_never_lost() throws Exception {
        byte[] original = s.engine.mailboxes().fetch(BOX, 2);
        expunge("2");
        s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2"));
        // what a halt at unexpunge.after-append leaves: the copy committed, the recovery not recorded
        Files.delete(s.dir(BOX).resolve("store.unexp"));

        assertThat(s.engine.mailboxes().fetch(BOX, 6)).isEqualTo(original);
        assertThat(s.engine.mailboxes().expunged(BOX).get(0).recoverable()).isTrue();
        assertThat(s.engine.maintenance().check(BOX).problems()).isEmpty();
    }

    @Test
    void a_file_whose_bytes_no_longer_match_its_checksum_is_not_recovered() throws Exception {
        expunge("2:3");
        Path f = Mailbox.messageFile(s.dir(BOX), 3);
        byte[] b = Files.readAllBytes(f);
        b[b.length - 3] ^= 0x20; // same size, other bytes
        Files.write(f, b);
        long next = s.info(BOX).nextUid();

        assertThatThrownBy(() -> s.engine.mailboxes().unexpunge(BOX, UidSet.parse("2:3")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("UID 3 of user/alice cannot be recovered: its file is damaged (its checksum does not match its cache record)");
        assertThat(s.info(BOX).nextUid()).isEqualTo(next);
        assertThat(s.engine.mailboxes().expunged(BOX).get(0).recoverable()).isTrue();
    }
}
