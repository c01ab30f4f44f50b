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
import org.mstore.fs.CrashPoint;
import org.mstore.fs.OwnerOnly;

/**
 * {@code store.exp} (and its renamed {@code store.exp.<yyyyMMddHHmmss>} copies): the messages expunged since the last
 * cleanup. Version 3: a 32-byte header (magic, version, sizes, record count, the file's id, CRC-32C), then 32-byte
 * records: u32 uid, u32 size, u64 expunged-at (epoch ms), u32 the expunge sequence number it belongs to, u32 the flags
 * the message had in the index (bit 31 set when the next field holds its message checksum), u32 the message's CRC-32C,
 * u32 CRC-32C of the first 28 bytes. Versions 1 (a 16-byte header without an id, 24-byte records with 0 for the
 * sequence) and 2 (the version-3 header, 24-byte records without flags and message checksum) are still read; their
 * entries have no flags and no known checksum. A file is never written in two versions: a version-2 {@code store.exp}
 * is rewritten in version 3 by the expunge that would append to it; renamed lists keep their version.
 *
 * <p>Which records count is decided by the index: its header names the file id of the current {@code store.exp} and
 * how many of its records are committed. Records past that count are an expunge that never committed (its messages
 * are still in the index): ignored, and cut off by the next expunge or Clean. A torn last record is ignored likewise.
 */
public final class ExpungeFile {
    public static final String FILE = "store.exp";
    public static final int MAGIC = 0x4D534558; // "MSEX"
    public static final int VERSION = 3;
    public static final int HEADER_SIZE = 32;
    public static final int V1_HEADER_SIZE = 16;
    /** The record size of version 3, which every writer writes. */
    public static final int RECORD_SIZE = 32;
    /** The record size of versions 1 and 2 (still read). */
    public static final int V2_RECORD_SIZE = 24;
    /** Bit 31 of a version-3 record's flags word: the record holds the message's checksum. */
    static final int CHECKSUM_KNOWN = 0x8000_0000;

    /**
     * One expunged message; {@code seq} is the expunge it belongs to (0 when unknown: version 1); {@code flags} the
     * {@link org.mstore.api.Flags} it had when it was expunged (0 in versions 1 and 2, which did not keep them);
     * {@code checksum} the CRC-32C of its file's bytes, or {@link IndexRecord#NO_CHECKSUM} when unknown (versions 1
     * and 2, a message whose index record had none, an orphan Repair listed).
     */
    public record Entry(int uid, int size, long expungedAt, int seq, int flags, long checksum) {
        public Entry(int uid, int size, long expungedAt) {
            this(uid, size, expungedAt, 0);
        }

        public Entry(int uid, int size, long expungedAt, int seq) {
            this(uid, size, expungedAt, seq, 0, IndexRecord.NO_CHECKSUM);
        }

        public boolean checksumKnown() {
            return checksum >= 0;
        }
    }

    /**
     * What the header says: the version, its size, the file id (0 for version 1) and the record count (-1 for version
     * 1). The count is the records as of the last append; Clean makes it the committed count before the rename, so a
     * renamed list must hold exactly that many.
     */
    public record Header(int version, int size, long fileId, int count) {
        /** The size of this version's records: 32 for version 3, 24 before. */
        public int recordSize() {
            return ExpungeFile.recordSize(version);
        }
    }

