package org.mstore.store;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

import org.mstore.api.MailboxFormatException;
import org.mstore.api.MessageSummary;
import org.mstore.fs.OwnerOnly;

/**
 * {@code store.cache}: a 32-byte header, then variable-length records appended in UID order.
 *
 * <pre>
 * version 2: u8 status ('L' live, 'E' expunged with its file kept, 'X' expunged and removed) | u8 flags (1: the message checksum is known) | u16 0 | u32 uid |
 *            u32 payloadLength | u32 CRC-32C of the message file | payload (a {@link MessageSummary}) |
 *            u32 CRC-32C of everything after the status byte
 * version 1: u8 status | u8 0 | u16 0 | u32 uid | u32 payloadLength | payload | u32 CRC-32C of uid, length and payload
 * </pre>
 *
 * The status byte is outside the checksum so that an expunge and Remove can mark a record with a one-byte write: the
 * expunge, once its index is in place, marks its messages' records 'E' (a second, cheap record of what was expunged,
 * for a Repair that lost both the index and {@code store.exp}); Remove marks them 'X'. Purge rewrites the file without
 * the 'X' records under a new generation number. A header whose flags (bytes 12-15) have {@link #MARKS_EXPUNGES} was
 * made by a release that marks every expunge: there an 'L' record is a message no committed expunge took (but for a
 * crash between the expunge's commit and its marks). The message checksum is here as well as
 * in the index so that a Repair that lost the index still knows it.
 */
public final class CacheFile implements Closeable {
    public static final String FILE = "store.cache";
    public static final int MAGIC = 0x4D534341; // "MSCA"
    /** The version written; version 1 (records without the message checksum) is still read. */
    public static final int VERSION = 2;
    public static final int HEADER_SIZE = 32;
    /** Bytes of a version-2 record besides its payload. */
    public static final int RECORD_OVERHEAD = 20;
    /** Bytes of a version-1 record besides its payload. */
    public static final int V1_RECORD_OVERHEAD = 16;
    public static final byte LIVE = 'L';
    public static final byte EXPUNGED = 'X';
    /** The status of the record of a message an expunge took whose file is still there (until Remove marks it 'X'). */
    public static final byte EXPUNGED_KEPT = 'E';
    /**
     * The status of the record of a message an expunge is taking: marked before the expunge commits, turned to
     * {@link #EXPUNGED_KEPT} after it, or back to {@link #LIVE} by the next open if it never committed. A Repair that
     * lost the index and {@code store.exp} cannot tell which, and holds such a message back as recoverable.
     */
    public static final byte EXPUNGING = 'P';
    /** Header flag: every expunge since this file was made marked its records {@link #EXPUNGED_KEPT}. */
    public static final int MARKS_EXPUNGES = 1;
    /** Header flag: an expunge marked records {@link #EXPUNGING} and has not settled them yet (a crash, if it stays). */
    public static final int EXPUNGE_MARKING = 2;
    /** Upper bound on a payload, so that a damaged length cannot make us allocate gigabytes. */
    public static final int MAX_PAYLOAD = 64 * 1024;
    private static final byte CHECKSUM_KNOWN = 1;
    /** The purge copy's chunk: the old cache is read, compacted and written this much at a time. */
    private static final int COPY_BUFFER = 8 << 20;

    private final FileChannel channel;
    private final int version;
    private final int uidValidity;
    private final long generation;
    private int headerFlags;
    /** The header's next UID: every UID below it was issued (0: unknown, a file of an earlier release). */
    private int nextUid;
    private long length;

    private CacheFile(FileChannel channel, int version, int uidValidity, long generation, int headerFlags, int nextUid, long length) {
        this.channel = channel;
        this.version = version;
        this.uidValidity = uidValidity;
        this.generation = generation;
        this.headerFlags = headerFlags;
        this.nextUid = nextUid;
        this.length = length;
    }

    /**
     * Creates a new, empty cache file (replacing any file at {@code file}) whose header says that every UID below
     * {@code nextUid} was issued, owner-only, forced to disk.
     */
    public static CacheFile create(Path file, int uidValidity, long generation, int nextUid) throws IOException {
        FileChannel ch = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            Durable.writeFully(ch, encodeHeader(uidValidity, generation, MARKS_EXPUNGES, nextUid), 0);
            ch.force(true);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new CacheFile(ch, VERSION, uidValidity, generation, MARKS_EXPUNGES, nextUid, HEADER_SIZE);
    }

