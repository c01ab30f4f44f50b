package org.mstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32C;

import org.mstore.api.MailboxFormatException;
import org.mstore.api.UidSet;

/**
 * {@code store.idx}: a 64-byte header and one 40-byte record per live message, big-endian, each
 * checksummed with CRC-32C. See {@code docs/store-format.md}.
 *
 * <p>The header's record count and cache end are the commit point of an append: records past the
 * count (and cache bytes past the end) are an interrupted append and are cut off by the next one.
 */
public final class MailboxIndex {
    public static final String FILE = "store.idx";
    public static final int MAGIC = 0x4D534958; // "MSIX"
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 64;
    public static final int RECORD_SIZE = 40;

    /** Header fields. */
    public record Header(int uidValidity, int nextUid, int recordCount, long cacheGeneration, long totalSize,
                         long lastModified, long cacheEnd) {
        public Header withCache(long generation, long end) {
            return new Header(uidValidity, nextUid, recordCount, generation, totalSize, lastModified, end);
        }

        public Header withNextUid(int next) {
            return new Header(uidValidity, next, recordCount, cacheGeneration, totalSize, lastModified, cacheEnd);
        }

        public Header withLastModified(long now) {
            return new Header(uidValidity, nextUid, recordCount, cacheGeneration, totalSize, now, cacheEnd);
        }
    }

    private Header header;
    private final List<IndexRecord> records;
    /** Bytes past the committed records (an interrupted append), found on read. */
    private final long uncommittedBytes;

    private MailboxIndex(Header header, List<IndexRecord> records, long uncommittedBytes) {
        this.header = header;
        this.records = records;
        this.uncommittedBytes = uncommittedBytes;
    }

    public static MailboxIndex empty(int uidValidity, long cacheGeneration, long now) {
        return new MailboxIndex(new Header(uidValidity, 1, 0, cacheGeneration, 0, now, CacheFile.HEADER_SIZE), new ArrayList<>(), 0);
    }

    public static MailboxIndex of(Header header, List<IndexRecord> records) {
        long total = 0;
        for (IndexRecord r : records) {
            total += r.size();
        }
        Header h = new Header(header.uidValidity(), header.nextUid(), records.size(), header.cacheGeneration(), total,
                header.lastModified(), header.cacheEnd());
        return new MailboxIndex(h, new ArrayList<>(records), 0);
    }

    public Header header() {
        return header;
    }

    public List<IndexRecord> records() {
        return Collections.unmodifiableList(records);
    }

    public int size() {
        return records.size();
    }

    public long uncommittedBytes() {
        return uncommittedBytes;
    }

