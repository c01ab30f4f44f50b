package org.mstore.store;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import org.mstore.api.MailboxFormatException;
import org.mstore.api.UidSet;
import org.mstore.fs.CrashPoint;
import org.mstore.fs.OwnerOnly;

/**
 * {@code store.idx}: a header and one 40-byte record per live message, big-endian, each checksummed with
 * CRC-32C. See {@code docs/store-format.md}.
 *
 * <p>The header's record count and cache end are the commit point of an append: records past the count (and cache
 * bytes past the end) are an interrupted append and are cut off by the next one. Its expunge sequence and the id and
 * record count of {@code store.exp} are the commit point of an expunge.
 *
 * <p>An index is opened lazily ({@link #open}): the header is read and checked, and the records only when they are
 * needed: all of them (each checksum checked) for a listing, an expunge or a purge, or a few, each checked as it is
 * read, for a lookup or a flag change, which binary-search the fixed-size records on disk. A small index (at most
 * {@value #EAGER_BYTES} bytes) is read whole at once: one read either way.
 */
public final class MailboxIndex {
    public static final String FILE = "store.idx";
    public static final int MAGIC = 0x4D534958; // "MSIX"
    /** The version written; version 1 (64-byte header, no message checksums) is still read. */
    public static final int VERSION = 2;
    public static final int HEADER_SIZE = 128;
    public static final int V1_HEADER_SIZE = 64;
    public static final int RECORD_SIZE = 40;
    /** Bit 31 of a version-2 record's flags word: offset 32 holds the message's CRC-32C. */
    static final int CHECKSUM_KNOWN = 0x8000_0000;
    /** An index file up to this size is read whole on open. */
    static final int EAGER_BYTES = 64 * 1024;
    /** Records read per call when a flag change reads runs of records from disk. */
    private static final int RUN_CHUNK = 1024;

    /**
     * Header fields.
     *
     * @param expungeSeq    the sequence number of the last committed expunge
     * @param expungeFileId the id of the current {@code store.exp} (in its header)
     * @param expungeCount  its records that are committed; -1 for a version-1 index, which did not count them (all
     *                      whole records of {@code store.exp} count then)
     */
    public record Header(int uidValidity, int nextUid, int recordCount, long cacheGeneration, long totalSize,
                         long lastModified, long cacheEnd, int expungeSeq, long expungeFileId, int expungeCount) {
        /** A header without an expunge list yet. */
        public Header(int uidValidity, int nextUid, int recordCount, long cacheGeneration, long totalSize, long lastModified,
                      long cacheEnd) {
            this(uidValidity, nextUid, recordCount, cacheGeneration, totalSize, lastModified, cacheEnd, 0, 0, 0);
        }

        public Header withCache(long generation, long end) {
            return new Header(uidValidity, nextUid, recordCount, generation, totalSize, lastModified, end, expungeSeq, expungeFileId,
                    expungeCount);
        }

        public Header withNextUid(int next) {
            return new Header(uidValidity, next, recordCount, cacheGeneration, totalSize, lastModified, cacheEnd, expungeSeq, expungeFileId,
                    expungeCount);
        }

        public Header withLastModified(long now) {
            return new Header(uidValidity, nextUid, recordCount, cacheGeneration, totalSize, now, cacheEnd, expungeSeq, expungeFileId,
                    expungeCount);
        }

        public Header withExpunge(int seq, long fileId, int count) {
            return new Header(uidValidity, nextUid, recordCount, cacheGeneration, totalSize, lastModified, cacheEnd, seq, fileId, count);
        }

        /** True for a version-1 index, which does not say which records of {@code store.exp} are committed. */
        public boolean legacyExpungeList() {
            return expungeCount < 0;
        }
    }

    private final Path file;
    private int version;
    private Header header;
    /** Null until loaded. */
    private ArrayList<IndexRecord> records;
    /** Bytes past the committed records (an interrupted append), found on open. */
    private long uncommittedBytes;
    /** Records read one run at a time (lookups, flag changes) rather than by a whole load. */
    private long recordsRead;

