package org.mstore.store;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mstore.api.Flags;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.UidSet;
import org.mstore.testing.Disk;
import org.mstore.testing.ExpungeListV2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * {@code store.exp} version 3 keeps each expunged message's flags and checksum, so that a recovery restores the one
 * and checks the other; lists of version 2 (staged byte by byte as the previous release wrote them, by
 * {@link ExpungeListV2}) are still read, recovered from (without flags), renamed by Clean in their version, and
 * rewritten in version 3 by the next expunge without losing a record.
 */
class ExpungeListVersionTest {
    static final String STAMP = "20260302100000";
    static final int KEPT = Flags.SEEN | Flags.ANSWERED | Flags.FLAGGED | Flags.DRAFT;

    @TempDir
    Path tmp;

    private StoreFixture fixture() {
        return new StoreFixture(tmp.resolve("mbox"));
    }

    private Path exp(StoreFixture f) {
        return f.dir.resolve(ExpungeFile.FILE);
    }

    /** Six messages; 2 and 3 with {@code KEPT} flags, all {@code \Deleted}, expunged (committed in store.exp). */
    private StoreFixture twoExpunged() throws Exception {
        StoreFixture f = fixture();
        try (Mailbox mb = f.create()) {
            f.append(mb, 6);
            mb.setFlag(UidSet.parse("2:3"), KEPT, true);
            mb.setFlag(UidSet.parse("2:3"), Flags.DELETED, true);
            assertThat(mb.expunge(r -> r.uid() == 2 || r.uid() == 3, StoreFixture.T0 + 1000).messages()).isEqualTo(2);
        }
        return f;
    }

    /** What a crash leaves after an expunge of {@code uid} wrote store.exp but before the new index was renamed in. */
    private static void uncommittedExpunge(StoreFixture f, int uid) throws Exception {
        Path idx = f.dir.resolve(MailboxIndex.FILE);
        byte[] committed = Files.readAllBytes(idx);
        try (Mailbox mb = f.open()) {
            mb.expunge(r -> r.uid() == uid, StoreFixture.T0 + 2000);
        }
        Files.write(idx, committed);
    }

    private static int flagsOf(Mailbox mb, int uid) throws Exception {
        return StoreFixture.flags(mb, uid);
    }

    @Test
    void an_expunge_record_keeps_the_flags_and_the_checksum_the_message_had() throws Exception {
        StoreFixture f = twoExpunged();
        assertThat(ExpungeFile.readHeader(exp(f)).version()).isEqualTo(3);
        assertThat(ExpungeFile.read(exp(f))).extracting(ExpungeFile.Entry::uid, ExpungeFile.Entry::flags, ExpungeFile.Entry::checksum)
                .containsExactly(tuple(2, KEPT | Flags.DELETED, StoreFiles.crc(f.bytes.get(2))),
                        tuple(3, KEPT | Flags.DELETED, StoreFiles.crc(f.bytes.get(3))));
    }

