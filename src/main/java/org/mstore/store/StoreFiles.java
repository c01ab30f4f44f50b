package org.mstore.store;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.zip.CRC32C;

import org.mstore.api.MailboxFormatException;
import org.mstore.fs.OwnerOnly;

/**
 * What every reader of a mailbox file checks first: that the file is a regular file (not a directory, a link or a
 * device put where it should be) and readable; failures become a {@link MailboxFormatException} that names the file,
 * never a raw "Is a directory". And what Repair does with such things: moves them aside, owner-only.
 */
final class StoreFiles {
    /** The suffix of a thing moved aside by Repair: {@code <name>.damaged-<n>}. */
    static final String DAMAGED = ".damaged-";

    private StoreFiles() {
    }

    /**
     * The file's attributes, not following links; null when nothing is there (also when a directory on the way is
     * not one: then nothing can be there either).
     */
    static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return null;
        } catch (java.nio.file.FileSystemException e) {
            if ("Not a directory".equals(e.getReason())) {
                return null;
            }
            throw e;
        }
    }

    /** True when something is at {@code p} (a link counts, even a dangling one). */
    static boolean present(Path p) throws IOException {
        return attributes(p) != null;
    }

    /**
     * Checks that {@code p}, if present, is a regular file. Returns its size, or -1 when it is missing; throws
     * {@code MailboxFormatException("<label> is not a regular file")} otherwise.
     */
    static long regularSize(Path p, String label) throws IOException {
        BasicFileAttributes a = attributes(p);
        if (a == null) {
            return -1;
        }
        if (!a.isRegularFile()) {
            throw notRegular(label, a);
        }
        return a.size();
    }

    static MailboxFormatException notRegular(String label, BasicFileAttributes a) {
        String what = a.isDirectory() ? "a directory" : a.isSymbolicLink() ? "a symbolic link" : "not a regular file";
        return new MailboxFormatException(label + " is " + (what.startsWith("not") ? what : "not a regular file but " + what));
    }

    /** An I/O error met while reading a mailbox file, as a format error that names it. */
    static MailboxFormatException unreadable(String label, IOException e) {
        if (e instanceof MailboxFormatException mfe) {
            return mfe;
        }
        String why;
        if (e instanceof AccessDeniedException) {
            why = "permission denied";
        } else if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            why = f.getReason();
        } else {
            why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        return new MailboxFormatException(label + " cannot be read: " + why.lines().findFirst().orElse(why));
    }

    /** Reads a whole regular file; missing → {@link NoSuchFileException}, anything else wrong → a format error. */
    static byte[] readAll(Path p, String label) throws IOException {
        long size = regularSize(p, label);
        if (size < 0) {
            throw new NoSuchFileException(p.toString());
        }
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw unreadable(label, e);
        }
    }

    /**
     * Moves {@code p} aside to {@code <name>.damaged-<n>} (the first free n) in the same directory, owner-only, and
     * forces the directory. Returns the new path.
     */
    static Path moveAside(Path p) throws IOException {
        Path parent = p.toAbsolutePath().getParent();
        String base = p.getFileName().toString();
        for (int n = 1; ; n++) {
            Path aside = parent.resolve(base + DAMAGED + n);
            if (!present(aside)) {
                Files.move(p, aside);
                try {
                    OwnerOnly.restrict(aside);
                } catch (IOException e) {
                    // a link or a special file whose mode cannot be set: it is aside all the same
                }
                Durable.syncDirectory(parent);
                return aside;
            }
        }
    }

    /** CRC-32C of a whole array, as an unsigned value. */
    static long crc(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes, 0, bytes.length);
        return c.getValue();
    }
}