    /** Position of {@code uid} in the record list, or a negative insertion point. */
    public int find(int uid) {
        int lo = 0;
        int hi = records.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int v = records.get(mid).uid();
            if (v < uid) {
                lo = mid + 1;
            } else if (v > uid) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    public IndexRecord get(int position) {
        return records.get(position);
    }

    /**
     * Positions of the messages of {@code set}, in UID order, each once: every resolved range is found by binary
     * search (UIDs are strictly increasing), so O(r log r + r log n + matches) for a set of r ranges.
     */
    public int[] positions(org.mstore.api.UidSet set) {
        int n = records.size();
        if (n == 0) {
            return new int[0];
        }
        int[] out = new int[n];
        int k = 0;
        for (long[] r : set.resolve(records.get(n - 1).uid())) {
            int p = find((int) r[0]);
            if (p < 0) {
                p = -p - 1;
            }
            while (p < n && records.get(p).uid() <= r[1]) {
                out[k++] = p++;
            }
        }
        return java.util.Arrays.copyOf(out, k);
    }

    // ---------------------------------------------------------------- reading

    /** Reads and checks a whole index. Throws {@link MailboxFormatException} on any inconsistency. */
    public static MailboxIndex read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException("Mailbox does not exist", true);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        Header h = readHeader(buf, file);
        long expected = HEADER_SIZE + (long) h.recordCount() * RECORD_SIZE;
        if (bytes.length < expected) {
            throw new MailboxFormatException(FILE + " is truncated: header says " + h.recordCount() + " records, file holds "
                    + (bytes.length - HEADER_SIZE) / RECORD_SIZE);
        }
        List<IndexRecord> records = new ArrayList<>(h.recordCount() + 16);
        CRC32C crc = new CRC32C();
        int prevUid = 0;
        long total = 0;
        for (int i = 0; i < h.recordCount(); i++) {
            int off = HEADER_SIZE + i * RECORD_SIZE;
            crc.reset();
            crc.update(bytes, off, RECORD_SIZE - 4);
            if ((int) crc.getValue() != buf.getInt(off + RECORD_SIZE - 4)) {
                throw new MailboxFormatException(FILE + " record " + (i + 1) + " has a bad checksum");
            }
            IndexRecord r = decodeRecord(buf, off);
            if (r.uid() <= prevUid) {
                throw new MailboxFormatException(FILE + " record " + (i + 1) + " has UID " + r.uid() + " out of order");
            }
            if (r.uid() >= h.nextUid()) {
                throw new MailboxFormatException(FILE + " record " + (i + 1) + " has UID " + r.uid() + " not below next UID " + h.nextUid());
            }
            if (r.size() < 0 || r.cacheLength() < CacheFile.RECORD_OVERHEAD || r.cacheOffset() < CacheFile.HEADER_SIZE
                    || r.cacheOffset() + r.cacheLength() > h.cacheEnd()) {
                throw new MailboxFormatException(FILE + " record " + (i + 1) + " (UID " + r.uid() + ") has impossible sizes");
            }
            prevUid = r.uid();
            total += r.size();
            records.add(r);
        }
        if (total != h.totalSize()) {
            throw new MailboxFormatException(FILE + " header size " + h.totalSize() + " does not match its records (" + total + ")");
        }
        return new MailboxIndex(h, records, bytes.length - expected);
    }

    private static Header readHeader(ByteBuffer buf, Path file) throws MailboxFormatException {
        if (buf.capacity() < HEADER_SIZE) {
            throw new MailboxFormatException(FILE + " is shorter than its header (" + buf.capacity() + " bytes)");
        }
        if (buf.getInt(0) != MAGIC) {
            throw new MailboxFormatException(FILE + " has a bad magic number");
        }
        int version = buf.getShort(4) & 0xffff;
        if (version != VERSION) {
            throw new MailboxFormatException(FILE + " has unsupported version " + version);
        }
        if ((buf.getShort(6) & 0xffff) != HEADER_SIZE || buf.getInt(8) != RECORD_SIZE) {
            throw new MailboxFormatException(FILE + " has an unexpected header or record size");
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, HEADER_SIZE - 4);
        if ((int) crc.getValue() != buf.getInt(HEADER_SIZE - 4)) {
            throw new MailboxFormatException(FILE + " header has a bad checksum");
        }
        int count = buf.getInt(20);
        if (count < 0) {
            throw new MailboxFormatException(FILE + " header has a negative record count");
        }
        return new Header(buf.getInt(12), buf.getInt(16), count, buf.getLong(24), buf.getLong(32), buf.getLong(40),
                buf.getLong(48));
    }

    private static IndexRecord decodeRecord(ByteBuffer buf, int off) {
        return new IndexRecord(buf.getInt(off), buf.getInt(off + 4), buf.getLong(off + 8), buf.getInt(off + 16),
                buf.getLong(off + 20), buf.getInt(off + 28));
    }

    /**
     * What can be saved from a damaged index: the header if it checks out, and every record whose own
     * checksum is right, whatever the header says. Never throws on bad content.
     */
    public record Salvage(Header header, List<IndexRecord> records) {
    }

    public static Salvage salvage(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return new Salvage(null, List.of());
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        Header h = null;
        try {
            h = readHeader(buf, file);
        } catch (MailboxFormatException e) {
            // header lost; records may still be readable
        }
        List<IndexRecord> out = new ArrayList<>();
        CRC32C crc = new CRC32C();
        for (int off = HEADER_SIZE; off + RECORD_SIZE <= bytes.length; off += RECORD_SIZE) {
            crc.reset();
            crc.update(bytes, off, RECORD_SIZE - 4);
            if ((int) crc.getValue() == buf.getInt(off + RECORD_SIZE - 4)) {
                IndexRecord r = decodeRecord(buf, off);
                if (r.uid() > 0) {
                    out.add(r);
                }
            }
        }
        return new Salvage(h, out);
    }

