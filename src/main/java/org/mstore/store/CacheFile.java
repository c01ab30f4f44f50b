package org.mstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import org.mstore.api.MailboxFormatException;
import org.mstore.api.MessageSummary;

/**
 * {@code store.cache}: a 32-byte header, then variable-length records appended in UID order.
 *
 * <pre>
 * record: u8 status ('L' live, 'X' expunged) | u8 0 | u16 0 | u32 uid | u32 payloadLength |
 *         payload (a {@link MessageSummary}) | u32 CRC-32C of uid, length and payload
 * </pre>
 *
 * The status byte is outside the checksum so that Remove can mark a record expunged with a one-byte
 * write. Purge rewrites the file without expunged records under a new generation number.
 */
public final class CacheFile implements Closeable {
    public static final String FILE = "store.cache";
    public static final int MAGIC = 0x4D534341; // "MSCA"
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 32;
    public static final int RECORD_OVERHEAD = 16;
    public static final byte LIVE = 'L';
    public static final byte EXPUNGED = 'X';
    /** Upper bound on a payload, so that a damaged length cannot make us allocate gigabytes. */
    public static final int MAX_PAYLOAD = 64 * 1024;

    private final FileChannel channel;
    private final int uidValidity;
    private final long generation;
    private long length;

    private CacheFile(FileChannel channel, int uidValidity, long generation, long length) {
        this.channel = channel;
        this.uidValidity = uidValidity;
        this.generation = generation;
        this.length = length;
    }

