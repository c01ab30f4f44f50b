package org.mstore.store;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.mstore.api.MailboxFormatException;
import org.mstore.fs.OwnerOnly;

/**
 * {@code store.exp} (and its renamed {@code store.exp.<yyyyMMddHHmmss>} copies): the messages expunged since the last
 * cleanup. Version 2: a 32-byte header (magic, version, sizes, record count, the file's id, CRC-32C), then 24-byte records: u32 uid,
 * u32 size, u64 expunged-at (epoch ms), u32 the expunge sequence number it belongs to, u32 CRC-32C of the first 20
 * bytes. Version 1 (a 16-byte header without an id, records with 0 for the sequence) is still read.
 *
 * <p>Which records count is decided by the index: its header names the file id of the current {@code store.exp} and
 * how many of its records are committed. Records past that count are an expunge that never committed (its messages
 * are still in the index): ignored, and cut off by the next expunge or Clean. A torn last record is ignored likewise.
 */
public final class ExpungeFile {
    public static final String FILE = "store.exp";
    public static final int MAGIC = 0x4D534558; // "MSEX"
    public static final int VERSION = 2;
    public static final int HEADER_SIZE = 32;
    public static final int V1_HEADER_SIZE = 16;
    public static final int RECORD_SIZE = 24;

    /** One expunged message; {@code seq} is the expunge it belongs to (0 when unknown: version 1). */
    public record Entry(int uid, int size, long expungedAt, int seq) {
        public Entry(int uid, int size, long expungedAt) {
            this(uid, size, expungedAt, 0);
        }
    }

    /**
     * What the header says: the version, its size, the file id (0 for version 1) and the record count (-1 for version
     * 1). The count is the records as of the last append; Clean makes it the committed count before the rename, so a
     * renamed list must hold exactly that many.
     */
    public record Header(int version, int size, long fileId, int count) {
    }

    /** A list read leniently (Repair): the header if it checks out, and every record that does, with its position. */
    public record Salvage(Header header, List<Entry> entries, List<Integer> positions, int slots) {
        /** True when some record (or the header) did not check out. */
        public boolean lostSome() {
            return header == null || entries.size() < Math.max(slots, header.count());
        }
    }

    private ExpungeFile() {
    }

    /** Made on first use: a process that never needs a file id never seeds one. */
    private static final class Ids {
        static final SecureRandom RANDOM = new SecureRandom();
    }

    /** A new, random, non-zero file id. */
    static long newFileId() {
        long id;
        do {
            id = Ids.RANDOM.nextLong() & Long.MAX_VALUE;
        } while (id == 0);
        return id;
    }

