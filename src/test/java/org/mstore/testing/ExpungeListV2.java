package org.mstore.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Stages an expunge list of the previous release: rewrites a version-3 {@code store.exp} (or a renamed
 * {@code store.exp.<stamp>}) byte by byte in version 2, as that release wrote it: the same 32-byte header with version
 * 2 and record size 24, the same record count and file id; each whole record cut to 24 bytes (UID, size, expunged-at,
 * expunge sequence, CRC-32C of the first 20), so the flags and the message checksum are gone. A piece of a record past
 * the whole ones is dropped. Written here, not by the store, so that the tests read what the old release wrote.
 */
public final class ExpungeListV2 {
    private ExpungeListV2() {
    }

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /** Rewrites {@code file} (version 3) in version 2, in place. */
    public static void rewrite(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
        if (in.getInt(0) != 0x4D534558 || in.getShort(4) != 3 || in.getInt(8) != 32) {
            throw new IllegalStateException(file + " is not a version-3 expunge list");
        }
        int records = (in.capacity() - 32) / 32;
        ByteBuffer out = ByteBuffer.allocate(32 + records * 24);
        out.putInt(0, 0x4D534558).putShort(4, (short) 2).putShort(6, (short) 32).putInt(8, 24).putInt(12, in.getInt(12))
                .putLong(16, in.getLong(16)).putInt(24, 0);
        out.putInt(28, crc(out.array(), 0, 28));
        for (int i = 0; i < records; i++) {
            int from = 32 + i * 32;
            int to = 32 + i * 24;
            out.putInt(to, in.getInt(from)).putInt(to + 4, in.getInt(from + 4)).putLong(to + 8, in.getLong(from + 8))
                    .putInt(to + 16, in.getInt(from + 16));
            out.putInt(to + 20, crc(out.array(), to, 20));
        }
        Files.write(file, out.array());
    }

    /** The version in a list's header. */
    public static int version(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file)).getShort(4);
    }
}