    /** Opens an existing cache file and checks its header. */
    public static CacheFile open(Path file, boolean write) throws IOException {
        if (StoreFiles.regularSize(file, FILE) < 0) {
            throw new MailboxFormatException(FILE + " is missing");
        }
        FileChannel ch;
        try {
            ch = write ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException(FILE + " is missing");
        } catch (IOException e) {
            throw StoreFiles.unreadable(FILE, e);
        }
        try {
            long size = ch.size();
            if (size < HEADER_SIZE) {
                throw new MailboxFormatException(FILE + " is shorter than its header");
            }
            ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE);
            Durable.readFully(ch, h, 0);
            if (h.getInt(0) != MAGIC) {
                throw new MailboxFormatException(FILE + " has a bad magic number");
            }
            int version = h.getShort(4) & 0xffff;
            if (version != 1 && version != VERSION) {
                throw new MailboxFormatException(FILE + " has unsupported version " + version);
            }
            CRC32C crc = new CRC32C();
            crc.update(h.array(), 0, HEADER_SIZE - 4);
            if ((int) crc.getValue() != h.getInt(HEADER_SIZE - 4)) {
                throw new MailboxFormatException(FILE + " header has a bad checksum");
            }
            return new CacheFile(ch, version, h.getInt(8), h.getLong(16), version == 1 ? 0 : h.getInt(12),
                    version == 1 ? 0 : h.getInt(24), size);
        } catch (MailboxFormatException | RuntimeException e) {
            ch.close();
            throw e;
        } catch (IOException e) {
            ch.close();
            throw StoreFiles.unreadable(FILE, e);
        }
    }

    private static ByteBuffer encodeHeader(int uidValidity, long generation, int flags, int nextUid) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.putInt(0, MAGIC);
        b.putShort(4, (short) VERSION);
        b.putShort(6, (short) HEADER_SIZE);
        b.putInt(8, uidValidity);
        b.putInt(12, flags);
        b.putLong(16, generation);
        b.putInt(24, nextUid);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_SIZE - 4);
        b.putInt(HEADER_SIZE - 4, (int) crc.getValue());
        return b;
    }

    public int version() {
        return version;
    }

    /** Bytes of a record of this file besides its payload. */
    public int overhead() {
        return overhead(version);
    }

    private static int overhead(int version) {
        return version == 1 ? V1_RECORD_OVERHEAD : RECORD_OVERHEAD;
    }

    public int uidValidity() {
        return uidValidity;
    }

    public long generation() {
        return generation;
    }

    /** Every UID below this was issued in the mailbox (0 when unknown: a file of an earlier release). */
    public int nextUid() {
        return nextUid;
    }

    /**
     * The {@link #nextUid} of the cache at {@code file}, 0 when its header cannot be read or does not check out: what a
     * Repair that lost the index and whose mailbox list may be older still knows of the UIDs issued.
     */
    static int nextUid(Path file) {
        try (CacheFile c = open(file, false)) {
            return c.nextUid();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Raises the header's {@link #nextUid} to {@code next} (an append that issues the UIDs below it), in place; the
     * caller forces the file with the records it appended. Unchanged when the header already says as much.
     */
    public void raiseNextUid(int next) throws IOException {
        if (Integer.compareUnsigned(next, nextUid) > 0) {
            Durable.writeFully(channel, encodeHeader(uidValidity, generation, headerFlags, next), 0);
            nextUid = next;
        }
    }

    /** True when every expunge since this file was made marked its records ({@link #MARKS_EXPUNGES}). */
    public boolean marksExpunges() {
        return (headerFlags & MARKS_EXPUNGES) != 0;
    }

    /** {@link #marksExpunges} of the cache at {@code file}; false when its header cannot be read or does not check out. */
    static boolean marksExpunges(Path file) {
        try (CacheFile c = open(file, false)) {
            return c.marksExpunges();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Makes a cache written by {@link #rewriteLive} from a file of an earlier release one that marks expunges: every
     * live record at an offset that no index record names ({@code listed}: the messages of the index) is a message an
     * expunge took before marks existed, and is marked {@link #EXPUNGED_KEPT}; then the header gets
     * {@link #MARKS_EXPUNGES}. Forced. For a new file not yet in place (a crash leaves it to be deleted by the open).
     */
    static void markUnlisted(Path file, long[] listed) throws IOException {
        long[] sorted = listed.clone();
        Arrays.sort(sorted);
        try (CacheFile c = open(file, true)) {
            if (c.version != VERSION || c.marksExpunges()) {
                return;
            }
            java.util.List<long[]> unlisted = new java.util.ArrayList<>();
            c.walk(c.length, false, (offset, uid, len, expunged) -> {
                if (!expunged && Arrays.binarySearch(sorted, offset) < 0) {
                    unlisted.add(new long[] {offset, uid});
                }
                return false;
            });
            c.markExpunged(unlisted.stream().mapToLong(x -> x[0]).toArray(), unlisted.stream().mapToInt(x -> (int) x[1]).toArray());
            Durable.writeFully(c.channel, encodeHeader(c.uidValidity, c.generation, c.headerFlags | MARKS_EXPUNGES, c.nextUid), 0);
            c.channel.force(true);
        }
    }

    /** True when an expunge marked records {@link #EXPUNGING} and did not settle them ({@link #EXPUNGE_MARKING}). */
    public boolean expungeMarking() {
        return (headerFlags & EXPUNGE_MARKING) != 0;
    }

    private void writeHeaderFlags(int flags) throws IOException {
        Durable.writeFully(channel, encodeHeader(uidValidity, generation, flags, nextUid), 0);
        headerFlags = flags;
    }

    /**
     * Marks the records of the messages an expunge is about to commit {@link #EXPUNGING} and sets the header's
     * {@link #EXPUNGE_MARKING}, so that the next open settles them should the expunge stop before
     * {@link #markExpunged}; then forces the file. Only live records of the UIDs given are marked. Version 2 only (an
     * earlier file is upgraded before its first change). Returns how many were marked.
     */
    public int markExpunging(long[] offsets, int[] uids) throws IOException {
        if (version != VERSION || offsets.length == 0) {
            return 0;
        }
        writeHeaderFlags(headerFlags | EXPUNGE_MARKING);
        int marked = mark(offsets, uids, LIVE, EXPUNGING);
        channel.force(false);
        return marked;
    }

    /**
     * Marks the records of expunged messages {@link #EXPUNGED_KEPT}, each a one-byte write at its offset, then forces
     * the file. A record is marked only when it is there, live (or {@link #EXPUNGING}), and of the UID given (an offset
     * that does not name such a record is left alone). Then clears {@link #EXPUNGE_MARKING}, unforced: should that
     * write be lost, the next open settles records that are already settled. Returns how many were marked.
     */
    public int markExpunged(long[] offsets, int[] uids) throws IOException {
        int marked = mark(offsets, uids, LIVE, EXPUNGED_KEPT);
        if (marked > 0) {
            channel.force(false);
        }
        if (expungeMarking()) {
            writeHeaderFlags(headerFlags & ~EXPUNGE_MARKING);
        }
        return marked;
    }

    /**
     * Settles the records an expunge marked {@link #EXPUNGING} and never turned: {@link #EXPUNGED_KEPT} when the index no
     * longer lists the UID (the expunge committed), {@link #LIVE} when it does (it never did); forced, then the header's
     * {@link #EXPUNGE_MARKING} is cleared. Returns how many records were settled.
     */
    public int settleExpunging(java.util.function.IntPredicate listed) throws IOException {
        java.util.List<long[]> found = new java.util.ArrayList<>();
        ByteBuffer status = ByteBuffer.allocate(1);
        walk(length, false, (offset, uid, len, expunged) -> {
            found.add(new long[] {offset, uid});
            return false;
        });
        int settled = 0;
        ByteBuffer mark = ByteBuffer.allocate(1);
        for (long[] r : found) {
            status.clear();
            Durable.readFully(channel, status, r[0]);
            if (status.get(0) != EXPUNGING) {
                continue;
            }
            mark.clear();
            mark.put(listed.test((int) r[1]) ? LIVE : EXPUNGED_KEPT).flip();
            Durable.writeFully(channel, mark, r[0]);
            settled++;
        }
        channel.force(false);
        writeHeaderFlags(headerFlags & ~EXPUNGE_MARKING);
        channel.force(false);
        return settled;
    }

    /** Turns the records at {@code offsets} whose status is {@code from} (or 'P') and whose UID matches to {@code to}. */
    private int mark(long[] offsets, int[] uids, byte from, byte to) throws IOException {
        int marked = 0;
        ByteBuffer head = ByteBuffer.allocate(8);
        ByteBuffer mark = ByteBuffer.allocate(1);
        for (int i = 0; i < offsets.length; i++) {
            if (offsets[i] < HEADER_SIZE || offsets[i] + overhead() > length) {
                continue;
            }
            head.clear();
            try {
                Durable.readFully(channel, head, offsets[i]);
            } catch (EOFException e) {
                continue;
            }
            if ((head.get(0) != from && head.get(0) != EXPUNGING) || head.get(0) == to || head.getInt(4) != uids[i]) {
                continue;
            }
            mark.clear();
            mark.put(to).flip();
            Durable.writeFully(channel, mark, offsets[i]);
            marked++;
        }
        return marked;
    }

    public long length() {
        return length;
    }

    /** Encodes one version-2 record into {@code out} at its position; returns the record length. */
    static int encodeRecord(ByteBuffer out, int uid, byte[] payload, long checksum, CRC32C crc) {
        int start = out.position();
        out.put(LIVE).put(checksum >= 0 ? CHECKSUM_KNOWN : 0).putShort((short) 0).putInt(uid).putInt(payload.length)
                .putInt(checksum >= 0 ? (int) checksum : 0).put(payload);
        crc.reset();
        crc.update(out.array(), out.arrayOffset() + start + 1, RECORD_OVERHEAD - 5 + payload.length);
        out.putInt((int) crc.getValue());
        return RECORD_OVERHEAD + payload.length;
    }

    /**
     * Appends records for the given UIDs, payloads and message checksums at the end of the file (cutting off any
     * torn tail past {@code committedEnd}); returns their offsets. The caller forces the file. Version 2 only.
     */
    public long[] append(int[] uids, byte[][] payloads, long[] checksums, long committedEnd) throws IOException {
        if (version != VERSION) {
            throw new IllegalStateException(FILE + " is version " + version + ": upgrade it before appending");
        }
        int total = 0;
        for (byte[] p : payloads) {
            total += RECORD_OVERHEAD + p.length;
        }
        ByteBuffer out = ByteBuffer.allocate(total);
        long[] offsets = new long[uids.length];
        CRC32C crc = new CRC32C();
        long pos = committedEnd;
        for (int i = 0; i < uids.length; i++) {
            offsets[i] = pos;
            pos += encodeRecord(out, uids[i], payloads[i], checksums[i], crc);
        }
        out.flip();
        if (channel.size() > committedEnd) {
            channel.truncate(committedEnd);
        }
        Durable.writeFully(channel, out, committedEnd);
        length = committedEnd + total;
        return offsets;
    }

    public void force() throws IOException {
        channel.force(false);
    }

    /** A cache record as read: the summary, and the message checksum ({@link IndexRecord#NO_CHECKSUM} if unknown). */
    public record CacheRecord(MessageSummary summary, long checksum) {
    }

    /** Reads and checks the record at {@code offset}; it must belong to {@code uid}. */
    public MessageSummary read(long offset, int recordLength, int uid) throws IOException {
        return readRecord(offset, recordLength, uid).summary();
    }

    /** Reads and checks the record at {@code offset}, which must belong to {@code uid}: its summary and checksum. */
    public CacheRecord readRecord(long offset, int recordLength, int uid) throws IOException {
        int overhead = overhead();
        if (offset < HEADER_SIZE || offset + recordLength > length || recordLength < overhead
                || recordLength > overhead + MAX_PAYLOAD) {
            throw new MailboxFormatException(FILE + " offset " + offset + " for UID " + uid + " is out of bounds");
        }
        ByteBuffer b = ByteBuffer.allocate(recordLength);
        try {
            Durable.readFully(channel, b, offset);
        } catch (EOFException e) {
            throw new MailboxFormatException(FILE + " is truncated: the record of UID " + uid + " at " + offset + " is cut off");
        }
        b.flip();
        long checksum = checkRecord(b, 0, recordLength, uid, offset);
        b.position(overhead - 4);
        try {
            return new CacheRecord(SummaryCodec.decode(b), checksum);
        } catch (RuntimeException e) {
            throw new MailboxFormatException(FILE + " record at " + offset + " (UID " + uid + ") has a payload that cannot be decoded");
        }
    }

    /** Checks a record in {@code b} at {@code at}; returns its message checksum (or {@link IndexRecord#NO_CHECKSUM}). */
    private long checkRecord(ByteBuffer b, int at, int recordLength, int uid, long offset) throws MailboxFormatException {
        byte status = b.get(at);
        if (!knownStatus(status)) {
            throw new MailboxFormatException(FILE + " record at " + offset + " has a bad status byte");
        }
        if (b.getInt(at + 4) != uid) {
            throw new MailboxFormatException(FILE + " record at " + offset + " belongs to UID " + b.getInt(at + 4) + ", not " + uid);
        }
        int payload = b.getInt(at + 8);
        if (payload != recordLength - overhead()) {
            throw new MailboxFormatException(FILE + " record at " + offset + " has the wrong length");
        }
        if (!crcHolds(b, at, payload, version)) {
            throw new MailboxFormatException(FILE + " record at " + offset + " (UID " + uid + ") has a bad checksum");
        }
        return messageChecksum(b, at, version);
    }

    private static boolean knownStatus(byte status) {
        return status == LIVE || status == EXPUNGED || status == EXPUNGED_KEPT || status == EXPUNGING;
    }

    private static boolean crcHolds(ByteBuffer b, int at, int payload, int version) {
        CRC32C crc = new CRC32C();
        int from = version == 1 ? 4 : 1;
        int covered = overhead(version) - 4 - from + payload;
        if (b.hasArray()) {
            crc.update(b.array(), b.arrayOffset() + at + from, covered);
        } else {
            crc.update(b.duplicate().limit(at + from + covered).position(at + from));
        }
        return (int) crc.getValue() == b.getInt(at + from + covered);
    }

    private static long messageChecksum(ByteBuffer b, int at, int version) {
        if (version == 1 || (b.get(at + 1) & CHECKSUM_KNOWN) == 0) {
            return IndexRecord.NO_CHECKSUM;
        }
        return b.getInt(at + 12) & 0xffffffffL;
    }

    /** What a sequential walk over the records sees. */
    public interface RecordVisitor {
        /** Called per record; return true to mark it expunged. */
        boolean visit(long offset, int uid, int recordLength, boolean expunged);
    }

    /** A walk that also sees each record's message checksum ({@link IndexRecord#NO_CHECKSUM} when unknown). */
    interface ChecksumVisitor {
        void visit(long offset, int uid, int recordLength, boolean expunged, long checksum);
    }

    /** Record counts after a walk. */
    public record Counts(long records, long expunged, long end) {
    }

    /**
     * Walks every record up to the committed end, checking checksums when {@code verify}; the visitor
     * may ask for live records to be marked expunged (a one-byte write each, forced at the end).
     * A torn last record (a crash during an append) ends the walk.
     */
    public Counts walk(long end, boolean verify, RecordVisitor visitor) throws IOException {
        return walk(end, verify, visitor, null);
    }

    /** A verifying walk that reports each record with its message checksum. */
    Counts walk(long end, ChecksumVisitor visitor) throws IOException {
        return walk(end, true, null, visitor);
    }

    private Counts walk(long end, boolean verify, RecordVisitor visitor, ChecksumVisitor sums) throws IOException {
        int overhead = overhead();
        int prefix = overhead - 4;
        long records = 0;
        long expunged = 0;
        long pos = HEADER_SIZE;
        boolean marked = false;
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long bufStart = pos;
        buf.limit(0);
        ByteBuffer mark = ByteBuffer.allocate(1);
        long limit = Math.min(end, channel.size());
        while (pos + overhead <= limit) {
            int rel = (int) (pos - bufStart);
            if (rel + prefix > buf.limit()) {
                bufStart = pos;
                fill(buf, bufStart, limit);
                rel = 0;
            }
            byte status = buf.get(rel);
            int uid = buf.getInt(rel + 4);
            int payload = buf.getInt(rel + 8);
            if (!knownStatus(status) || payload < 0 || payload > MAX_PAYLOAD) {
                throw new MailboxFormatException(FILE + " record at " + pos + " is damaged");
            }
            int recLen = overhead + payload;
            if (pos + recLen > limit) {
                break; // torn tail
            }
            if (verify) {
                if (rel + recLen > buf.limit()) {
                    bufStart = pos;
                    fill(buf, bufStart, limit);
                    rel = 0;
                }
                if (!crcHolds(buf, rel, payload, version)) {
                    throw new MailboxFormatException(FILE + " record at " + pos + " (UID " + uid + ") has a bad checksum");
                }
            }
            boolean isExpunged = status == EXPUNGED;
            if (sums != null) {
                sums.visit(pos, uid, recLen, isExpunged, messageChecksum(buf, rel, version));
            }
            boolean markIt = visitor != null && visitor.visit(pos, uid, recLen, isExpunged);
            if (markIt && !isExpunged) {
                mark.clear();
                mark.put(EXPUNGED).flip();
                Durable.writeFully(channel, mark, pos);
                if (rel < buf.limit()) {
                    buf.put(rel, EXPUNGED);
                }
                isExpunged = true;
                marked = true;
            }
            records++;
            if (isExpunged) {
                expunged++;
            }
            pos += recLen;
        }
        if (marked) {
            channel.force(false);
        }
        return new Counts(records, expunged, pos);
    }

    private void fill(ByteBuffer buf, long from, long limit) throws IOException {
        buf.clear();
        long want = Math.min(buf.capacity(), limit - from);
        buf.limit((int) want);
        try {
            Durable.readFully(channel, buf, from);
        } catch (EOFException e) {
            throw new MailboxFormatException(FILE + " is truncated: it ends before byte " + limit);
        }
        buf.flip();
    }

    /**
     * Result of {@link #rewriteLive}: where each kept record went; {@code records} were kept of the
     * {@code recordsBefore} (live and expunged) that the old cache held. {@code lengthDelta} is what each kept record
     * grew by (4 when a version-1 cache was rewritten in version 2, else 0).
     */
    public record Rewrite(long[] oldOffsets, long[] newOffsets, long records, long recordsBefore, long bytesBefore, long bytesAfter,
                          int lengthDelta) {
        /** The new offset of the record that was at {@code oldOffset}, or -1 if it was dropped. */
        public long map(long oldOffset) {
            int i = Arrays.binarySearch(oldOffsets, 0, (int) records, oldOffset);
            return i >= 0 ? newOffsets[i] : -1;
        }

        /**
         * The new offsets of records at {@code old} offsets, -1 for one that was dropped: one pass when they come in
         * file order (they do: records are appended in UID order).
         */
        public long[] mapAll(long[] old) {
            long[] out = new long[old.length];
            int j = 0;
            for (int i = 0; i < old.length; i++) {
                if (i > 0 && old[i] < old[i - 1]) {
                    j = 0; // out of file order: search again from the start
                }
                while (j < records && oldOffsets[j] < old[i]) {
                    j++;
                }
                out[i] = j < records && oldOffsets[j] == old[i] ? newOffsets[j] : -1;
            }
            return out;
        }
    }

    /**
     * Copies every live record into a new version-2 cache file at {@code target} with {@code newGeneration}, and
     * forces it. Records of a version-2 cache are copied as they are (checksums stay valid: they do not cover
     * position): each chunk of the old file is read into one buffer, its runs of consecutive live records are moved
     * down over the expunged ones in place, and the chunk is written at once. Records of a version-1 cache are checked
     * and converted (their message checksum unknown).
     */
    public Rewrite rewriteLive(Path target, long end, long newGeneration) throws IOException {
        try (FileChannel out = OwnerOnly.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Durable.writeFully(out, encodeHeader(uidValidity, newGeneration, version == 1 ? 0 : headerFlags, nextUid), 0);
            out.position(HEADER_SIZE);
            Rewrite rw = version == 1 ? convertLive(out, end) : copyLive(out, end);
            out.force(true);
            return rw;
        }
    }

    /** The big-endian int at {@code i}. */
    private static int intAt(byte[] b, int i) {
        return (b[i] << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }

    private Rewrite copyLive(FileChannel out, long end) throws IOException {
        long[] oldOffsets = new long[1024];
        long[] newOffsets = new long[1024];
        int kept = 0;
        long seen = 0;
        long outPos = HEADER_SIZE;
        byte[] buf = new byte[COPY_BUFFER];
        ByteBuffer in = ByteBuffer.wrap(buf);
        long limit = Math.min(end, channel.size());
        long pos = HEADER_SIZE;
        while (pos + RECORD_OVERHEAD <= limit) {
            long chunkStart = pos;
            fill(in, chunkStart, limit);
            int n = in.limit();
            int rel = 0;
            int w = 0; // where the next live bytes go, compacted, in this chunk
            int runStart = -1;
            int runLen = 0;
            boolean torn = false;
            while (rel + RECORD_OVERHEAD <= n) {
                byte status = buf[rel];
                int payload = intAt(buf, rel + 8);
                if (!knownStatus(status) || payload < 0 || payload > MAX_PAYLOAD) {
                    throw new MailboxFormatException(FILE + " record at " + (chunkStart + rel) + " is damaged");
                }
                int recLen = RECORD_OVERHEAD + payload;
                if (rel + recLen > n) {
                    torn = chunkStart + rel + recLen > limit; // else: the record goes on in the next chunk
                    break;
                }
                if (status != EXPUNGED) { // live, or expunged with its file still there (Remove marks it)
                    if (kept == oldOffsets.length) {
                        oldOffsets = Arrays.copyOf(oldOffsets, kept * 2);
                        newOffsets = Arrays.copyOf(newOffsets, kept * 2);
                    }
                    oldOffsets[kept] = chunkStart + rel;
                    newOffsets[kept] = outPos;
                    kept++;
                    outPos += recLen;
                    if (runStart < 0) {
                        runStart = rel;
                    }
                    runLen += recLen;
                } else if (runStart >= 0) {
                    System.arraycopy(buf, runStart, buf, w, runLen);
                    w += runLen;
                    runStart = -1;
                    runLen = 0;
                }
                seen++;
                rel += recLen;
            }
            if (runStart >= 0) {
                System.arraycopy(buf, runStart, buf, w, runLen);
                w += runLen;
            }
            Durable.writeFully(out, ByteBuffer.wrap(buf, 0, w), out.position());
            out.position(out.position() + w);
            pos = chunkStart + rel;
            if (torn || rel == 0) {
                break; // a torn last record (an interrupted append), or nothing whole left
            }
        }
        return new Rewrite(oldOffsets, newOffsets, kept, seen, pos, outPos, 0);
    }

    private Rewrite convertLive(FileChannel out, long end) throws IOException {
        long[] oldOffsets = new long[1024];
        long[] newOffsets = new long[1024];
        int kept = 0;
        long seen = 0;
        long outPos = HEADER_SIZE;
        ByteBuffer in = ByteBuffer.allocate(COPY_BUFFER);
        ByteBuffer outBuf = ByteBuffer.allocate(COPY_BUFFER);
        CRC32C crc = new CRC32C();
        long limit = Math.min(end, channel.size());
        long pos = HEADER_SIZE;
        long bufStart = pos;
        in.limit(0);
        while (pos + V1_RECORD_OVERHEAD <= limit) {
            int rel = (int) (pos - bufStart);
            if (rel + V1_RECORD_OVERHEAD > in.limit()) {
                bufStart = pos;
                fill(in, bufStart, limit);
                rel = 0;
            }
            byte status = in.get(rel);
            int payload = in.getInt(rel + 8);
            if (!knownStatus(status) || payload < 0 || payload > MAX_PAYLOAD) {
                throw new MailboxFormatException(FILE + " record at " + pos + " is damaged");
            }
            int recLen = V1_RECORD_OVERHEAD + payload;
            if (pos + recLen > limit) {
                break;
            }
            if (rel + recLen > in.limit()) {
                bufStart = pos;
                fill(in, bufStart, limit);
                rel = 0;
            }
            if (status != EXPUNGED) {
                if (!crcHolds(in, rel, payload, 1)) {
                    throw new MailboxFormatException(FILE + " record at " + pos + " (UID " + in.getInt(rel + 4) + ") has a bad checksum");
                }
                if (kept == oldOffsets.length) {
                    oldOffsets = Arrays.copyOf(oldOffsets, kept * 2);
                    newOffsets = Arrays.copyOf(newOffsets, kept * 2);
                }
                oldOffsets[kept] = pos;
                newOffsets[kept] = outPos;
                kept++;
                byte[] p = new byte[payload];
                in.get(rel + 12, p);
                if (outBuf.remaining() < RECORD_OVERHEAD + payload) {
                    drain(outBuf, out);
                }
                int at = outBuf.position();
                outPos += encodeRecord(outBuf, in.getInt(rel + 4), p, IndexRecord.NO_CHECKSUM, crc);
                outBuf.put(at, status);
            }
            seen++;
            pos += recLen;
        }
        drain(outBuf, out);
        return new Rewrite(oldOffsets, newOffsets, kept, seen, pos, outPos, RECORD_OVERHEAD - V1_RECORD_OVERHEAD);
    }

    private static void drain(ByteBuffer outBuf, FileChannel out) throws IOException {
        outBuf.flip();
        while (outBuf.hasRemaining()) {
            out.write(outBuf);
        }
        outBuf.clear();
    }

    /** A record found by {@link #salvage}: the message checksum (if known) and the summary. */
    public record Salvaged(long checksum, MessageSummary summary, byte status) {
        /** True when a committed expunge or Remove marked the record ('E' or 'X'). */
        public boolean markedExpunged() {
            return status == EXPUNGED || status == EXPUNGED_KEPT;
        }

        /** True when an expunge marked the record before its commit and never settled it ('P'): expunged or not. */
        public boolean expungeInProgress() {
            return status == EXPUNGING;
        }
    }

    /**
     * What Repair can still learn from a cache, whatever its state: every record that checks out on its own (its
     * checksum holds), found by walking the records and, past a damaged one, by looking for the next record that
     * checks out. Keyed by UID. Never throws on bad content; a missing or unreadable file gives nothing.
     */
    static Map<Integer, Salvaged> salvage(Path file) {
        byte[] bytes;
        try {
            bytes = StoreFiles.readAll(file, FILE);
        } catch (IOException e) {
            return Map.of();
        }
        int version = -1;
        if (bytes.length >= HEADER_SIZE) {
            ByteBuffer h = ByteBuffer.wrap(bytes, 0, HEADER_SIZE);
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, HEADER_SIZE - 4);
            int v = h.getShort(4) & 0xffff;
            if (h.getInt(0) == MAGIC && (int) crc.getValue() == h.getInt(HEADER_SIZE - 4) && (v == 1 || v == VERSION)) {
                version = v;
            }
        }
        if (version > 0) {
            return salvage(bytes, version);
        }
        Map<Integer, Salvaged> v2 = salvage(bytes, VERSION);
        Map<Integer, Salvaged> v1 = salvage(bytes, 1);
        return v1.size() > v2.size() ? v1 : v2;
    }

    private static Map<Integer, Salvaged> salvage(byte[] bytes, int version) {
        Map<Integer, Salvaged> out = new HashMap<>();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int overhead = overhead(version);
        int pos = HEADER_SIZE;
        while (pos + overhead <= bytes.length) {
            int len = recordAt(b, pos, version);
            if (len < 0) {
                pos++;
                continue;
            }
            try {
                ByteBuffer p = ByteBuffer.wrap(bytes, pos + overhead - 4, len - overhead);
                MessageSummary s = SummaryCodec.decode(p);
                out.put(b.getInt(pos + 4), new Salvaged(messageChecksum(b, pos, version), s, b.get(pos)));
            } catch (RuntimeException e) {
                // a record whose checksum holds but whose payload does not decode: not one of ours
            }
            pos += len;
        }
        return out;
    }

    /** The length of a record that checks out at {@code pos}, or -1. */
    private static int recordAt(ByteBuffer b, int pos, int version) {
        byte status = b.get(pos);
        if (!knownStatus(status)) {
            return -1;
        }
        if (version != 1 && ((b.get(pos + 1) & ~CHECKSUM_KNOWN) != 0 || b.getShort(pos + 2) != 0)) {
            return -1;
        }
        if (version == 1 && (b.get(pos + 1) != 0 || b.getShort(pos + 2) != 0)) {
            return -1;
        }
        int uid = b.getInt(pos + 4);
        int payload = b.getInt(pos + 8);
        int overhead = overhead(version);
        if (uid <= 0 || payload < 12 || payload > MAX_PAYLOAD || (long) pos + overhead + payload > b.capacity()) {
            return -1;
        }
        return crcHolds(b, pos, payload, version) ? overhead + payload : -1;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
