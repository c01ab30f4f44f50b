package org.mstore.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.Flags;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.NoSuchMessageException;
import org.mstore.api.UidSet;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SPEC §3, §10: an expunge commits with the index (the rename of the new index is the commit; {@code store.exp}
 * records past the count the index committed never count), and Clean is crash-safe: a message the user did not
 * expunge is never lost, one they expunged never comes back. Each test stages what a crash between two durable steps
 * leaves on disk, as {@code CrashSafetyTest} does.
 */
class ExpungeCommitTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;

    @Test
    void an_expunge_that_did_not_commit_loses_no_message_the_user_undeletes() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            s.mailbox(BOX);
            s.append(BOX, 100);
            s.expunge(BOX, "1:10"); // an expunge that committed: 90 messages
            Path dir = s.dir(BOX);
            byte[] oldIndex = Files.readAllBytes(dir.resolve(MailboxIndex.FILE));
            // client delete 20:30, client expunge ... and the crash: store.exp written, the new index never renamed
            s.engine.mailboxes().setDeleted(BOX, UidSet.parse("20:30"), true);
            byte[] flaggedIndex = Files.readAllBytes(dir.resolve(MailboxIndex.FILE));
            assertThat(s.engine.mailboxes().expunge(BOX).messages()).isEqualTo(11);
            Files.write(dir.resolve(MailboxIndex.FILE), flaggedIndex);
            assertThat(ExpungeFile.count(dir.resolve(ExpungeFile.FILE))).isEqualTo(21); // 10 committed, 11 not
            assertThat(oldIndex).isNotEqualTo(flaggedIndex);

            // client undelete 20:30: the messages are there
            assertThat(s.engine.mailboxes().setDeleted(BOX, UidSet.parse("20:30"), false)).isEqualTo(11);
            for (int uid = 20; uid <= 30; uid++) {
                assertThat(new String(s.engine.mailboxes().fetch(BOX, uid), StandardCharsets.UTF_8)).contains("Body " + (uid - 1));
            }
            try (Mailbox mb = Mailbox.open(dir, org.mstore.api.MailboxName.parse(BOX))) {
                assertThat(mb.pendingExpunged()).isEqualTo(10);
                assertThat(mb.verify()).isEmpty();
            }

            // reconstruct: still 90, UID 25 still there
            assertThat(s.engine.maintenance().reconstruct(BOX)).contains("90 messages");
            assertThat(s.info(BOX).messageCount()).isEqualTo(90);
            assertThat(new String(s.engine.mailboxes().fetch(BOX, 25), StandardCharsets.UTF_8)).contains("Body 24");
            assertThat(s.engine.mailboxes().messages(BOX, 0, 1000)).extracting(m -> m.record().uid())
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(11, 100).boxed().toList());

            // and the lifecycle never removes them: a later expunge, Clean, Remove
            s.expunge(BOX, "50");
            s.requestAndDrain(BOX, Action.CLEAN);
            s.requestAndDrain(BOX, Action.REMOVE);
            for (int uid = 20; uid <= 30; uid++) {
                assertThat(Mailbox.messageFile(dir, uid)).exists();
            }
            assertThat(Mailbox.messageFile(dir, 50)).doesNotExist();
            assertThat(Mailbox.messageFile(dir, 5)).doesNotExist();
            assertThat(s.info(BOX).messageCount()).isEqualTo(89);
        }
    }

    @Test
    void records_of_an_expunge_that_did_not_commit_are_ignored_and_cut_off_by_the_next_expunge() throws Exception {
        StoreFixture f = new StoreFixture(tmp.resolve("mbox"));
        try (Mailbox mb = f.create()) {
            f.append(mb, 10);
            mb.expunge(r -> r.uid() == 1, StoreFixture.T0);
        }
        Path idx = f.dir.resolve(MailboxIndex.FILE);
        Path exp = f.dir.resolve(ExpungeFile.FILE);
        byte[] committed = Files.readAllBytes(idx);
        try (Mailbox mb = f.open()) {
            mb.expunge(r -> r.uid() <= 4, StoreFixture.T0 + 1);
        }
        Files.write(idx, committed); // the crash: the index that drops 2-4 was never renamed into place
        assertThat(ExpungeFile.read(exp)).extracting(ExpungeFile.Entry::uid, ExpungeFile.Entry::seq)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 1), org.assertj.core.groups.Tuple.tuple(2, 2),
                        org.assertj.core.groups.Tuple.tuple(3, 2), org.assertj.core.groups.Tuple.tuple(4, 2));
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(2, 3, 4, 5, 6, 7, 8, 9, 10);
            assertThat(mb.pendingExpunged()).isEqualTo(1);
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.expunge(r -> r.uid() == 9, StoreFixture.T0 + 2).messages()).isEqualTo(1);
            assertThat(mb.index().header().expungeSeq()).isEqualTo(2);
        }
        assertThat(ExpungeFile.read(exp)).extracting(ExpungeFile.Entry::uid, ExpungeFile.Entry::seq)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 1), org.assertj.core.groups.Tuple.tuple(9, 2));
        // a Clean cuts off an uncommitted tail before the rename: the renamed list holds what was committed
        try (Mailbox mb = f.open()) {
            mb.expunge(r -> r.uid() == 10, StoreFixture.T0 + 3);
        }
        byte[] two = Files.readAllBytes(idx);
        try (Mailbox mb = f.open()) {
            mb.expunge(r -> r.uid() == 8, StoreFixture.T0 + 4);
        }
        Files.write(idx, two);
        try (Mailbox mb = f.open()) {
            assertThat(mb.clean("20260302100000")).isEqualTo("20260302100000");
            assertThat(mb.pendingExpunged()).isZero();
        }
        assertThat(ExpungeFile.read(f.dir.resolve("store.exp.20260302100000"))).extracting(ExpungeFile.Entry::uid).containsExactly(1, 9, 10);
        try (Mailbox mb = f.open()) {
            mb.remove(st -> true);
            assertThat(StoreFixture.uids(mb)).containsExactly(2, 3, 4, 5, 6, 7, 8);
            assertThat(mb.fetch(8)).isEqualTo(f.bytes.get(8));
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void a_clean_cut_short_between_its_rename_and_its_header_write_is_rolled_forward_on_open() throws Exception {
        StoreFixture f = new StoreFixture(tmp.resolve("mbox"));
        try (Mailbox mb = f.create()) {
            f.append(mb, 6);
            mb.expunge(r -> r.uid() <= 2, StoreFixture.T0);
        }
        Path idx = f.dir.resolve(MailboxIndex.FILE);
        byte[] before = Files.readAllBytes(idx);
        long oldId;
        try (Mailbox mb = f.open()) {
            oldId = mb.index().header().expungeFileId();
            assertThat(mb.clean("20260302100000")).isEqualTo("20260302100000");
        }
        Files.write(idx, before); // the crash: store.exp renamed, the header naming a new store.exp never written
        try (Mailbox mb = f.open()) {
            MailboxIndex.Header h = mb.index().header();
            assertThat(h.expungeCount()).isZero();
            assertThat(h.expungeFileId()).isNotEqualTo(oldId).isNotZero();
            assertThat(mb.pendingExpunged()).isZero();
            // the Clean runs again (its queue entry is still there): nothing to rename, and the renamed list is still
            // reported, so that its Remove is queued
            assertThat(mb.clean("20260302100500")).isNull();
            assertThat(mb.cleanupStamps()).containsExactly("20260302100000");
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.remove(s -> true).files()).isEqualTo(2);
            assertThat(mb.expunge(r -> r.uid() == 3, StoreFixture.T0 + 1).messages()).isEqualTo(1);
        }
        assertThat(ExpungeFile.readHeader(f.dir.resolve(ExpungeFile.FILE)).fileId()).isNotEqualTo(oldId);
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(4, 5, 6);
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void a_store_exp_missing_its_committed_records_or_of_another_index_is_a_format_error() throws Exception {
        StoreFixture f = new StoreFixture(tmp.resolve("mbox"));
        try (Mailbox mb = f.create()) {
            f.append(mb, 6);
            mb.expunge(r -> r.uid() <= 2, StoreFixture.T0);
        }
        Path exp = f.dir.resolve(ExpungeFile.FILE);
        byte[] good = Files.readAllBytes(exp);
        Files.delete(exp);
        assertThatThrownBy(f::open).isInstanceOf(MailboxFormatException.class)
                .hasMessage("store.exp is missing: the index says 2 expunged messages were committed to it");
        ExpungeFile.write(exp, 12345, List.of(new ExpungeFile.Entry(1, 10, 0, 1), new ExpungeFile.Entry(2, 10, 0, 1)));
        assertThatThrownBy(f::open).isInstanceOf(MailboxFormatException.class)
                .hasMessageStartingWith("store.exp belongs to another index: its file id is 12345, the index expects ");
        Files.write(exp, java.util.Arrays.copyOf(good, good.length - ExpungeFile.RECORD_SIZE));
        assertThatThrownBy(f::open).isInstanceOf(MailboxFormatException.class)
                .hasMessage("store.exp is truncated: it holds 1 whole records, the index says 2 were committed");
        Files.write(exp, good);
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void a_repair_cut_short_after_writing_its_store_exp_is_detected_and_repaired_again() throws Exception {
        StoreFixture f = StoreFixture.lifecycle(tmp.resolve("mbox"));
        Path idx = f.dir.resolve(MailboxIndex.FILE);
        byte[] oldIndex = Files.readAllBytes(idx);
        byte[] oldCache = Files.readAllBytes(f.dir.resolve(CacheFile.FILE));
        try (var lock = Mailbox.lockForRepair(f.dir)) {
            Mailbox.rebuild(f.dir, StoreFixture.UID_VALIDITY, 13, StoreFixture.T0 + 1_000_000);
        }
        // the crash: the new store.exp (a new file id) is in place, the new cache and index are not
        Files.write(idx, oldIndex);
        Files.write(f.dir.resolve(CacheFile.FILE), oldCache);
        assertThatThrownBy(f::open).isInstanceOf(MailboxFormatException.class).hasMessageStartingWith("store.exp belongs to another index");
        try (var lock = Mailbox.lockForRepair(f.dir)) {
            Mailbox.rebuild(f.dir, StoreFixture.UID_VALIDITY, 13, StoreFixture.T0 + 2_000_000);
        }
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(StoreFixture.uids(mb)).containsExactly(7, 8, 9, 10, 11, 12);
            assertThat(StoreFixture.flags(mb, 7)).isEqualTo(Flags.DELETED);
            assertThat(mb.pendingExpunged()).isEqualTo(2);
            assertThatThrownBy(() -> mb.fetch(5)).isInstanceOf(NoSuchMessageException.class);
        }
    }
}