    /** Creates a new, empty cache file (replacing any file at {@code file}), forced to disk. */
    public static CacheFile create(Path file, int uidValidity, long generation) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            Durable.writeFully(ch, encodeHeader(uidValidity, generation), 0);
            ch.force(true);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new CacheFile(ch, uidValidity, generation, HEADER_SIZE);
    }

    /** Opens an existing cache file and checks its header. */
    public static CacheFile open(Path file, boolean write) throws IOException {
        FileChannel ch;
        try {
            ch = write ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException(FILE + " is missing");
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
            if ((h.getShort(4) & 0xffff) != VERSION) {
                throw new MailboxFormatException(FILE + " has unsupported version " + (h.getShort(4) & 0xffff));
            }
            CRC32C crc = new CRC32C();
            crc.update(h.array(), 0, HEADER_SIZE - 4);
            if ((int) crc.getValue() != h.getInt(HEADER_SIZE - 4)) {
                throw new MailboxFormatException(FILE + " header has a bad checksum");
            }
            return new CacheFile(ch, h.getInt(8), h.getLong(16), size);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static ByteBuffer encodeHeader(int uidValidity, long generation) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.putInt(0, MAGIC);
        b.putShort(4, (short) VERSION);
        b.putShort(6, (short) HEADER_SIZE);
        b.putInt(8, uidValidity);
        b.putLong(16, generation);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_SIZE - 4);
        b.putInt(HEADER_SIZE - 4, (int) crc.getValue());
        return b;
    }

    public int uidValidity() {
        return uidValidity;
    }

    public long generation() {
        return generation;
    }

    public long length() {
        return length;
    }

    /** Encodes one record into {@code out} at its position; returns the record length. */
    static int encodeRecord(ByteBuffer out, int uid, byte[] payload, CRC32C crc) {
        int start = out.position();
        out.put(LIVE).put((byte) 0).putShort((short) 0).putInt(uid).putInt(payload.length).put(payload);
        crc.reset();
        crc.update(out.array(), out.arrayOffset() + start + 4, 8 + payload.length);
        out.putInt((int) crc.getValue());
        return RECORD_OVERHEAD + payload.length;
    }

    /**
     * Appends records for the given UIDs and payloads at the end of the file (cutting off any torn
     * tail past {@code committedEnd}); returns their offsets. The caller forces the file.
     */
    public long[] append(int[] uids, byte[][] payloads, long committedEnd) throws IOException {
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
            pos += encodeRecord(out, uids[i], payloads[i], crc);
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

    /** Reads and checks the record at {@code offset}; it must belong to {@code uid}. */
    public MessageSummary read(long offset, int recordLength, int uid) throws IOException {
        if (offset < HEADER_SIZE || offset + recordLength > length || recordLength < RECORD_OVERHEAD
                || recordLength > RECORD_OVERHEAD + MAX_PAYLOAD) {
            throw new MailboxFormatException(FILE + " offset " + offset + " for UID " + uid + " is out of bounds");
        }
        ByteBuffer b = ByteBuffer.allocate(recordLength);
        Durable.readFully(channel, b, offset);
        b.flip();
        checkRecord(b, 0, recordLength, uid, offset);
        b.position(12);
        return SummaryCodec.decode(b);
    }

    private static void checkRecord(ByteBuffer b, int at, int recordLength, int uid, long offset) throws MailboxFormatException {
        byte status = b.get(at);
        if (status != LIVE && status != EXPUNGED) {
            throw new MailboxFormatException(FILE + " record at " + offset + " has a bad status byte");
        }
        if (b.getInt(at + 4) != uid) {
            throw new MailboxFormatException(FILE + " record at " + offset + " belongs to UID " + b.getInt(at + 4) + ", not " + uid);
        }
        int payload = b.getInt(at + 8);
        if (payload != recordLength - RECORD_OVERHEAD) {
            throw new MailboxFormatException(FILE + " record at " + offset + " has the wrong length");
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), b.arrayOffset() + at + 4, 8 + payload);
        if ((int) crc.getValue() != b.getInt(at + 12 + payload)) {
            throw new MailboxFormatException(FILE + " record at " + offset + " (UID " + uid + ") has a bad checksum");
        }
    }

    /** What a sequential walk over the records sees. */
    public interface RecordVisitor {
        /** Called per record; return true to mark it expunged. */
        boolean visit(long offset, int uid, int recordLength, boolean expunged);
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
        long records = 0;
        long expunged = 0;
        long pos = HEADER_SIZE;
        boolean marked = false;
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long bufStart = pos;
        buf.limit(0);
        CRC32C crc = verify ? new CRC32C() : null;
        ByteBuffer mark = ByteBuffer.allocate(1);
        long limit = Math.min(end, channel.size());
        while (pos + RECORD_OVERHEAD <= limit) {
            int rel = (int) (pos - bufStart);
            if (rel + 12 > buf.limit()) {
                bufStart = pos;
                fill(buf, bufStart, limit);
                rel = 0;
            }
            byte status = buf.get(rel);
            int uid = buf.getInt(rel + 4);
            int payload = buf.getInt(rel + 8);
            if ((status != LIVE && status != EXPUNGED) || payload < 0 || payload > MAX_PAYLOAD) {
                throw new MailboxFormatException(FILE + " record at " + pos + " is damaged");
            }
            int recLen = RECORD_OVERHEAD + payload;
            if (pos + recLen > limit) {
                break; // torn tail
            }
            if (verify) {
                if (rel + recLen > buf.limit()) {
                    bufStart = pos;
                    fill(buf, bufStart, limit);
                    rel = 0;
                }
                crc.reset();
                crc.update(buf.array(), rel + 4, 8 + payload);
                if ((int) crc.getValue() != buf.getInt(rel + 12 + payload)) {
                    throw new MailboxFormatException(FILE + " record at " + pos + " (UID " + uid + ") has a bad checksum");
                }
            }
            boolean isExpunged = status == EXPUNGED;
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
        Durable.readFully(channel, buf, from);
        buf.flip();
    }

    /**
     * Result of {@link #rewriteLive}: where each kept record went; {@code records} were kept of the
     * {@code recordsBefore} (live and expunged) that the old cache held.
     */
    public record Rewrite(long[] oldOffsets, long[] newOffsets, long records, long recordsBefore, long bytesBefore, long bytesAfter) {
        /** The new offset of the record that was at {@code oldOffset}, or -1 if it was dropped. */
        public long map(long oldOffset) {
            int i = java.util.Arrays.binarySearch(oldOffsets, 0, (int) records, oldOffset);
            return i >= 0 ? newOffsets[i] : -1;
        }
    }

    /**
     * Copies every live record into a new cache file at {@code target} with {@code newGeneration}, and
     * forces it. Records are copied as they are (checksums stay valid: they do not cover position).
     */
    public Rewrite rewriteLive(Path target, long end, long newGeneration) throws IOException {
        int capacity = 64;
        long[] oldOffsets = new long[capacity];
        long[] newOffsets = new long[capacity];
        int kept = 0;
        long seen = 0;
        long outPos = HEADER_SIZE;
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Durable.writeFully(out, encodeHeader(uidValidity, newGeneration), 0);
            out.position(HEADER_SIZE);
            ByteBuffer in = ByteBuffer.allocate(4 << 20);
            ByteBuffer outBuf = ByteBuffer.allocate(4 << 20);
            long limit = Math.min(end, channel.size());
            long pos = HEADER_SIZE;
            long bufStart = pos;
            in.limit(0);
            while (pos + RECORD_OVERHEAD <= limit) {
                int rel = (int) (pos - bufStart);
                if (rel + RECORD_OVERHEAD > in.limit()) {
                    bufStart = pos;
                    fill(in, bufStart, limit);
                    rel = 0;
                }
                byte status = in.get(rel);
                int payload = in.getInt(rel + 8);
                if ((status != LIVE && status != EXPUNGED) || payload < 0 || payload > MAX_PAYLOAD) {
                    throw new MailboxFormatException(FILE + " record at " + pos + " is damaged");
                }
                int recLen = RECORD_OVERHEAD + payload;
                if (pos + recLen > limit) {
                    break;
                }
                if (rel + recLen > in.limit()) {
                    bufStart = pos;
                    fill(in, bufStart, limit);
                    rel = 0;
                }
                if (status == LIVE) {
                    if (kept == capacity) {
                        capacity *= 2;
                        oldOffsets = java.util.Arrays.copyOf(oldOffsets, capacity);
                        newOffsets = java.util.Arrays.copyOf(newOffsets, capacity);
                    }
                    oldOffsets[kept] = pos;
                    newOffsets[kept] = outPos;
                    kept++;
                    if (outBuf.remaining() < recLen) {
                        outBuf.flip();
                        while (outBuf.hasRemaining()) {
                            out.write(outBuf);
                        }
                        outBuf.clear();
                    }
                    outBuf.put(in.array(), rel, recLen);
                    outPos += recLen;
                }
                seen++;
                pos += recLen;
            }
            outBuf.flip();
            while (outBuf.hasRemaining()) {
                out.write(outBuf);
            }
            out.force(true);
            return new Rewrite(oldOffsets, newOffsets, kept, seen, pos, outPos);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