    private static ByteBuffer header(long fileId, int count) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.putInt(0, MAGIC);
        b.putShort(4, (short) VERSION);
        b.putShort(6, (short) HEADER_SIZE);
        b.putInt(8, RECORD_SIZE);
        b.putInt(12, count);
        b.putLong(16, fileId);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_SIZE - 4);
        b.putInt(HEADER_SIZE - 4, (int) crc.getValue());
        return b;
    }

    private static ByteBuffer records(List<Entry> entries) {
        ByteBuffer b = ByteBuffer.allocate(entries.size() * RECORD_SIZE);
        CRC32C crc = new CRC32C();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            int off = i * RECORD_SIZE;
            b.putInt(off, e.uid()).putInt(off + 4, e.size()).putLong(off + 8, e.expungedAt()).putInt(off + 16, e.seq());
            crc.reset();
            crc.update(b.array(), off, 20);
            b.putInt(off + 20, (int) crc.getValue());
        }
        return b;
    }

    /** Parses a header from the start of {@code bytes}; throws a format error naming {@code label}. */
    static Header parseHeader(byte[] bytes, int length, String label) throws MailboxFormatException {
        if (length < V1_HEADER_SIZE) {
            throw new MailboxFormatException(label + " is shorter than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int version = b.getShort(4) & 0xffff;
        if (b.getInt(0) != MAGIC || (version != 1 && version != VERSION) || b.getInt(8) != RECORD_SIZE) {
            throw new MailboxFormatException(label + " has a bad header");
        }
        int hs = version == 1 ? V1_HEADER_SIZE : HEADER_SIZE;
        if (length < hs) {
            throw new MailboxFormatException(label + " is shorter than its header");
        }
        if ((b.getShort(6) & 0xffff) != hs) {
            throw new MailboxFormatException(label + " has a bad header");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, hs - 4);
        if ((int) crc.getValue() != b.getInt(hs - 4)) {
            throw new MailboxFormatException(label + " header has a bad checksum");
        }
        int count = version == 1 ? -1 : b.getInt(12);
        if (version != 1 && count < 0) {
            throw new MailboxFormatException(label + " header has a negative record count");
        }
        return new Header(version, hs, version == 1 ? 0 : b.getLong(16), count);
    }

    /** Reads and checks the header of a list; null when the file is missing. */
    static Header readHeader(Path file) throws IOException {
        String label = file.getFileName().toString();
        if (StoreFiles.regularSize(file, label) < 0) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), HEADER_SIZE));
            Durable.readFully(ch, b, 0);
            return parseHeader(b.array(), b.capacity(), label);
        } catch (NoSuchFileException e) {
            return null;
        } catch (MailboxFormatException e) {
            throw e;
        } catch (IOException e) {
            throw StoreFiles.unreadable(label, e);
        }
    }

    /**
     * Reads every entry, checking each; a missing file is an empty list. A renamed list must hold exactly the records
     * its header counts (it is complete once renamed); for {@code store.exp} itself the index says which records count
     * (see {@link #checkCommitted}), so here every whole record is read.
     */
    public static List<Entry> read(Path file) throws IOException {
        String label = file.getFileName().toString();
        byte[] bytes;
        try {
            bytes = StoreFiles.readAll(file, label);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        Header h = parseHeader(bytes, bytes.length, label);
        long whole = (bytes.length - h.size()) / RECORD_SIZE;
        boolean renamed = !label.equals(FILE);
        if (renamed && h.count() >= 0 && bytes.length != h.size() + (long) h.count() * RECORD_SIZE) {
            throw new MailboxFormatException(label + " holds " + whole + " whole records" + ((bytes.length - h.size()) % RECORD_SIZE == 0 ? ""
                    : " and a piece of one") + ", its header says " + h.count());
        }
        if (renamed && (bytes.length - h.size()) % RECORD_SIZE != 0) {
            throw new MailboxFormatException(label + " ends in a piece of a record");
        }
        return records(bytes, h, label, whole);
    }

    /** Reads the first {@code limit} entries (all when the file holds fewer whole records), checking each. */
    public static List<Entry> read(Path file, long limit) throws IOException {
        String label = file.getFileName().toString();
        byte[] bytes;
        try {
            bytes = StoreFiles.readAll(file, label);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        Header h = parseHeader(bytes, bytes.length, label);
        return records(bytes, h, label, Math.min(limit, (bytes.length - h.size()) / RECORD_SIZE));
    }

    private static List<Entry> records(byte[] bytes, Header h, String label, long n) throws MailboxFormatException {
        List<Entry> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        for (int i = 0; i < n; i++) {
            int off = h.size() + i * RECORD_SIZE;
            crc.reset();
            crc.update(bytes, off, 20);
            if ((int) crc.getValue() != b.getInt(off + 20)) {
                throw new MailboxFormatException(label + " record " + (i + 1) + " has a bad checksum");
            }
            out.add(new Entry(b.getInt(off), b.getInt(off + 4), b.getLong(off + 8), h.version() == 1 ? 0 : b.getInt(off + 16)));
        }
        return out;
    }

    /** Reads what can be read (Repair): never throws on bad content; a missing or unreadable file salvages nothing. */
    public static Salvage salvage(Path file) {
        byte[] bytes;
        try {
            bytes = StoreFiles.readAll(file, file.getFileName().toString());
        } catch (IOException e) {
            return new Salvage(null, List.of(), List.of(), 0);
        }
        Header h = null;
        try {
            h = parseHeader(bytes, bytes.length, file.getFileName().toString());
        } catch (MailboxFormatException e) {
            // header lost: the records may still check out, at the layout of the version the bytes suggest
        }
        int hs = h != null ? h.size() : bytes.length >= 6 && (ByteBuffer.wrap(bytes).getShort(4) & 0xffff) == 1 ? V1_HEADER_SIZE : HEADER_SIZE;
        boolean v1 = h != null ? h.version() == 1 : hs == V1_HEADER_SIZE;
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        List<Entry> out = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        int slots = 0;
        for (int off = hs; off + RECORD_SIZE <= bytes.length; off += RECORD_SIZE, slots++) {
            crc.reset();
            crc.update(bytes, off, 20);
            if ((int) crc.getValue() == b.getInt(off + 20) && b.getInt(off) > 0) {
                out.add(new Entry(b.getInt(off), b.getInt(off + 4), b.getLong(off + 8), v1 ? 0 : b.getInt(off + 16)));
                at.add(slots);
            }
        }
        return new Salvage(h, out, at, slots);
    }

    /** Number of whole records in a file, without reading them; 0 if missing. */
    public static long count(Path file) throws IOException {
        try {
            long size = StoreFiles.regularSize(file, file.getFileName().toString());
            if (size < 0) {
                return 0;
            }
            Header h = null;
            try {
                h = size >= V1_HEADER_SIZE ? readHeader(file) : null;
            } catch (MailboxFormatException e) {
                // a damaged header: count at the layout of the current version
            }
            int hs = h == null ? HEADER_SIZE : h.size();
            return size < hs ? 0 : (size - hs) / RECORD_SIZE;
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /**
     * The write of an expunge: checks the list (its header must carry {@code fileId}; its first {@code committed}
     * records must all be there and check out), cuts off what follows them (an expunge that never committed), appends
     * {@code entries} and forces the file. A missing file, or one shorter than its header while nothing is committed
     * (a creation that was interrupted), is created with {@code fileId}, owner-only, and its directory forced.
     */
    static void appendCommitted(Path file, long fileId, int committed, List<Entry> entries) throws IOException {
        String label = file.getFileName().toString();
        long size = StoreFiles.regularSize(file, label);
        boolean created = size < 0;
        try (FileChannel ch = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long end;
            if (ch.size() < HEADER_SIZE && committed == 0) {
                ch.truncate(0);
                end = HEADER_SIZE;
            } else {
                end = checkCommitted(ch, label, fileId, committed);
                if (ch.size() > end) {
                    ch.truncate(end);
                }
            }
            Durable.writeFully(ch, records(entries), end);
            Durable.writeFully(ch, header(fileId, committed + entries.size()), 0);
            ch.force(false);
        } catch (MailboxFormatException e) {
            throw e;
        } catch (IOException e) {
            throw StoreFiles.unreadable(label, e);
        }
        if (created) {
            Durable.syncDirectory(file.toAbsolutePath().getParent());
        }
    }

    /**
     * Checks a list against what the index says of it and returns the end of its committed records: the header carries
     * {@code fileId} and the first {@code committed} records are whole and check out.
     */
    static long checkCommitted(FileChannel ch, String label, long fileId, int committed) throws IOException {
        long size = ch.size();
        long end = HEADER_SIZE + (long) committed * RECORD_SIZE;
        if (end > Integer.MAX_VALUE) {
            throw new MailboxFormatException(label + " is too large");
        }
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(size, end));
        try {
            Durable.readFully(ch, b, 0);
        } catch (EOFException e) {
            throw new MailboxFormatException(label + " changed while it was read");
        }
        byte[] bytes = b.array();
        Header h = parseHeader(bytes, bytes.length, label);
        checkHeader(h, label, fileId);
        if (size < end) {
            throw new MailboxFormatException(label + " is truncated: it holds " + Math.max(0, (size - HEADER_SIZE) / RECORD_SIZE)
                    + " whole records, the index says " + committed + " were committed");
        }
        CRC32C crc = new CRC32C();
        for (int i = 0; i < committed; i++) {
            int off = HEADER_SIZE + i * RECORD_SIZE;
            crc.reset();
            crc.update(bytes, off, 20);
            if ((int) crc.getValue() != b.getInt(off + 20)) {
                throw new MailboxFormatException(label + " record " + (i + 1) + " has a bad checksum");
            }
        }
        return end;
    }

    /** The header of the current {@code store.exp} must be version 2 and carry the index's file id. */
    static void checkHeader(Header h, String label, long fileId) throws MailboxFormatException {
        if (h.version() != VERSION) {
            throw new MailboxFormatException(label + " is version " + h.version() + " but the index expects version " + VERSION
                    + " with file id " + fileId);
        }
        if (h.fileId() != fileId) {
            throw new MailboxFormatException(label + " belongs to another index: its file id is " + h.fileId() + ", the index expects "
                    + fileId);
        }
    }

    /** Checks a list as {@link #checkCommitted(FileChannel, String, long, int)} does, changing nothing. */
    static void checkCommitted(Path file, long fileId, int committed) throws IOException {
        String label = file.getFileName().toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            checkCommitted(ch, label, fileId, committed);
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException(label + " is missing: the index says " + committed + " expunged messages were committed to it");
        } catch (MailboxFormatException e) {
            throw e;
        } catch (IOException e) {
            throw StoreFiles.unreadable(label, e);
        }
    }

    /** Cuts a list to its first {@code committed} records (forced), after checking them as {@link #checkCommitted} does. */
    static void cutToCommitted(Path file, long fileId, int committed) throws IOException {
        String label = file.getFileName().toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long end = checkCommitted(ch, label, fileId, committed);
            ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE);
            Durable.readFully(ch, h, 0);
            boolean countRight = h.getInt(12) == committed;
            if (ch.size() > end || !countRight) {
                ch.truncate(end);
                if (!countRight) {
                    Durable.writeFully(ch, header(fileId, committed), 0);
                }
                ch.force(false);
            }
        } catch (NoSuchFileException e) {
            throw new MailboxFormatException(label + " is missing: the index says " + committed + " expunged messages were committed to it");
        } catch (MailboxFormatException e) {
            throw e;
        } catch (IOException e) {
            throw StoreFiles.unreadable(label, e);
        }
    }

    /** Writes a complete version-2 list to {@code file} (a new file, owner-only, forced). */
    static void write(Path file, long fileId, List<Entry> entries) throws IOException {
        try (FileChannel ch = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Durable.writeFully(ch, header(fileId, entries.size()), 0);
            Durable.writeFully(ch, records(entries), HEADER_SIZE);
            ch.force(true);
        }
    }

    /**
     * Appends entries to an existing list after its whole records (or creates one with {@code fileId}), forced. For
     * tests that stage what a crash leaves behind; the store itself appends with {@link #appendCommitted}.
     */
    public static void append(Path file, long fileId, List<Entry> entries) throws IOException {
        long size = StoreFiles.regularSize(file, file.getFileName().toString());
        if (size < 0) {
            write(file, fileId, entries);
            return;
        }
        Header h = readHeader(file);
        long end = h.size() + (size - h.size()) / RECORD_SIZE * RECORD_SIZE;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(end);
            Durable.writeFully(ch, records(entries), end);
            if (h.version() == VERSION) {
                Durable.writeFully(ch, header(h.fileId(), (int) ((end - h.size()) / RECORD_SIZE) + entries.size()), 0);
            }
            ch.force(false);
        }
    }
}