    /** The size of a record of {@code version}. */
    static int recordSize(int version) {
        return version >= 3 ? RECORD_SIZE : V2_RECORD_SIZE;
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

    /** A header of {@code version} (2 or 3: version 1 is never written). */
    private static ByteBuffer header(int version, long fileId, int count) {
        if (version != 2 && version != VERSION) {
            throw new IllegalArgumentException("store.exp version " + version + " is not written");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.putInt(0, MAGIC);
        b.putShort(4, (short) version);
        b.putShort(6, (short) HEADER_SIZE);
        b.putInt(8, recordSize(version));
        b.putInt(12, count);
        b.putLong(16, fileId);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_SIZE - 4);
        b.putInt(HEADER_SIZE - 4, (int) crc.getValue());
        return b;
    }

    /**
     * Records of {@code version} (2 or 3). Version 2 has no room for the flags and the checksum: a version-2 record
     * written of an entry that has them loses them, so only tests (which stage files of the previous release) and
     * the append to a renamed list that is still version 2 ({@link #append}) write one.
     */
    private static ByteBuffer records(int version, List<Entry> entries) {
        int rs = recordSize(version);
        ByteBuffer b = ByteBuffer.allocate(entries.size() * rs);
        CRC32C crc = new CRC32C();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            int off = i * rs;
            b.putInt(off, e.uid()).putInt(off + 4, e.size()).putLong(off + 8, e.expungedAt()).putInt(off + 16, e.seq());
            if (version >= 3) {
                int word = e.flags() & ~CHECKSUM_KNOWN;
                b.putInt(off + 20, e.checksumKnown() ? word | CHECKSUM_KNOWN : word);
                b.putInt(off + 24, e.checksumKnown() ? (int) e.checksum() : 0);
            }
            crc.reset();
            crc.update(b.array(), off, rs - 4);
            b.putInt(off + rs - 4, (int) crc.getValue());
        }
        return b;
    }

    /** The entry of the record at {@code off}, whose checksum is already checked. */
    private static Entry entry(ByteBuffer b, int off, int version) {
        int uid = b.getInt(off);
        int size = b.getInt(off + 4);
        long at = b.getLong(off + 8);
        if (version < 3) {
            return new Entry(uid, size, at, version == 1 ? 0 : b.getInt(off + 16));
        }
        int word = b.getInt(off + 20);
        long checksum = (word & CHECKSUM_KNOWN) != 0 ? b.getInt(off + 24) & 0xffffffffL : IndexRecord.NO_CHECKSUM;
        return new Entry(uid, size, at, b.getInt(off + 16), word & ~CHECKSUM_KNOWN, checksum);
    }

    /** True when the record of {@code rs} bytes at {@code off} checks out. */
    private static boolean checks(byte[] bytes, int off, int rs, CRC32C crc) {
        crc.reset();
        crc.update(bytes, off, rs - 4);
        return (int) crc.getValue() == ByteBuffer.wrap(bytes).getInt(off + rs - 4);
    }

