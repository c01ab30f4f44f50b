package org.mstore.store;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Flags;
import org.mstore.api.UidSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEC §1: the formats are versioned. Version 1 of {@code store.idx}, {@code store.cache} and {@code store.exp}
 * (written here byte by byte, as the previous release wrote them) is still read; its records carry no message
 * checksum; the first change to such a mailbox rewrites it in version 2.
 */
class FormatVersionTest {
    @TempDir
    Path tmp;

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /**
     * A version-1 mailbox: messages 1-5 (their files written), 3 expunged (in store.exp, not in the index), 5 in
     * store.exp but still in the index (an expunge that version 1 could not tell had not committed), 1 \Seen.
     */
    private StoreFixture versionOne() throws Exception {
        StoreFixture f = new StoreFixture(tmp.resolve("mbox"));
        Files.createDirectories(f.dir);
        int uv = StoreFixture.UID_VALIDITY;
        // cache v1
        ByteBuffer cache = ByteBuffer.allocate(64 * 1024);
        cache.putInt(0x4D534341).putShort((short) 1).putShort((short) 32).putInt(uv).putInt(0).putLong(1).putInt(0);
        cache.putInt(28, crc(cache.array(), 0, 28));
        cache.position(32);
        List<IndexRecord> records = new ArrayList<>();
        for (int uid = 1; uid <= 5; uid++) {
            byte[] m = StoreFixture.message(uid);
            f.bytes.put(uid, m);
            Path file = Mailbox.messageFile(f.dir, uid);
            Files.createDirectories(file.getParent());
            Files.write(file, m);
            long date = StoreFixture.T0 + uid * 1000L;
            byte[] payload = SummaryCodec.encode(SummaryCodec.parse(m, m.length, date, m.length));
            int start = cache.position();
            cache.put(CacheFile.LIVE).put((byte) 0).putShort((short) 0).putInt(uid).putInt(payload.length).put(payload);
            cache.putInt(crc(cache.array(), start + 4, 8 + payload.length));
            if (uid != 3) {
                records.add(new IndexRecord(uid, uid == 1 ? Flags.SEEN : 0, date, m.length, start, 16 + payload.length));
            }
        }
        int cacheEnd = cache.position();
        Files.write(f.dir.resolve(CacheFile.FILE), java.util.Arrays.copyOf(cache.array(), cacheEnd));
        // index v1
        ByteBuffer idx = ByteBuffer.allocate(64 + records.size() * 40);
        long total = records.stream().mapToLong(IndexRecord::size).sum();
        idx.putInt(0, 0x4D534958).putShort(4, (short) 1).putShort(6, (short) 64).putInt(8, 40).putInt(12, uv).putInt(16, 6)
                .putInt(20, records.size()).putLong(24, 1).putLong(32, total).putLong(40, StoreFixture.T0).putLong(48, cacheEnd);
        idx.putInt(60, crc(idx.array(), 0, 60));
        for (int i = 0; i < records.size(); i++) {
            IndexRecord r = records.get(i);
            int off = 64 + i * 40;
            idx.putInt(off, r.uid()).putInt(off + 4, r.flags()).putLong(off + 8, r.internalDate()).putInt(off + 16, r.size())
                    .putLong(off + 20, r.cacheOffset()).putInt(off + 28, r.cacheLength()).putInt(off + 32, 0);
            idx.putInt(off + 36, crc(idx.array(), off, 36));
        }
        Files.write(f.dir.resolve(MailboxIndex.FILE), idx.array());
        writeExpungeV1(f.dir.resolve(ExpungeFile.FILE), 3, 5);
        return f;
    }

