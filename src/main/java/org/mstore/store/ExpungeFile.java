package org.mstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.mstore.api.MailboxFormatException;

/**
 * {@code store.exp} (and its renamed {@code store.exp.<yyyyMMddHHmmss>} copies): the messages expunged
 * since the last cleanup. A 16-byte header, then 24-byte records: u32 uid, u32 size, u64 expunged-at
 * (epoch ms), u32 0, u32 CRC-32C of the first 20 bytes. A torn last record (a crash during an append)
 * is ignored and cut off by the next append.
 */
public final class ExpungeFile {
    public static final String FILE = "store.exp";
    public static final int MAGIC = 0x4D534558; // "MSEX"
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 16;
    public static final int RECORD_SIZE = 24;

    /** One expunged message. */
    public record Entry(int uid, int size, long expungedAt) {
    }

    private ExpungeFile() {
    }

    private static ByteBuffer header() {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.putInt(0, MAGIC);
        b.putShort(4, (short) VERSION);
        b.putShort(6, (short) HEADER_SIZE);
        b.putInt(8, RECORD_SIZE);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 12);
        b.putInt(12, (int) crc.getValue());
        return b;
    }

    /** Appends entries (creating the file if needed) and forces them to disk. */
    public static void append(Path file, List<Entry> entries) throws IOException {
        if (entries.isEmpty()) {
            return;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long end;
            if (size < HEADER_SIZE) {
                ch.truncate(0);
                Durable.writeFully(ch, header(), 0);
                end = HEADER_SIZE;
            } else {
                checkHeader(ch);
                end = HEADER_SIZE + (size - HEADER_SIZE) / RECORD_SIZE * RECORD_SIZE;
                if (end != size) {
                    ch.truncate(end);
                }
            }
            ByteBuffer b = ByteBuffer.allocate(entries.size() * RECORD_SIZE);
            CRC32C crc = new CRC32C();
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                int off = i * RECORD_SIZE;
                b.putInt(off, e.uid()).putInt(off + 4, e.size()).putLong(off + 8, e.expungedAt()).putInt(off + 16, 0);
                crc.reset();
                crc.update(b.array(), off, 20);
                b.putInt(off + 20, (int) crc.getValue());
            }
            Durable.writeFully(ch, b, end);
            ch.force(false);
        }
    }

    private static void checkHeader(FileChannel ch) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE);
        Durable.readFully(ch, h, 0);
        if (h.getInt(0) != MAGIC || (h.getShort(4) & 0xffff) != VERSION || h.getInt(8) != RECORD_SIZE) {
            throw new MailboxFormatException(FILE + " has a bad header");
        }
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 12);
        if ((int) crc.getValue() != h.getInt(12)) {
            throw new MailboxFormatException(FILE + " header has a bad checksum");
        }
    }

    /** Reads every entry; a missing file is an empty list. */
    public static List<Entry> read(Path file) throws IOException {
        return read(file, false);
    }

    /** Reads entries, skipping bad ones when {@code lenient} (Repair), throwing on them otherwise. */
    public static List<Entry> read(Path file, boolean lenient) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        if (bytes.length < HEADER_SIZE) {
            if (lenient || bytes.length == 0) {
                return out;
            }
            throw new MailboxFormatException(file.getFileName() + " is shorter than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 12);
        boolean headerOk = b.getInt(0) == MAGIC && (b.getShort(4) & 0xffff) == VERSION && (int) crc.getValue() == b.getInt(12);
        if (!headerOk && !lenient) {
            throw new MailboxFormatException(file.getFileName() + " has a bad header");
        }
        for (int off = HEADER_SIZE; off + RECORD_SIZE <= bytes.length; off += RECORD_SIZE) {
            crc.reset();
            crc.update(bytes, off, 20);
            if ((int) crc.getValue() != b.getInt(off + 20)) {
                if (lenient) {
                    continue;
                }
                throw new MailboxFormatException(file.getFileName() + " record " + ((off - HEADER_SIZE) / RECORD_SIZE + 1) + " has a bad checksum");
            }
            out.add(new Entry(b.getInt(off), b.getInt(off + 4), b.getLong(off + 8)));
        }
        return out;
    }

    /** Number of whole records in a file, without reading them; 0 if missing. */
    public static long count(Path file) throws IOException {
        try {
            long size = Files.size(file);
            return size < HEADER_SIZE ? 0 : (size - HEADER_SIZE) / RECORD_SIZE;
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
