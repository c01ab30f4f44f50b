package org.mstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

import org.mstore.fs.OwnerOnly;

/**
 * {@code store.unexp}: the expunged messages that were recovered (unexpunge), so that none is brought back twice. No
 * header; 24-byte records appended and forced after the copies they name are committed: u32 old UID, u32 new UID, u64
 * recovered-at (epoch ms), u32 0, u32 CRC-32C of the first 20 bytes. A torn or damaged record is skipped: at worst the
 * message it named can be recovered once more (a duplicate, never a loss).
 */
final class RecoveredFile {
    static final String FILE = "store.unexp";
    static final int RECORD_SIZE = 24;

    /** A recovery: expunged UID {@code oldUid} came back as {@code newUid}. */
    record Entry(int oldUid, int newUid, long at) {
    }

    private RecoveredFile() {
    }

    /** The recoveries, by old UID; empty when the file is missing. */
    static Map<Integer, Entry> read(Path dir) throws IOException {
        Map<Integer, Entry> out = new LinkedHashMap<>();
        byte[] bytes;
        try {
            bytes = StoreFiles.readAll(dir.resolve(FILE), FILE);
        } catch (NoSuchFileException e) {
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        for (int off = 0; off + RECORD_SIZE <= bytes.length; off += RECORD_SIZE) {
            crc.reset();
            crc.update(bytes, off, 20);
            if ((int) crc.getValue() != b.getInt(off + 20)) {
                continue;
            }
            Entry e = new Entry(b.getInt(off), b.getInt(off + 4), b.getLong(off + 8));
            out.putIfAbsent(e.oldUid(), e);
        }
        return out;
    }

    /** Appends recoveries and forces them (a torn tail from an earlier crash is cut off first). */
    static void append(Path dir, java.util.List<Entry> entries) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(entries.size() * RECORD_SIZE);
        CRC32C crc = new CRC32C();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            int off = i * RECORD_SIZE;
            b.putInt(off, e.oldUid()).putInt(off + 4, e.newUid()).putLong(off + 8, e.at()).putInt(off + 16, 0);
            crc.reset();
            crc.update(b.array(), off, 20);
            b.putInt(off + 20, (int) crc.getValue());
        }
        Path file = dir.resolve(FILE);
        boolean created = !StoreFiles.present(file);
        try (FileChannel ch = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long end = ch.size() - ch.size() % RECORD_SIZE;
            ch.truncate(end);
            Durable.writeFully(ch, b, end);
            ch.force(false);
        }
        if (created) {
            Durable.syncDirectory(dir);
        }
    }
}