    @Test
    void a_version_2_store_exp_is_still_listed_and_its_messages_recovered_without_flags() throws Exception {
        StoreFixture f = twoExpunged();
        ExpungeListV2.rewrite(exp(f));
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.pendingExpunged()).isEqualTo(2);
            assertThat(mb.expunged()).extracting(Mailbox.Expunged::uid, Mailbox.Expunged::recoverable, Mailbox.Expunged::flags)
                    .containsExactly(tuple(2, true, 0), tuple(3, true, 0));
            int[] back = mb.unexpunge(new int[] {2}, StoreFixture.T0 + 5000);
            assertThat(back).containsExactly(7);
            assertThat(mb.fetch(7)).isEqualTo(f.bytes.get(2));
            assertThat(flagsOf(mb, 7)).isZero(); // version 2 kept no flags
            assertThat(mb.verify()).isEmpty();
        }
        assertThat(ExpungeListV2.version(exp(f))).isEqualTo(2); // a recovery does not write store.exp
    }

    @Test
    void the_next_expunge_rewrites_a_version_2_store_exp_in_version_3_without_losing_a_record() throws Exception {
        StoreFixture f = twoExpunged();
        uncommittedExpunge(f, 4); // a record past the committed count: cut off, as an append would
        ExpungeListV2.rewrite(exp(f));
        long fileId;
        try (Mailbox mb = f.open()) {
            fileId = mb.index().header().expungeFileId();
            mb.setFlag(UidSet.parse("5"), Flags.SEEN | Flags.FLAGGED | Flags.DELETED, true);
            assertThat(mb.expunge(r -> r.uid() == 5, StoreFixture.T0 + 3000).messages()).isEqualTo(1);
            assertThat(mb.pendingExpunged()).isEqualTo(3);
        }
        assertThat(ExpungeFile.readHeader(exp(f))).satisfies(h -> {
            assertThat(h.version()).isEqualTo(3);
            assertThat(h.fileId()).isEqualTo(fileId);
            assertThat(h.count()).isEqualTo(3);
        });
        assertThat(Files.size(exp(f))).isEqualTo(ExpungeFile.HEADER_SIZE + 3L * ExpungeFile.RECORD_SIZE);
        assertThat(f.dir.resolve(Mailbox.EXP_NEW)).doesNotExist();
        assertThat(ExpungeFile.read(exp(f))).extracting(ExpungeFile.Entry::uid, ExpungeFile.Entry::seq, ExpungeFile.Entry::flags)
                .containsExactly(tuple(2, 1, 0), tuple(3, 1, 0), tuple(5, 2, Flags.SEEN | Flags.FLAGGED | Flags.DELETED));
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 4, 6);
            assertThat(mb.verify()).isEmpty();
            int[] back = mb.unexpunge(new int[] {2, 5}, StoreFixture.T0 + 5000);
            assertThat(flagsOf(mb, back[0])).isZero();
            assertThat(flagsOf(mb, back[1])).isEqualTo(Flags.SEEN | Flags.FLAGGED);
            assertThat(mb.fetch(back[1])).isEqualTo(f.bytes.get(5));
        }
    }

    @Test
    void an_expunge_that_rewrote_a_version_2_store_exp_but_did_not_commit_loses_nothing() throws Exception {
        StoreFixture f = twoExpunged();
        ExpungeListV2.rewrite(exp(f));
        uncommittedExpunge(f, 4); // store.exp rewritten in version 3 with 4's record; the index still lists 4
        assertThat(ExpungeFile.readHeader(exp(f)).version()).isEqualTo(3);
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 4, 5, 6);
            assertThat(mb.fetch(4)).isEqualTo(f.bytes.get(4));
            assertThat(mb.pendingExpunged()).isEqualTo(2);
            assertThat(mb.expunged()).extracting(Mailbox.Expunged::uid).containsExactly(2, 3);
            assertThat(mb.verify()).isEmpty();
            mb.expunge(r -> r.uid() == 6, StoreFixture.T0 + 3000);
        }
        assertThat(ExpungeFile.read(exp(f))).extracting(ExpungeFile.Entry::uid).containsExactly(2, 3, 6);
    }

    @Test
    void a_leftover_store_exp_new_of_an_upgrade_cut_short_is_deleted_by_the_next_open() throws Exception {
        StoreFixture f = twoExpunged();
        ExpungeListV2.rewrite(exp(f));
        byte[] v2 = Files.readAllBytes(exp(f));
        Files.write(f.dir.resolve(Mailbox.EXP_NEW), new byte[] {0x4D, 0x53, 0x45}); // the rewrite, torn before its rename
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.pendingExpunged()).isEqualTo(2);
        }
        assertThat(f.dir.resolve(Mailbox.EXP_NEW)).doesNotExist();
        assertThat(Files.readAllBytes(exp(f))).isEqualTo(v2);
    }

    @Test
    void a_clean_renames_a_version_2_store_exp_in_version_2_and_remove_and_recovery_still_read_it() throws Exception {
        StoreFixture f = twoExpunged();
        uncommittedExpunge(f, 4);
        ExpungeListV2.rewrite(exp(f));
        Path renamed = f.dir.resolve(ExpungeFile.FILE + "." + STAMP);
        try (Mailbox mb = f.open()) {
            assertThat(mb.clean(STAMP)).isEqualTo(STAMP);
        }
        assertThat(ExpungeListV2.version(renamed)).isEqualTo(2);
        assertThat(ExpungeFile.read(renamed)).extracting(ExpungeFile.Entry::uid).containsExactly(2, 3); // 4 never committed
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            int[] back = mb.unexpunge(new int[] {3}, StoreFixture.T0 + 5000);
            assertThat(flagsOf(mb, back[0])).isZero();
            assertThat(mb.remove(s -> true).files()).isEqualTo(2); // 2 and the old file of 3; never 4, still in the index
            assertThat(mb.fetch(back[0])).isEqualTo(f.bytes.get(3));
            assertThat(mb.fetch(4)).isEqualTo(f.bytes.get(4));
            assertThat(mb.verify()).isEmpty();
        }
        assertThat(renamed).doesNotExist();
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {2, 3})
    void a_store_exp_cut_at_a_record_boundary_is_detected_in_either_version(int version) throws Exception {
        StoreFixture f = twoExpunged();
        if (version == 2) {
            ExpungeListV2.rewrite(exp(f));
        }
        Disk.truncate(exp(f), Files.size(exp(f)) - (version == 2 ? 24 : ExpungeFile.RECORD_SIZE));
        assertThatThrownBy(f::open).isInstanceOf(MailboxFormatException.class)
                .hasMessage("store.exp is truncated: it holds 1 whole records, the index says 2 were committed");
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {2, 3})
    void a_renamed_list_cut_at_a_record_boundary_is_detected_in_either_version(int version) throws Exception {
        StoreFixture f = twoExpunged();
        if (version == 2) {
            ExpungeListV2.rewrite(exp(f));
        }
        Path renamed = f.dir.resolve(ExpungeFile.FILE + "." + STAMP);
        try (Mailbox mb = f.open()) {
            mb.clean(STAMP);
        }
        Disk.truncate(renamed, Files.size(renamed) - (version == 2 ? 24 : ExpungeFile.RECORD_SIZE));
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).containsExactly("store.exp." + STAMP + " holds 1 whole records, its header says 2");
            assertThatThrownBy(() -> mb.remove(s -> true)).isInstanceOf(MailboxFormatException.class)
                    .hasMessage("store.exp." + STAMP + " holds 1 whole records, its header says 2");
            assertThatThrownBy(() -> mb.unexpunge(new int[] {2}, StoreFixture.T0)).isInstanceOf(MailboxFormatException.class);
        }
        assertThat(Mailbox.messageFile(f.dir, 2)).exists();
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {2, 3})
    void a_record_with_a_bad_checksum_is_detected_in_either_version(int version) throws Exception {
        StoreFixture f = twoExpunged();
        if (version == 2) {
            ExpungeListV2.rewrite(exp(f));
        }
        int rs = version == 2 ? 24 : ExpungeFile.RECORD_SIZE;
        Disk.flipByte(exp(f), ExpungeFile.HEADER_SIZE + rs + rs - 6); // record 2, the field before its checksum
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).containsExactly("store.exp record 2 has a bad checksum");
            assertThatThrownBy(() -> mb.expunge(r -> r.uid() == 4, StoreFixture.T0)).isInstanceOf(MailboxFormatException.class)
                    .hasMessage("store.exp record 2 has a bad checksum");
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 4, 5, 6);
        }
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {2, 3})
    void repair_salvages_every_record_of_a_list_whose_header_is_lost_in_either_version(int version) throws Exception {
        StoreFixture f = twoExpunged();
        try (Mailbox mb = f.open()) {
            mb.expunge(r -> r.uid() == 4, StoreFixture.T0 + 2000);
        }
        if (version == 2) {
            ExpungeListV2.rewrite(exp(f));
        }
        Path renamed = f.dir.resolve(ExpungeFile.FILE + "." + STAMP);
        try (Mailbox mb = f.open()) {
            mb.clean(STAMP);
        }
        Disk.overwriteStart(renamed, new byte[ExpungeFile.HEADER_SIZE]); // the whole header lost, version and sizes with it
        Mailbox.RepairResult r;
        try (var lock = Mailbox.lockForRepair(f.dir)) {
            r = Mailbox.rebuild(f.dir, StoreFixture.UID_VALIDITY, 7, StoreFixture.T0 + 10_000, "20260302110000");
        }
        assertThat(r.orphans()).isZero();
        assertThat(ExpungeFile.read(renamed)).extracting(ExpungeFile.Entry::uid, ExpungeFile.Entry::flags)
                .containsExactly(tuple(2, version == 2 ? 0 : KEPT | Flags.DELETED), tuple(3, version == 2 ? 0 : KEPT | Flags.DELETED),
                        tuple(4, 0)); // 4 had no flags
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 5, 6);
        }
    }

    @Test
    void repair_keeps_the_flags_and_checksums_of_the_expunge_records_it_honours() throws Exception {
        StoreFixture f = twoExpunged();
        Disk.flipByte(f.dir.resolve(MailboxIndex.FILE), 20); // the index header lost: every record of store.exp counts
        try (var lock = Mailbox.lockForRepair(f.dir)) {
            Mailbox.rebuild(f.dir, StoreFixture.UID_VALIDITY, 7, StoreFixture.T0 + 10_000, "20260302110000");
        }
        assertThat(ExpungeFile.read(exp(f))).extracting(ExpungeFile.Entry::uid, ExpungeFile.Entry::flags, ExpungeFile.Entry::checksum)
                .containsExactly(tuple(2, KEPT | Flags.DELETED, StoreFiles.crc(f.bytes.get(2))),
                        tuple(3, KEPT | Flags.DELETED, StoreFiles.crc(f.bytes.get(3))));
        try (Mailbox mb = f.open()) {
            int[] back = mb.unexpunge(new int[] {2, 3}, StoreFixture.T0 + 20_000);
            assertThat(flagsOf(mb, back[0])).isEqualTo(KEPT);
            assertThat(flagsOf(mb, back[1])).isEqualTo(KEPT);
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void a_damaged_file_is_not_recovered_when_only_its_expunge_record_still_knows_its_checksum() throws Exception {
        StoreFixture f = twoExpunged();
        try (var lock = Mailbox.lockForRepair(f.dir)) { // a Repair keeps no cache record of an expunged message
            Mailbox.rebuild(f.dir, StoreFixture.UID_VALIDITY, 7, StoreFixture.T0 + 10_000, "20260302110000");
        }
        Path file = Mailbox.messageFile(f.dir, 3);
        byte[] b = Files.readAllBytes(file);
        b[b.length - 3] ^= 0x20; // same size, other bytes
        Files.write(file, b);
        try (Mailbox mb = f.open()) {
            assertThatThrownBy(() -> mb.unexpunge(new int[] {2, 3}, StoreFixture.T0 + 20_000)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("UID 3 of user/alice cannot be recovered: its file is damaged (its checksum does not match its expunge record)");
            assertThat(mb.index().header().nextUid()).isEqualTo(7);
            assertThat(mb.expunged()).allSatisfy(x -> assertThat(x.recoverable()).isTrue());
        }
    }
}