    // ---------------------------------------------------------------- writing

    private static ByteBuffer encodeHeader(Header h) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.putInt(0, MAGIC);
        b.putShort(4, (short) VERSION);
        b.putShort(6, (short) HEADER_SIZE);
        b.putInt(8, RECORD_SIZE);
        b.putInt(12, h.uidValidity());
        b.putInt(16, h.nextUid());
        b.putInt(20, h.recordCount());
        b.putLong(24, h.cacheGeneration());
        b.putLong(32, h.totalSize());
        b.putLong(40, h.lastModified());
        b.putLong(48, h.cacheEnd());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_SIZE - 4);
        b.putInt(HEADER_SIZE - 4, (int) crc.getValue());
        return b;
    }

    private static void encodeRecord(ByteBuffer b, int off, IndexRecord r, CRC32C crc) {
        b.putInt(off, r.uid());
        b.putInt(off + 4, r.flags());
        b.putLong(off + 8, r.internalDate());
        b.putInt(off + 16, r.size());
        b.putLong(off + 20, r.cacheOffset());
        b.putInt(off + 28, r.cacheLength());
        b.putInt(off + 32, 0);
        crc.reset();
        crc.update(b.array(), b.arrayOffset() + off, RECORD_SIZE - 4);
        b.putInt(off + RECORD_SIZE - 4, (int) crc.getValue());
    }

    /** Writes the whole index to {@code file} (a new file, forced to disk). */
    public void writeTo(Path file) throws IOException {
        ByteBuffer all = ByteBuffer.allocate(HEADER_SIZE + records.size() * RECORD_SIZE);
        all.put(encodeHeader(header));
        CRC32C crc = new CRC32C();
        for (int i = 0; i < records.size(); i++) {
            encodeRecord(all, HEADER_SIZE + i * RECORD_SIZE, records.get(i), crc);
        }
        all.position(0);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Durable.writeFully(ch, all, 0);
            ch.force(true);
        }
    }

    /** Writes the whole index beside {@code file} and renames it into place. */
    public void writeAtomically(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        writeTo(tmp);
        Durable.replace(tmp, file);
    }

    /** Replaces the in-memory content (after a rewrite that the caller has made durable). */
    void replaceAll(Header h, List<IndexRecord> newRecords) {
        records.clear();
        records.addAll(newRecords);
        header = h;
    }

    /**
     * Appends records in place: records first (forced), then the header that counts them (forced).
     * Cuts off an earlier interrupted append first.
     */
    void appendInPlace(Path file, List<IndexRecord> added, int nextUid, long cacheEnd, long now) throws IOException {
        long base = HEADER_SIZE + (long) records.size() * RECORD_SIZE;
        ByteBuffer b = ByteBuffer.allocate(added.size() * RECORD_SIZE);
        CRC32C crc = new CRC32C();
        long addedSize = 0;
        for (int i = 0; i < added.size(); i++) {
            encodeRecord(b, i * RECORD_SIZE, added.get(i), crc);
            addedSize += added.get(i).size();
        }
        Header h = new Header(header.uidValidity(), nextUid, records.size() + added.size(), header.cacheGeneration(),
                header.totalSize() + addedSize, now, cacheEnd);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(base);
            Durable.writeFully(ch, b, base);
            ch.force(false);
            Durable.writeFully(ch, encodeHeader(h), 0);
            ch.force(false);
        }
        records.addAll(added);
        header = h;
    }

    /** Rewrites the records at the given positions in place (flag changes), then forces the file. */
    void rewriteInPlace(Path file, int[] positions, List<IndexRecord> updated) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate(RECORD_SIZE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (int i = 0; i < positions.length; i++) {
                encodeRecord(b, 0, updated.get(i), crc);
                b.clear();
                Durable.writeFully(ch, b, HEADER_SIZE + (long) positions[i] * RECORD_SIZE);
                b.clear();
                records.set(positions[i], updated.get(i));
            }
            ch.force(false);
        }
    }
}
