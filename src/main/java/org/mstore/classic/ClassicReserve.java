package org.mstore.classic;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import org.mstore.backend.SpaceReserve;
import org.mstore.fs.OwnerOnly;

/**
 * The classic store's {@link SpaceReserve}: {@code mboxlist/reserve}, a file of zeros (its blocks written, not a sparse
 * file) beside the database whose writes it is kept for. Its size is 1 MiB, or a 64th of a smaller disk, in whole 4 KiB
 * blocks: room for the commits that claim and finish the tasks that free space (Remove frees its files before it
 * commits). It is made through {@code reserve.new} and a rename; it is not forced to disk, since the file system counts
 * the blocks written as used at once, and one that a crash left short is made again.
 */
final class ClassicReserve implements SpaceReserve {
    static final String FILE = "reserve";
    static final long MAX_BYTES = 1L << 20;
    private static final int BLOCK = 4096;

    private final Path file;
    private volatile FileStore disk;

    ClassicReserve(Path root) {
        this.file = root.resolve(org.mstore.db.Database.DIR).resolve(FILE);
    }

    private FileStore disk() throws IOException {
        FileStore d = disk;
        if (d == null) {
            d = Files.getFileStore(file.getParent()); // looked up once: it reads the mount table
            disk = d;
        }
        return d;
    }

    /** What the reserve holds on this disk. */
    long size() throws IOException {
        return Math.max(BLOCK, Math.min(MAX_BYTES, disk().getTotalSpace() / 64) / BLOCK * BLOCK);
    }

    @Override
    public String location() {
        return file.toString();
    }

    @Override
    public org.mstore.api.DiskSpace space() throws IOException {
        long size = size();
        return new org.mstore.api.DiskSpace(file.toString(), disk().getTotalSpace(), disk().getUsableSpace(), size, held(size));
    }

    @Override
    public long release() throws IOException {
        long bytes;
        try {
            bytes = Files.size(file);
        } catch (NoSuchFileException e) {
            return 0;
        }
        Files.deleteIfExists(file);
        return bytes;
    }

    /** True when the reserve is there, whole. */
    private boolean held(long size) throws IOException {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.size(file) >= size;
    }

    @Override
    public long ensure() {
        Path next = file.resolveSibling(FILE + ".new");
        try {
            long size = size();
            if (held(size) || disk().getUsableSpace() < 2 * size) {
                return 0;
            }
            try (FileChannel ch = OwnerOnly.open(next, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
                for (long written = 0; written < size; ) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), size - written));
                    written += ch.write(zeros);
                }
            }
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return size;
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(next);
            } catch (IOException ignored) {
                // as much as the disk lets go of
            }
            return 0;
        }
    }
}
