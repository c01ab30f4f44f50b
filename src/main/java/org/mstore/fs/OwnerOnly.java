package org.mstore.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and directories that belong to the store's owner alone: every file the store creates is {@code rw-------}
 * and every directory {@code rwx------}, whatever the process's umask. Files that a library creates (H2's database,
 * the log) are {@link #restrict restricted} right after. Where the file system has no POSIX permissions, these are
 * plain creations.
 */
public final class OwnerOnly {
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?>[] FILE_ATTR = POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
            : new FileAttribute<?>[0];
    private static final FileAttribute<?>[] DIR_ATTR = POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIR)}
            : new FileAttribute<?>[0];

    private OwnerOnly() {
    }

    /** Creates {@code dir} and any missing parents, each owner-only; an existing directory is left as it is. */
    public static Path createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return dir;
        }
        return Files.createDirectories(dir, DIR_ATTR);
    }

    /** Opens a file channel; a file it creates is owner-only. */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        return FileChannel.open(file, Set.of(options), FILE_ATTR);
    }

    /** Creates an empty owner-only file, or fails if it exists. */
    public static Path createFile(Path file) throws IOException {
        return Files.createFile(file, FILE_ATTR);
    }

    /** Writes a new owner-only file (replacing one that exists) with {@code bytes}, forced to disk. */
    public static void write(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    /** Makes an existing file or directory owner-only (for what a library created with the umask's modes). */
    public static void restrict(Path p) throws IOException {
        if (POSIX && Files.exists(p)) {
            Files.setPosixFilePermissions(p, Files.isDirectory(p) ? DIR : FILE);
        }
    }
}