    private static void writeExpungeV1(Path file, int... uids) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(16 + uids.length * 24);
        b.putInt(0, 0x4D534558).putShort(4, (short) 1).putShort(6, (short) 16).putInt(8, 24);
        b.putInt(12, crc(b.array(), 0, 12));
        for (int i = 0; i < uids.length; i++) {
            int off = 16 + i * 24;
            b.putInt(off, uids[i]).putInt(off + 4, 100).putLong(off + 8, StoreFixture.T0).putInt(off + 16, 0);
            b.putInt(off + 20, crc(b.array(), off, 20));
        }
        Files.write(file, b.array());
    }

    @Test
    void a_version_1_mailbox_is_read_with_its_checksums_unknown() throws Exception {
        StoreFixture f = versionOne();
        try (Mailbox mb = f.open()) {
            assertThat(mb.index().version()).isEqualTo(1);
            assertThat(mb.index().header().legacyExpungeList()).isTrue();
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 2, 4, 5);
            assertThat(mb.index().records()).allSatisfy(r -> assertThat(r.checksumKnown()).isFalse());
            for (int uid : new int[] {1, 2, 4, 5}) {
                assertThat(mb.fetch(uid)).isEqualTo(f.bytes.get(uid));
            }
            assertThat(mb.summary(mb.index().get(0)).subject()).isEqualTo("Message 1");
            assertThat(mb.pendingExpunged()).isEqualTo(2); // version 1 counted every record of store.exp
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void the_first_change_to_a_version_1_mailbox_rewrites_it_in_version_2() throws Exception {
        StoreFixture f = versionOne();
        try (Mailbox mb = f.open()) {
            assertThat(mb.setFlag(UidSet.parse("2"), Flags.FLAGGED, true)).isEqualTo(1);
            assertThat(mb.index().version()).isEqualTo(2);
        }
        assertThat(Files.readAllBytes(f.dir.resolve(MailboxIndex.FILE))[5]).isEqualTo((byte) 2);
        assertThat(ExpungeFile.readHeader(f.dir.resolve(ExpungeFile.FILE)).version()).isEqualTo(3); // store.exp is written in version 3
        // UID 5 was in store.exp but still in the index: an expunge that never committed; left out of the new list
        assertThat(ExpungeFile.read(f.dir.resolve(ExpungeFile.FILE))).extracting(ExpungeFile.Entry::uid).containsExactly(3);
        try (Mailbox mb = f.open()) {
            assertThat(mb.index().version()).isEqualTo(2);
            assertThat(mb.index().header().expungeCount()).isEqualTo(1);
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 2, 4, 5);
            assertThat(StoreFixture.flags(mb, 1)).isEqualTo(Flags.SEEN);
            assertThat(StoreFixture.flags(mb, 2)).isEqualTo(Flags.FLAGGED);
            assertThat(mb.index().records()).allSatisfy(r -> assertThat(r.checksumKnown()).isFalse());
            for (int uid : new int[] {1, 2, 4, 5}) {
                assertThat(mb.fetch(uid)).isEqualTo(f.bytes.get(uid));
            }
            assertThat(mb.verify()).isEmpty();
            // new messages have checksums
            f.append(mb, 1);
            assertThat(mb.index().get(4).checksumKnown()).isTrue();
        }
        // a Repair computes the checksums that version 1 did not have
        try (var lock = Mailbox.lockForRepair(f.dir)) {
            Mailbox.rebuild(f.dir, StoreFixture.UID_VALIDITY, 1, StoreFixture.T0 + 10_000);
        }
        try (Mailbox mb = f.open()) {
            assertThat(StoreFixture.uids(mb)).containsExactly(1, 2, 4, 5, 6);
            assertThat(mb.index().records()).allSatisfy(r -> assertThat(r.checksum()).isEqualTo(StoreFiles.crc(f.bytes.get(r.uid()))));
            assertThat(mb.verify()).isEmpty();
        }
    }

    @Test
    void a_version_1_renamed_list_is_still_read_by_remove_and_the_full_check() throws Exception {
        StoreFixture f = versionOne();
        Files.move(f.dir.resolve(ExpungeFile.FILE), f.dir.resolve("store.exp.20260101000000"));
        try (Mailbox mb = f.open()) {
            assertThat(mb.verify()).isEmpty();
            Mailbox.RemoveResult r = mb.remove(s -> true);
            assertThat(r.files()).isEqualTo(1); // 3; never 5, which is in the index
        }
        assertThat(Mailbox.messageFile(f.dir, 3)).doesNotExist();
        assertThat(Mailbox.messageFile(f.dir, 5)).exists();
    }
}