    private MailboxIndex(Path file, int version, Header header, ArrayList<IndexRecord> records, long uncommittedBytes) {
        this.file = file;
        this.version = version;
        this.header = header;
        this.records = records;
        this.uncommittedBytes = uncommittedBytes;
    }

    public static MailboxIndex empty(int uidValidity, long cacheGeneration, long now) {
        return new MailboxIndex(null, VERSION, new Header(uidValidity, 1, 0, cacheGeneration, 0, now, CacheFile.HEADER_SIZE, 0,
                ExpungeFile.newFileId(), 0), new ArrayList<>(), 0);
    }

    public static MailboxIndex of(Header header, List<IndexRecord> records) {
        long total = 0;
        for (IndexRecord r : records) {
            total += r.size();
        }
        Header h = new Header(header.uidValidity(), header.nextUid(), records.size(), header.cacheGeneration(), total,
                header.lastModified(), header.cacheEnd(), header.expungeSeq(), header.expungeFileId(), header.expungeCount());
        return new MailboxIndex(null, VERSION, h, new ArrayList<>(records), 0);
    }

    public Header header() {
        return header;
    }

    /** The format version of the file this index was read from (1 or 2). */
    public int version() {
        return version;
    }

    /** The number of live messages (from the header: no record is read). */
    public int size() {
        return header.recordCount();
    }

    public long uncommittedBytes() {
        return uncommittedBytes;
    }

    /** True once every record is in memory. */
    public boolean loaded() {
        return records != null;
    }

    /** Records read from disk one run at a time since the index was opened (lookups and flag changes); for tests. */
    public long recordsRead() {
        return recordsRead;
    }

    /** Every record, in UID order; loads and checks the whole index on first use. */
    public List<IndexRecord> records() throws IOException {
        load();
        return Collections.unmodifiableList(records);
    }

    /** Position of {@code uid} in the record list, or a negative insertion point; loads the index. */
    public int find(int uid) throws IOException {
        load();
        return find(records, uid);
    }