    /** Parses a header from the start of {@code bytes}; throws a format error naming {@code label}. */
    static Header parseHeader(byte[] bytes, int length, String label) throws MailboxFormatException {
        if (length < V1_HEADER_SIZE) {
            throw new MailboxFormatException(label + " is shorter than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int version = b.getShort(4) & 0xffff;
        if (b.getInt(0) != MAGIC || version < 1 || version > VERSION || b.getInt(8) != recordSize(version)) {
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
        int rs = h.recordSize();
        long whole = (bytes.length - h.size()) / rs;
        boolean renamed = !label.equals(FILE);
        if (renamed && h.count() >= 0 && bytes.length != h.size() + (long) h.count() * rs) {
            throw new MailboxFormatException(label + " holds " + whole + " whole records" + ((bytes.length - h.size()) % rs == 0 ? ""
                    : " and a piece of one") + ", its header says " + h.count());
        }
        if (renamed && (bytes.length - h.size()) % rs != 0) {
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
        return records(bytes, h, label, Math.min(limit, (bytes.length - h.size()) / h.recordSize()));
    }

    private static List<Entry> records(byte[] bytes, Header h, String label, long n) throws MailboxFormatException {
        List<Entry> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        int rs = h.recordSize();
        for (int i = 0; i < n; i++) {
            int off = h.size() + i * rs;
            if (!checks(bytes, off, rs, crc)) {
                throw new MailboxFormatException(label + " record " + (i + 1) + " has a bad checksum");
            }
            out.add(entry(b, off, h.version()));
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
            // header lost: the records may still check out, at the layout of one of the versions
        }
        if (h != null) {
            return salvage(bytes, h, h.version());
        }
        // Every layout is tried and the one under which the most records check out is kept (a record that checks out
        // under another layout's boundaries is as unlikely as any 32-bit checksum match); a tie goes to the version the
        // header's bytes still name, else to the current one.
        int named = bytes.length >= 6 ? ByteBuffer.wrap(bytes).getShort(4) & 0xffff : VERSION;
        Salvage best = null;
        for (int version : new int[] {named, VERSION, 2, 1}) {
            if (version < 1 || version > VERSION) {
                continue;
            }
            Salvage s = salvage(bytes, null, version);
            if (best == null || s.entries().size() > best.entries().size()) {
                best = s;
            }
        }
        return best;
    }

    /** The records that check out at the layout of {@code version}. */
    private static Salvage salvage(byte[] bytes, Header h, int version) {
        int hs = version == 1 ? V1_HEADER_SIZE : HEADER_SIZE;
        int rs = recordSize(version);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        List<Entry> out = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        int slots = 0;
        for (int off = hs; off + rs <= bytes.length; off += rs, slots++) {
            if (checks(bytes, off, rs, crc) && b.getInt(off) > 0) {
                out.add(entry(b, off, version));
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
            return size < hs ? 0 : (size - hs) / (h == null ? RECORD_SIZE : h.recordSize());
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /**
     * The write of an expunge: checks the list (its header must carry {@code fileId}; its first {@code committed}
     * records must all be there and check out), cuts off what follows them (an expunge that never committed), appends
     * {@code entries} and forces the file. A missing file, or one shorter than its header while nothing is committed
     * (a creation that was interrupted), is created with {@code fileId}, owner-only, and its directory forced.
     *
     * <p>A version-2 list is not appended to (a file never mixes record sizes): its committed records and
     * {@code entries} are written in version 3 to {@code store.exp.new}, forced, and renamed over it. The new file
     * carries the same file id and the same committed records, so the index names it as it named the old one; a crash
     * before the rename ({@code expunge.after-exp-new}) leaves the old file and a {@code .new} that the next open
     * deletes, after it the new one with records past the committed count, as an append leaves them.
     */
    static void appendCommitted(Path file, long fileId, int committed, List<Entry> entries) throws IOException {
        String label = file.getFileName().toString();
        long size = StoreFiles.regularSize(file, label);
        boolean created = size < 0;
        List<Entry> upgrade = null;
        boolean writing = false;
        try (FileChannel ch = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long end;
            if (ch.size() < HEADER_SIZE && committed == 0) {
                ch.truncate(0);
                end = HEADER_SIZE;
            } else {
                Checked c = checkCommitted(ch, label, fileId, committed);
                if (c.header().version() != VERSION) {
                    upgrade = records(c.bytes(), c.header(), label, committed);
                    end = -1;
                } else {
                    end = c.end();
                    if (ch.size() > end) {
                        ch.truncate(end);
                    }
                }
            }
            if (upgrade == null) {
                writing = true;
                Durable.writeFully(ch, records(VERSION, entries), end);
                Durable.writeFully(ch, header(VERSION, fileId, committed + entries.size()), 0);
                ch.force(false);
            }
        } catch (MailboxFormatException e) {
            throw e;
        } catch (IOException e) {
            if (!writing) {
                throw StoreFiles.unreadable(label, e);
            }
            // a write refused (a full disk): the list is not damaged, the expunge did not happen. Records past the
            // committed count are cut off by the next expunge; a list made just now is taken back.
            if (created) {
                java.nio.file.Files.deleteIfExists(file);
            }
            throw e;
        }
        if (upgrade != null) {
            List<Entry> all = new ArrayList<>(upgrade);
            all.addAll(entries);
            Path aside = file.resolveSibling(label + ".new");
            write(aside, fileId, all, VERSION);
            CrashPoint.hit("expunge.after-exp-new");
            Durable.replace(aside, file);
        } else if (created) {
            Durable.syncDirectory(file.toAbsolutePath().getParent());
        }
    }

    /** A list checked against the index: its header, the end of its committed records, and the bytes read up to there. */
    private record Checked(Header header, long end, byte[] bytes) {
    }

    /**
     * Checks a list against what the index says of it: the header carries {@code fileId} and the first
     * {@code committed} records are whole and check out.
     */
    private static Checked checkCommitted(FileChannel ch, String label, long fileId, int committed) throws IOException {
        long size = ch.size();
        ByteBuffer hb = ByteBuffer.allocate((int) Math.min(size, HEADER_SIZE));
        try {
            Durable.readFully(ch, hb, 0);
        } catch (EOFException e) {
            throw new MailboxFormatException(label + " changed while it was read");
        }
        Header h = parseHeader(hb.array(), hb.capacity(), label);
        checkHeader(h, label, fileId);
        int rs = h.recordSize();
        long end = HEADER_SIZE + (long) committed * rs;
        if (end > Integer.MAX_VALUE) {
            throw new MailboxFormatException(label + " is too large");
        }
        if (size < end) {
            throw new MailboxFormatException(label + " is truncated: it holds " + Math.max(0, (size - HEADER_SIZE) / rs)
                    + " whole records, the index says " + committed + " were committed");
        }
        ByteBuffer b = ByteBuffer.allocate((int) end);
        try {
            Durable.readFully(ch, b, 0);
        } catch (EOFException e) {
            throw new MailboxFormatException(label + " changed while it was read");
        }
        byte[] bytes = b.array();
        CRC32C crc = new CRC32C();
        for (int i = 0; i < committed; i++) {
            if (!checks(bytes, HEADER_SIZE + i * rs, rs, crc)) {
                throw new MailboxFormatException(label + " record " + (i + 1) + " has a bad checksum");
            }
        }
        return new Checked(h, end, bytes);
    }

    /**
     * The header of the current {@code store.exp} must be version 2 or 3 (version 1 is read only beside a version-1
     * index, which names no file id) and carry the index's file id.
     */
    static void checkHeader(Header h, String label, long fileId) throws MailboxFormatException {
        if (h.version() < 2) {
            throw new MailboxFormatException(label + " is version " + h.version() + " but the index expects version 2 or " + VERSION
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

    /**
     * Cuts a list to its first {@code committed} records (forced), after checking them as {@link #checkCommitted} does.
     * The list keeps its version: a version-2 list renamed by Clean stays version 2.
     */
    static void cutToCommitted(Path file, long fileId, int committed) throws IOException {
        String label = file.getFileName().toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Checked c = checkCommitted(ch, label, fileId, committed);
            boolean countRight = c.header().count() == committed;
            if (ch.size() > c.end() || !countRight) {
                ch.truncate(c.end());
                if (!countRight) {
                    Durable.writeFully(ch, header(c.header().version(), fileId, committed), 0);
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

    /** Writes a complete version-3 list to {@code file} (a new file, owner-only, forced). */
    static void write(Path file, long fileId, List<Entry> entries) throws IOException {
        write(file, fileId, entries, VERSION);
    }

    /**
     * Writes a complete list of {@code version} (2 or 3) to {@code file} (a new file, owner-only, forced). The store
     * writes version 3 only; version 2 is for tests that stage a list of the previous release (its records drop the
     * flags and the checksum).
     */
    static void write(Path file, long fileId, List<Entry> entries, int version) throws IOException {
        ByteBuffer h = header(version, fileId, entries.size());
        try (FileChannel ch = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Durable.writeFully(ch, h, 0);
            Durable.writeFully(ch, records(version, entries), HEADER_SIZE);
            ch.force(true);
        }
    }

    /**
     * Appends entries to an existing list after its whole records, in the list's own version (or creates a version-3
     * list with {@code fileId}), forced. For tests that stage what a crash leaves behind; the store itself appends with
     * {@link #appendCommitted}.
     */
    public static void append(Path file, long fileId, List<Entry> entries) throws IOException {
        long size = StoreFiles.regularSize(file, file.getFileName().toString());
        if (size < 0) {
            write(file, fileId, entries);
            return;
        }
        Header h = readHeader(file);
        if (h.version() == 1) {
            throw new IllegalArgumentException("a version-1 list is not written to");
        }
        int rs = h.recordSize();
        long end = h.size() + (size - h.size()) / rs * rs;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(end);
            Durable.writeFully(ch, records(h.version(), entries), end);
            Durable.writeFully(ch, header(h.version(), h.fileId(), (int) ((end - h.size()) / rs) + entries.size()), 0);
            ch.force(false);
        }
    }
}
