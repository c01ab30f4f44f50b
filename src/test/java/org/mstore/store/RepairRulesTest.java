package org.mstore.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.NoSuchMessageException;
import org.mstore.testing.Disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What Repair does with what it finds (SPEC §4, §10): damaged bytes are quarantined and listed, files whose expunge
 * record was lost are swept for Remove when an intact index says so and kept otherwise, a message whose checksum is
 * known nowhere is kept.
 */
class RepairRulesTest {
    static final long NOW = StoreFixture.T0 + 5_000_000;
    @TempDir
    Path tmp;

    private static Mailbox.RepairResult repair(Path dir) throws Exception {
        try (var lock = Mailbox.lockForRepair(dir)) {
            return Mailbox.rebuild(dir, StoreFixture.UID_VALIDITY, 1, NOW, "20260302120000");
        }
    }

    private StoreFixture mailbox(int n) throws Exception {
        StoreFixture f = new StoreFixture(tmp.resolve("mbox"));
        try (Mailbox mb = f.create()) {
            f.append(mb, n);
        }
        return f;
    }

    private static void garble(Path file) throws Exception {
        Disk.flipByte(file, Files.size(file) / 2);
    }

    @Test
    void repair_quarantines_a_message_whose_bytes_do_not_match_its_record_and_lists_it() throws Exception {
        StoreFixture f = mailbox(5);
        garble(Mailbox.messageFile(f.dir, 2));
        Disk.truncate(Mailbox.messageFile(f.dir, 4), 10);
        byte[] damaged2 = Files.readAllBytes(Mailbox.messageFile(f.dir, 2));
        Mailbox.RepairResult r = repair(f.dir);
        assertThat(r.messages()).isEqualTo(3);
        assertThat(r.damaged()).isEqualTo(2);
        assertThat(r.quarantined()).extracting(Mailbox.Quarantined::uid, Mailbox.Quarantined::reason).containsExactly(
                org.assertj.core.groups.Tuple.tuple(2, "checksum does not match the index"),
                org.assertj.core.groups.Tuple.tuple(4, "size does not match the index"));
        assertThat(r.notes()).contains("UID 2: message file damaged (checksum does not match the index); left out",
                "UID 4: message file damaged (size does not match the index); left out");
        List<Mailbox.Quarantined> q = Mailbox.quarantined(f.dir);
        assertThat(q).extracting(Mailbox.Quarantined::uid, Mailbox.Quarantined::size, Mailbox.Quarantined::when).containsExactly(
                org.assertj.core.groups.Tuple.tuple(2, (long) damaged2.length, NOW), org.assertj.core.groups.Tuple.tuple(4, 10L, NOW));
        assertThat(q.get(0).reason()).isEqualTo("its checksum did not match its index or cache record");
        assertThat(q.get(1).reason()).isEqualTo("its size did not match its index or cache record");
        assertThat(q.get(0).file()).isEqualTo(f.dir.resolve("quarantine").resolve("2." + NOW + ".checksum.msg"));
        assertThat(Files.readAllBytes(q.get(0).file())).isEqualTo(damaged2);
        assertThat(Mailbox.messageFile(f.dir, 2)).doesNotExist();
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 3, 5);
            assertThatThrownBy(() -> mb.fetch(2)).isInstanceOf(NoSuchMessageException.class);
            assertThat(mb.verify()).isEmpty();
            // a quarantined UID is never given again
            assertThat(mb.index().header().nextUid()).isEqualTo(6);
        }
        // a second repair leaves the quarantine alone
        assertThat(repair(f.dir).damaged()).isZero();
        assertThat(Mailbox.quarantined(f.dir)).hasSize(2);
    }

    @Test
    void repair_checks_a_message_against_its_cache_record_when_the_index_is_lost() throws Exception {
        StoreFixture f = mailbox(4);
        garble(Mailbox.messageFile(f.dir, 3));
        Files.delete(f.dir.resolve(MailboxIndex.FILE));
        Mailbox.RepairResult r = repair(f.dir);
        assertThat(r.quarantined()).extracting(Mailbox.Quarantined::uid, Mailbox.Quarantined::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(3, "checksum does not match the cache"));
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 2, 4);
            for (IndexRecord rec : mb.index().records()) {
                assertThat(rec.internalDate()).isEqualTo(StoreFixture.T0 + rec.uid() * 1000L); // from the cache
            }
        }
    }

    @Test
    void repair_keeps_a_message_whose_checksum_is_known_nowhere_and_checksums_it_as_it_is() throws Exception {
        StoreFixture f = mailbox(4);
        garble(Mailbox.messageFile(f.dir, 3));
        byte[] now3 = Files.readAllBytes(Mailbox.messageFile(f.dir, 3));
        Files.delete(f.dir.resolve(MailboxIndex.FILE));
        Files.delete(f.dir.resolve(CacheFile.FILE));
        // the mailbox list counts no pending expunge (what the engine passes): no store.exp was lost
        Mailbox.RepairResult r = Mailbox.rebuild(f.dir, StoreFixture.UID_VALIDITY, 1, 0, NOW, "20260302120000");
        assertThat(r.damaged()).isZero();
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 2, 3, 4);
            assertThat(mb.fetch(3)).isEqualTo(now3);
            assertThat(mb.index().get(2).checksum()).isEqualTo(StoreFiles.crc(now3));
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void repair_lists_files_an_intact_index_does_not_know_and_no_list_names_for_remove() throws Exception {
        StoreFixture f = mailbox(8);
        try (Mailbox mb = f.open()) {
            mb.expunge(r -> r.uid() == 2 || r.uid() == 5, StoreFixture.T0 + 1);
            mb.clean("20260302100000");
            mb.expunge(r -> r.uid() == 6, StoreFixture.T0 + 2);
        }
        // the expunge records of 2, 5 and 6 are lost: a renamed list and store.exp gone
        Files.delete(f.dir.resolve("store.exp.20260302100000"));
        Files.delete(f.dir.resolve(ExpungeFile.FILE));
        Mailbox.RepairResult r = repair(f.dir);
        assertThat(r.orphans()).isEqualTo(3);
        assertThat(r.orphanList()).isEqualTo("20260302120000");
        assertThat(ExpungeFile.read(f.dir.resolve("store.exp.20260302120000"))).extracting(ExpungeFile.Entry::uid).containsExactly(2, 5, 6);
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 3, 4, 7, 8);
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.remove(s -> true).files()).isEqualTo(3);
        }
        assertThat(Mailbox.messageFile(f.dir, 5)).doesNotExist();
    }

    @Test
    void a_damaged_renamed_list_gets_its_lost_records_back_from_the_orphans() throws Exception {
        StoreFixture f = mailbox(6);
        try (Mailbox mb = f.open()) {
            mb.expunge(r -> r.uid() <= 3, StoreFixture.T0 + 1);
            mb.clean("20260302100000");
        }
        Path list = f.dir.resolve("store.exp.20260302100000");
        Disk.flipByte(list, ExpungeFile.HEADER_SIZE + ExpungeFile.RECORD_SIZE + 1); // UID 2's record
        Mailbox.RepairResult r = repair(f.dir);
        assertThat(r.orphans()).isEqualTo(1);
        assertThat(r.orphanList()).isEqualTo("20260302100000");
        assertThat(ExpungeFile.read(list)).extracting(ExpungeFile.Entry::uid).containsExactly(1, 3, 2);
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            assertThat(mb.cleanupStamps()).containsExactly("20260302100000");
        }
    }

    @Test
    void repair_keeps_files_no_list_names_when_the_index_is_not_intact() throws Exception {
        StoreFixture f = mailbox(6);
        try (Mailbox mb = f.open()) {
            mb.expunge(r -> r.uid() == 2, StoreFixture.T0 + 1);
        }
        Files.delete(f.dir.resolve(ExpungeFile.FILE));
        Disk.flipByte(f.dir.resolve(MailboxIndex.FILE), MailboxIndex.HEADER_SIZE + 3L * MailboxIndex.RECORD_SIZE + 2); // UID 5's record
        Mailbox.RepairResult r = repair(f.dir);
        try (Mailbox mb = f.open()) {
            // never lose mail: with the index damaged, a file no list names may be a live message (its cache record
            // says it is); never bring back what was expunged: the cache record of 2 says an expunge took it
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 3, 4, 5, 6);
            assertThat(mb.fetch(5)).isEqualTo(f.bytes.get(5));
            assertThat(mb.expunged()).extracting(Mailbox.Expunged::uid).containsExactly(2);
        }
        assertThat(r.orphans()).isEqualTo(1);
    }

    @Test
    void a_message_path_that_is_not_a_file_is_moved_aside_and_the_message_reported_lost() throws Exception {
        StoreFixture f = mailbox(3);
        Path m2 = Mailbox.messageFile(f.dir, 2);
        Files.delete(m2);
        Files.createDirectories(m2.resolve("x"));
        try (Mailbox mb = f.open()) {
            assertThatThrownBy(() -> mb.fetch(2)).hasMessage("message file of UID 2 is not a regular file but a directory");
        }
        Mailbox.RepairResult r = repair(f.dir);
        assertThat(r.lostFromIndex()).isEqualTo(1);
        assertThat(r.movedAside()).containsExactly(f.dir.relativize(m2.resolveSibling("2.msg.damaged-1")).toString());
        assertThat(m2.resolveSibling("2.msg.damaged-1").resolve("x")).isDirectory();
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 3);
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void a_file_where_a_message_directory_should_be_is_moved_aside_so_that_messages_can_go_there_again() throws Exception {
        StoreFixture f = mailbox(3);
        Path bucket = Mailbox.messageFile(f.dir, 1).getParent();
        ClassicStore.deleteRecursively(bucket);
        Files.write(bucket, new byte[] {1, 2, 3});
        try (Mailbox mb = f.open()) {
            assertThatThrownBy(() -> mb.fetch(1)).hasMessage("message file of UID 1 is missing");
            assertThatThrownBy(() -> f.append(mb, 1)).hasMessage("message directory 00 is not a directory");
        }
        Mailbox.RepairResult r = repair(f.dir);
        assertThat(r.lostFromIndex()).isEqualTo(3);
        assertThat(r.movedAside()).containsExactly("00.damaged-1");
        try (Mailbox mb = f.open()) {
            assertThat(f.append(mb, 1)).containsExactly(4);
            assertThat(mb.fetch(4)).isEqualTo(f.bytes.get(4));
            assertThat(mb.verify()).isEmpty();
        }
    }
}