    private static int find(List<IndexRecord> records, int uid) {
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

    /** The record at {@code position}; loads the index. */
    public IndexRecord get(int position) throws IOException {
        load();
        return records.get(position);
    }

    /**
     * The record of {@code uid}, or null: from memory when loaded, else by a binary search of the records on disk
     * (each record read is checked).
     */
    IndexRecord lookup(int uid) throws IOException {
        if (records != null) {
            int p = find(records, uid);
            return p >= 0 ? records.get(p) : null;
        }
        if (header.recordCount() == 0) {
            return null;
        }
        try (OnDisk d = new OnDisk()) {
            int p = d.lowerBound(uid);
            if (p < header.recordCount()) {
                IndexRecord r = d.at(p);
                return r.uid() == uid ? r : null;
            }
            return null;
        }
    }

    /**
     * Positions of the messages of {@code set}, in UID order, each once: every resolved range is found by binary
     * search (UIDs are strictly increasing), so O(r log r + r log n + matches) for a set of r ranges. When the
     * records are not loaded the search runs on disk, reading O(r log n) records.
     */
    public int[] positions(UidSet set) throws IOException {
        int n = header.recordCount();
        if (n == 0) {
            return new int[0];
        }
        if (records != null) {
            int[] out = new int[n];
            int k = 0;
            for (long[] r : set.resolve(records.get(n - 1).uid())) {
                int p = find(records, (int) r[0]);
                if (p < 0) {
                    p = -p - 1;
                }
                while (p < n && records.get(p).uid() <= r[1]) {
                    out[k++] = p++;
                }
            }
            return Arrays.copyOf(out, k);
        }
        try (OnDisk d = new OnDisk()) {
            long[][] ranges = set.resolve(d.at(n - 1).uid());
            if (searchCostsMoreThanLoad(ranges.length)) {
                d.close();
                load();
                return positions(set);
            }
            int total = 0;
            int[][] spans = new int[ranges.length][];
            for (int i = 0; i < ranges.length; i++) {
                int from = d.lowerBound(ranges[i][0]);
                int to = d.lowerBound(ranges[i][1] + 1);
                spans[i] = new int[] {from, to};
                total += to - from;
            }
            int[] out = new int[total];
            int k = 0;
            for (int[] s : spans) {
                for (int p = s[0]; p < s[1]; p++) {
                    out[k++] = p;
                }
            }
            return out;
        }
    }

    /**
     * True when binary-searching {@code searches} ranges on disk would read more records than a sequential read of the
     * whole index is worth: each search reads about two log2(n) records, one at a time, where a load reads them all in
     * one go (at about 64 records for the price of one single read).
     */
    private boolean searchCostsMoreThanLoad(long searches) {
        int n = header.recordCount();
        int log = 64 - Long.numberOfLeadingZeros(n);
        return searches * 2L * (log + 1) > Math.max(64, n / 64);
    }

    /** Binary search over the records on disk; records already read are kept for the rest of the search. */
    private final class OnDisk implements AutoCloseable {
        private final FileChannel ch;
        private final Map<Integer, IndexRecord> seen = new HashMap<>();
        private final ByteBuffer buf = ByteBuffer.allocate(RECORD_SIZE);

        OnDisk() throws IOException {
            this.ch = openChannel(false);
        }

        IndexRecord at(int pos) throws IOException {
            IndexRecord r = seen.get(pos);
            if (r == null) {
                buf.clear();
                readAt(ch, buf, headerSize() + (long) pos * RECORD_SIZE);
                recordsRead++;
                r = checkedRecord(buf.array(), 0, pos, version, header);
                seen.put(pos, r);
            }
            return r;
        }

        /** The first position whose UID is at least {@code uid} (the record count if none). */
        int lowerBound(long uid) throws IOException {
            int lo = 0;
            int hi = header.recordCount();
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (at(mid).uid() < uid) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private int headerSize() {
        return version == 1 ? V1_HEADER_SIZE : HEADER_SIZE;
    }

    private FileChannel openChannel(boolean write) throws IOException {
        try {
            return write ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException("Mailbox does not exist", true);
        } catch (IOException e) {
            throw StoreFiles.unreadable(FILE, e);
        }
    }

    private static void readAt(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        try {
            Durable.readFully(ch, buf, pos);
        } catch (EOFException e) {
            throw new MailboxFormatException(FILE + " is truncated: it ends at byte " + ch.size() + ", inside record "
                    + ((pos - HEADER_SIZE) / RECORD_SIZE + 1));
        } catch (MailboxFormatException e) {
            throw e;
        } catch (IOException e) {
            throw StoreFiles.unreadable(FILE, e);
        }
    }

    // ---------------------------------------------------------------- reading

    /**
     * Opens an index: reads and checks its header (and the whole file when it is small); the records are read when
     * needed. Throws {@link MailboxFormatException} on any inconsistency found.
     */
    static MailboxIndex open(Path file) throws IOException {
        return read(file, false);
    }

    /** Reads and checks a whole index. Throws {@link MailboxFormatException} on any inconsistency. */
    public static MailboxIndex read(Path file) throws IOException {
        return read(file, true);
    }

    private static MailboxIndex read(Path file, boolean whole) throws IOException {
        long size = StoreFiles.regularSize(file, FILE);
        if (size < 0) {
            throw new MailboxFormatException("Mailbox does not exist", true);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            boolean all = whole || size <= EAGER_BYTES;
            int want = (int) Math.min(size, all ? Integer.MAX_VALUE - 8 : HEADER_SIZE);
            ByteBuffer buf = ByteBuffer.allocate(want);
            Durable.readFully(ch, buf, 0);
            byte[] bytes = buf.array();
            int version = version(bytes, size);
            Header h = readHeader(ByteBuffer.wrap(bytes), version, size);
            int hs = version == 1 ? V1_HEADER_SIZE : HEADER_SIZE;
            long expected = hs + (long) h.recordCount() * RECORD_SIZE;
            if (size < expected) {
                throw new MailboxFormatException(FILE + " is truncated: header says " + h.recordCount() + " records, file holds "
                        + (size - hs) / RECORD_SIZE);
            }
            MailboxIndex idx = new MailboxIndex(file, version, h, null, size - expected);
            if (all) {
                idx.records = parseRecords(bytes, hs, version, h);
            }
            return idx;
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException("Mailbox does not exist", true);
        } catch (EOFException e) {
            throw new MailboxFormatException(FILE + " changed while it was read");
        } catch (MailboxFormatException e) {
            throw e;
        } catch (IOException e) {
            throw StoreFiles.unreadable(FILE, e);
        }
    }

    /** Loads every record (checking each checksum, the UID order and the total size), once. */
    private void load() throws IOException {
        if (records != null) {
            return;
        }
        int hs = headerSize();
        long length = hs + (long) header.recordCount() * RECORD_SIZE;
        if (length > Integer.MAX_VALUE - 8) {
            throw new MailboxFormatException(FILE + " is too large: " + header.recordCount() + " records");
        }
        byte[] bytes = new byte[(int) length];
        try (FileChannel ch = openChannel(false)) {
            readAt(ch, ByteBuffer.wrap(bytes), 0);
        }
        records = parseRecords(bytes, hs, version, header);
    }

    private static ArrayList<IndexRecord> parseRecords(byte[] bytes, int hs, int version, Header h) throws MailboxFormatException {
        ArrayList<IndexRecord> records = new ArrayList<>(h.recordCount() + 16);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        int prevUid = 0;
        long total = 0;
        for (int i = 0; i < h.recordCount(); i++) {
            int off = hs + i * RECORD_SIZE;
            IndexRecord r = checkedRecord(buf, crc, off, i, version, h);
            if (r.uid() <= prevUid) {
                throw new MailboxFormatException(FILE + " record " + (i + 1) + " has UID " + r.uid() + " out of order");
            }
            prevUid = r.uid();
            total += r.size();
            records.add(r);
        }
        if (total != h.totalSize()) {
            throw new MailboxFormatException(FILE + " header size " + h.totalSize() + " does not match its records (" + total + ")");
        }
        return records;
    }

    /** Decodes the record at {@code off} and checks what a record can say about itself. */
    private static IndexRecord checkedRecord(byte[] bytes, int off, int position, int version, Header h) throws MailboxFormatException {
        return checkedRecord(ByteBuffer.wrap(bytes), new CRC32C(), off, position, version, h);
    }

    private static IndexRecord checkedRecord(ByteBuffer buf, CRC32C crc, int off, int position, int version, Header h)
            throws MailboxFormatException {
        byte[] bytes = buf.array();
        crc.reset();
        crc.update(bytes, off, RECORD_SIZE - 4);
        if ((int) crc.getValue() != buf.getInt(off + RECORD_SIZE - 4)) {
            throw new MailboxFormatException(FILE + " record " + (position + 1) + " has a bad checksum");
        }
        IndexRecord r = decodeRecord(buf, off, version);
        if (r.uid() <= 0) {
            throw new MailboxFormatException(FILE + " record " + (position + 1) + " has UID " + r.uid());
        }
        if (r.uid() >= h.nextUid()) {
            throw new MailboxFormatException(FILE + " record " + (position + 1) + " has UID " + r.uid() + " not below next UID " + h.nextUid());
        }
        if (r.size() < 0 || r.cacheLength() < CacheFile.V1_RECORD_OVERHEAD || r.cacheOffset() < CacheFile.HEADER_SIZE
                || r.cacheOffset() + r.cacheLength() > h.cacheEnd()) {
            throw new MailboxFormatException(FILE + " record " + (position + 1) + " (UID " + r.uid() + ") has impossible sizes");
        }
        return r;
    }

    /** The version of an index file from its first bytes (checked fully by {@link #readHeader}). */
    private static int version(byte[] bytes, long fileSize) throws MailboxFormatException {
        if (bytes.length < V1_HEADER_SIZE) {
            throw new MailboxFormatException(FILE + " is shorter than its header (" + fileSize + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt(0) != MAGIC) {
            throw new MailboxFormatException(FILE + " has a bad magic number");
        }
        int version = b.getShort(4) & 0xffff;
        if (version != 1 && version != VERSION) {
            throw new MailboxFormatException(FILE + " has unsupported version " + version);
        }
        if (version == VERSION && bytes.length < HEADER_SIZE) {
            throw new MailboxFormatException(FILE + " is shorter than its header (" + fileSize + " bytes)");
        }
        return version;
    }

    private static Header readHeader(ByteBuffer buf, int version, long fileSize) throws MailboxFormatException {
        int hs = version == 1 ? V1_HEADER_SIZE : HEADER_SIZE;
        if ((buf.getShort(6) & 0xffff) != hs || buf.getInt(8) != RECORD_SIZE) {
            throw new MailboxFormatException(FILE + " has an unexpected header or record size");
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, hs - 4);
        if ((int) crc.getValue() != buf.getInt(hs - 4)) {
            throw new MailboxFormatException(FILE + " header has a bad checksum");
        }
        int count = buf.getInt(20);
        if (count < 0) {
            throw new MailboxFormatException(FILE + " header has a negative record count");
        }
        if (version == 1) {
            return new Header(buf.getInt(12), buf.getInt(16), count, buf.getLong(24), buf.getLong(32), buf.getLong(40),
                    buf.getLong(48), 0, 0, -1);
        }
        int expCount = buf.getInt(60);
        if (expCount < 0) {
            throw new MailboxFormatException(FILE + " header has a negative expunge count");
        }
        return new Header(buf.getInt(12), buf.getInt(16), count, buf.getLong(24), buf.getLong(32), buf.getLong(40),
                buf.getLong(48), buf.getInt(56), buf.getLong(64), expCount);
    }

    private static IndexRecord decodeRecord(ByteBuffer buf, int off, int version) {
        int word = buf.getInt(off + 4);
        long checksum = IndexRecord.NO_CHECKSUM;
        int flags = word;
        if (version != 1) {
            flags = word & ~CHECKSUM_KNOWN;
            if ((word & CHECKSUM_KNOWN) != 0) {
                checksum = buf.getInt(off + 32) & 0xffffffffL;
            }
        }
        return new IndexRecord(buf.getInt(off), flags, buf.getLong(off + 8), buf.getInt(off + 16),
                buf.getLong(off + 20), buf.getInt(off + 28), checksum);
    }

    /**
     * What can be saved from a damaged index: the header if it checks out, and every record whose own
     * checksum is right, whatever the header says. Never throws on bad content.
     *
     * @param version the version of the header, or of the record layout that matched best when the header is lost
     */
    public record Salvage(Header header, int version, List<IndexRecord> records) {
    }

    public static Salvage salvage(Path file) {
        byte[] bytes;
        try {
            if (StoreFiles.regularSize(file, FILE) < 0) {
                return new Salvage(null, VERSION, List.of());
            }
            bytes = java.nio.file.Files.readAllBytes(file);
        } catch (IOException e) {
            return new Salvage(null, VERSION, List.of());
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        Header h = null;
        int version = -1;
        try {
            version = version(bytes, bytes.length);
            h = readHeader(buf, version, bytes.length);
        } catch (MailboxFormatException e) {
            // header lost; records may still be readable
        }
        if (h != null) {
            return new Salvage(h, version, salvageRecords(bytes, version == 1 ? V1_HEADER_SIZE : HEADER_SIZE, version));
        }
        // Header lost: the record layout is the one under which more records check out.
        List<IndexRecord> v2 = salvageRecords(bytes, HEADER_SIZE, VERSION);
        List<IndexRecord> v1 = salvageRecords(bytes, V1_HEADER_SIZE, 1);
        return v1.size() > v2.size() ? new Salvage(null, 1, v1) : new Salvage(null, VERSION, v2);
    }

    private static List<IndexRecord> salvageRecords(byte[] bytes, int hs, int version) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        List<IndexRecord> out = new ArrayList<>();
        CRC32C crc = new CRC32C();
        for (int off = hs; off + RECORD_SIZE <= bytes.length; off += RECORD_SIZE) {
            crc.reset();
            crc.update(bytes, off, RECORD_SIZE - 4);
            if ((int) crc.getValue() == buf.getInt(off + RECORD_SIZE - 4)) {
                IndexRecord r = decodeRecord(buf, off, version);
                if (r.uid() > 0 && r.size() >= 0) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- writing (always version 2)

    static ByteBuffer encodeHeader(Header h) {
        if (h.legacyExpungeList()) {
            throw new IllegalStateException("a version-1 index is upgraded (its expunge list given an id and a count) before it is written");
        }
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
        b.putInt(56, h.expungeSeq());
        b.putInt(60, h.expungeCount());
        b.putLong(64, h.expungeFileId());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_SIZE - 4);
        b.putInt(HEADER_SIZE - 4, (int) crc.getValue());
        return b;
    }

    static void encodeRecord(ByteBuffer b, int off, IndexRecord r, CRC32C crc) {
        b.putInt(off, r.uid());
        b.putInt(off + 4, r.checksumKnown() ? r.flags() | CHECKSUM_KNOWN : r.flags() & ~CHECKSUM_KNOWN);
        b.putLong(off + 8, r.internalDate());
        b.putInt(off + 16, r.size());
        b.putLong(off + 20, r.cacheOffset());
        b.putInt(off + 28, r.cacheLength());
        b.putInt(off + 32, r.checksumKnown() ? (int) r.checksum() : 0);
        crc.reset();
        crc.update(b.array(), b.arrayOffset() + off, RECORD_SIZE - 4);
        b.putInt(off + RECORD_SIZE - 4, (int) crc.getValue());
    }

    /** Writes the whole index to {@code target} (a new file, owner-only, forced to disk). */
    public void writeTo(Path target) throws IOException {
        load();
        ByteBuffer all = ByteBuffer.allocate(HEADER_SIZE + records.size() * RECORD_SIZE);
        all.put(encodeHeader(header));
        CRC32C crc = new CRC32C();
        for (int i = 0; i < records.size(); i++) {
            encodeRecord(all, HEADER_SIZE + i * RECORD_SIZE, records.get(i), crc);
        }
        all.position(0);
        try (FileChannel ch = OwnerOnly.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Durable.writeFully(ch, all, 0);
            ch.force(true);
        }
    }

    /**
     * Writes the whole index beside {@code target} and renames it into place, with the crash points
     * {@code <op>.after-index-tmp} and {@code <op>.after-index-renamed}.
     */
    public void writeAtomically(Path target, String op) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        writeTo(tmp);
        CrashPoint.hit(op + ".after-index-tmp");
        Durable.replace(tmp, target);
        CrashPoint.hit(op + ".after-index-renamed");
    }

    /**
     * A version-2 index as a Purge rewrites it: the file's bytes, every record checked as a load checks them, and the
     * records' cache offsets, without keeping a record object per message.
     */
    final class Raw {
        final byte[] bytes;
        final long[] cacheOffsets;

        private Raw(byte[] bytes, long[] cacheOffsets) {
            this.bytes = bytes;
            this.cacheOffsets = cacheOffsets;
        }

        int uid(int i) {
            return ByteBuffer.wrap(bytes).getInt(HEADER_SIZE + i * RECORD_SIZE);
        }

        /**
         * Writes the index with each record's cache record moved to {@code newOffsets[i]} (and grown by
         * {@code lengthDelta}), under {@code h}, to {@code target} (a new file, owner-only, forced).
         */
        void writeMoved(Path target, Header h, long[] newOffsets, int lengthDelta) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            CRC32C crc = new CRC32C();
            for (int i = 0; i < newOffsets.length; i++) {
                int off = HEADER_SIZE + i * RECORD_SIZE;
                b.putLong(off + 20, newOffsets[i]);
                b.putInt(off + 28, b.getInt(off + 28) + lengthDelta);
                crc.reset();
                crc.update(bytes, off, RECORD_SIZE - 4);
                b.putInt(off + RECORD_SIZE - 4, (int) crc.getValue());
            }
            b.put(0, encodeHeader(h), 0, HEADER_SIZE);
            try (FileChannel ch = OwnerOnly.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                Durable.writeFully(ch, ByteBuffer.wrap(bytes), 0);
                ch.force(true);
            }
        }
    }

    /** Reads the whole (version-2) index for a rewrite, checking it as {@link #records()} would. */
    Raw readRaw() throws IOException {
        requireCurrent();
        long length = HEADER_SIZE + (long) header.recordCount() * RECORD_SIZE;
        if (length > Integer.MAX_VALUE - 8) {
            throw new MailboxFormatException(FILE + " is too large: " + header.recordCount() + " records");
        }
        byte[] bytes = new byte[(int) length];
        try (FileChannel ch = openChannel(false)) {
            readAt(ch, ByteBuffer.wrap(bytes), 0);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        long[] offsets = new long[header.recordCount()];
        int prevUid = 0;
        long total = 0;
        for (int i = 0; i < offsets.length; i++) {
            IndexRecord r = checkedRecord(buf, crc, HEADER_SIZE + i * RECORD_SIZE, i, version, header);
            if (r.uid() <= prevUid) {
                throw new MailboxFormatException(FILE + " record " + (i + 1) + " has UID " + r.uid() + " out of order");
            }
            prevUid = r.uid();
            total += r.size();
            offsets[i] = r.cacheOffset();
        }
        if (total != header.totalSize()) {
            throw new MailboxFormatException(FILE + " header size " + header.totalSize() + " does not match its records (" + total + ")");
        }
        return new Raw(bytes, offsets);
    }

    /** After the file was replaced by a rewrite: the new header; records are read again when needed. */
    void reopen(Header h) {
        records = null;
        header = h;
        version = VERSION;
        uncommittedBytes = 0;
    }

    /** Replaces the in-memory content (after a rewrite that the caller has made durable in version 2). */
    void replaceAll(Header h, List<IndexRecord> newRecords) {
        records = new ArrayList<>(newRecords);
        header = h;
        version = VERSION;
        uncommittedBytes = 0;
    }

    /**
     * Appends records in place: records first (forced), then the header that counts them (forced).
     * Cuts off an earlier interrupted append first. The index must be version 2.
     */
    void appendInPlace(List<IndexRecord> added, int nextUid, long cacheEnd, long now) throws IOException {
        requireCurrent();
        long base = HEADER_SIZE + (long) header.recordCount() * RECORD_SIZE;
        ByteBuffer b = ByteBuffer.allocate(added.size() * RECORD_SIZE);
        CRC32C crc = new CRC32C();
        long addedSize = 0;
        for (int i = 0; i < added.size(); i++) {
            encodeRecord(b, i * RECORD_SIZE, added.get(i), crc);
            addedSize += added.get(i).size();
        }
        Header h = new Header(header.uidValidity(), nextUid, header.recordCount() + added.size(), header.cacheGeneration(),
                header.totalSize() + addedSize, now, cacheEnd, header.expungeSeq(), header.expungeFileId(), header.expungeCount());
        try (FileChannel ch = openChannel(true)) {
            ch.truncate(base);
            Durable.writeFully(ch, b, base);
            ch.force(false);
            CrashPoint.hit("append.after-index-records");
            Durable.writeFully(ch, encodeHeader(h), 0);
            ch.force(false);
        }
        if (records != null) {
            records.addAll(added);
        }
        header = h;
        uncommittedBytes = 0;
    }

    /** Writes a new header in place (forced): the commit of a Clean, or its roll-forward. The index must be version 2. */
    void writeHeaderInPlace(Header h) throws IOException {
        requireCurrent();
        if (h.recordCount() != header.recordCount() || h.totalSize() != header.totalSize()) {
            throw new IllegalArgumentException("an in-place header write cannot change the records");
        }
        try (FileChannel ch = openChannel(true)) {
            Durable.writeFully(ch, encodeHeader(h), 0);
            ch.force(false);
        }
        header = h;
    }

    private void requireCurrent() {
        if (version != VERSION) {
            throw new IllegalStateException(FILE + " is version " + version + ": upgrade it before writing in place");
        }
    }

    /**
     * Sets or clears {@code flag} on the records at {@code positions} in place, then forces the file; returns how many
     * changed. When the records are not loaded, only the runs of records at those positions are read (and checked).
     */
    int setFlag(int[] positions, int flag, boolean on) throws IOException {
        requireCurrent();
        int[] pos = positions.clone();
        Arrays.sort(pos);
        int n = 0;
        for (int i = 0; i < pos.length; i++) {
            if (pos[i] < 0 || pos[i] >= header.recordCount()) {
                throw new IndexOutOfBoundsException("position " + pos[i] + " of " + header.recordCount() + " records");
            }
            if (n == 0 || pos[i] != pos[n - 1]) {
                pos[n++] = pos[i];
            }
        }
        if (n == 0) {
            return 0;
        }
        int runs = 1;
        for (int i = 1; i < n; i++) {
            if (pos[i] != pos[i - 1] + 1) {
                runs++;
            }
        }
        if (records == null && runs > Math.max(64, header.recordCount() / 64)) {
            load(); // many scattered records: one sequential read beats a read for each
        }
        int changed = 0;
        CRC32C crc = new CRC32C();
        try (FileChannel ch = openChannel(true)) {
            int i = 0;
            while (i < n) {
                // a run of consecutive positions, at most RUN_CHUNK long
                int j = i + 1;
                while (j < n && pos[j] == pos[j - 1] + 1 && j - i < RUN_CHUNK) {
                    j++;
                }
                int first = pos[i];
                int len = j - i;
                ByteBuffer run = ByteBuffer.allocate(len * RECORD_SIZE);
                IndexRecord[] current = new IndexRecord[len];
                if (records != null) {
                    for (int k = 0; k < len; k++) {
                        current[k] = records.get(first + k);
                    }
                } else {
                    readAt(ch, run, HEADER_SIZE + (long) first * RECORD_SIZE);
                    recordsRead += len;
                    int prev = 0;
                    for (int k = 0; k < len; k++) {
                        current[k] = checkedRecord(run.array(), k * RECORD_SIZE, first + k, version, header);
                        if (current[k].uid() <= prev) {
                            throw new MailboxFormatException(FILE + " record " + (first + k + 1) + " has UID " + current[k].uid()
                                    + " out of order");
                        }
                        prev = current[k].uid();
                    }
                }
                // write back the sub-runs that change
                int k = 0;
                while (k < len) {
                    if (newFlags(current[k], flag, on) == current[k].flags()) {
                        k++;
                        continue;
                    }
                    int m = k;
                    while (m < len && newFlags(current[m], flag, on) != current[m].flags()) {
                        IndexRecord u = current[m].withFlags(newFlags(current[m], flag, on));
                        encodeRecord(run, (m - k) * RECORD_SIZE, u, crc);
                        if (records != null) {
                            records.set(first + m, u);
                        }
                        m++;
                    }
                    run.position(0).limit((m - k) * RECORD_SIZE);
                    Durable.writeFully(ch, run, HEADER_SIZE + (long) (first + k) * RECORD_SIZE);
                    run.clear();
                    changed += m - k;
                    k = m;
                }
                i = j;
            }
            if (changed > 0) {
                ch.force(false);
            }
        }
        return changed;
    }

    private static int newFlags(IndexRecord r, int flag, boolean on) {
        return on ? r.flags() | flag : r.flags() & ~flag;
    }
}
