package org.mstore.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
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

    /** Creates the directory {@code dir}, owner-only, or fails if anything is there ({@code mkdir}: atomic). */
    public static Path createDirectory(Path dir) throws IOException {
        return Files.createDirectory(dir, DIR_ATTR);
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

    /**
     * Writes {@code bytes} to {@code file} all at once: a reader sees the old content or the new, never a part. The new
     * content goes to an owner-only file beside it, forced to disk, that is then renamed over {@code file}.
     */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        write(tmp, bytes);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        forceDirectory(file.toAbsolutePath().getParent());
    }

    /**
     * Writes {@code bytes} over the start of an open file and cuts it to their length: the file keeps the blocks it has,
     * so this works on a full disk, where a new file or a rename's temporary would need a free one. Not atomic: a reader
     * may catch the old and the new text mixed for a moment.
     */
    public static void rewriteInPlace(FileChannel ch, byte[] bytes) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        long pos = 0;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
        ch.truncate(bytes.length);
    }

    /** Forces a directory's entries (a rename or a new file in it) to disk, where the platform allows it. */
    public static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform can open a directory; the rename itself is still atomic
        }
    }

    /**
     * Makes every file and directory under {@code root}, {@code root} included, owner-only. Symbolic links are neither
     * followed nor changed (a link's own mode means nothing, and its target may not be the store's). Returns how many
     * entries had to be changed.
     */
    public static int restrictTree(Path root) throws IOException {
        if (!POSIX || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int[] changed = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                changed[0] += restrictIfWider(dir, DIR);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    changed[0] += restrictIfWider(file, FILE);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return changed[0];
    }

    private static int restrictIfWider(Path p, Set<PosixFilePermission> wanted) throws IOException {
        Set<PosixFilePermission> now = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        if (now.equals(wanted)) {
            return 0;
        }
        Files.setPosixFilePermissions(p, wanted);
        return 1;
    }

    /**
     * Makes sure {@code dir} is a private directory of this process's user, for a fixed, guessable path in a shared
     * place such as {@code /tmp}: creates it owner-only, or accepts an existing one only if it is a real directory (not
     * a link) that this user owns, and then makes it owner-only. Anything else is refused in one line: another user
     * who made the directory first could read or replace what is put in it.
     */
    public static Path privateDirectory(Path dir) throws IOException {
        createDirectories(dir);
        if (!POSIX) {
            return dir;
        }
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        UserPrincipal me = dir.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(System.getProperty("user.name"));
        if (!a.isDirectory() || a.isSymbolicLink() || !a.owner().equals(me)) {
            throw new IOException("refusing " + dir + ": it is " + (a.isSymbolicLink() ? "a symbolic link"
                    : !a.isDirectory() ? "not a directory" : "owned by " + a.owner().getName() + ", not " + me.getName()));
        }
        if (!a.permissions().equals(DIR)) {
            Files.setPosixFilePermissions(dir, DIR);
        }
        return dir;
    }

    /**
     * Refuses a store directory that another user owns. A store is used by its owner only: a process of another user
     * (root, running maintenance) would run with its own privileges on files that the owner can change at will — the
     * owner could put code in the database for it to run (an H2 trigger is Java source, compiled and run when the
     * database opens), or have it bring back an old index — and it would leave files the owner cannot read. Where the
     * owner cannot be told (no POSIX attributes, the directory out of reach), the checks that follow decide.
     */
    public static void requireOwnedByThisUser(Path dir) throws IOException {
        if (!POSIX) {
            return;
        }
        long me = processUid();
        Object owner;
        try {
            owner = Files.getAttribute(dir, "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return;
        }
        if (me < 0 || !(owner instanceof Integer uid) || uid == me) {
            return;
        }
        String name = Files.getOwner(dir).getName();
        throw new IOException("the store at " + dir + " belongs to " + name + " (uid " + uid + "), not to this process's user "
                + System.getProperty("user.name") + " (uid " + me + "): run mstore as its owner, e.g. 'runuser -u " + name
                + " -- mstore ...' (a store is used by its owner only: see docs/security.md)");
    }

    /**
     * The store's directory as every later step uses it: absolute and through no symbolic link, resolved once, before
     * anything of the store is checked or read. A path through a link would be looked up again at each file the store
     * opens, so whoever can change the link could switch the store under a process after its checks, to one with code of
     * theirs in its database. A directory not made yet (init) is resolved through its nearest existing parent.
     */
    public static Path realStorePath(Path root) throws IOException {
        Path r = root.toAbsolutePath().normalize();
        Path existing = r;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing == null ? r : existing.toRealPath().resolve(existing.relativize(r));
    }

    /**
     * Refuses a store reached through a directory that another user could change: one owned by another user than this
     * process's and root, or one that every user may write to without the sticky bit ({@code /tmp}'s {@code t}: there
     * only an entry's owner may rename it). Whoever can rename a directory on the way can put another store in its
     * place between this process's checks and its use of the store, so the check of the store's owner would prove
     * nothing. A directory that a group may write to is trusted to that group, as it is by the system's own tools.
     * {@code realPath} is the store's {@link #realStorePath real path}; the directory itself need not exist yet.
     */
    public static void requireNoOtherUserCanMove(Path realPath) throws IOException {
        if (!POSIX) {
            return;
        }
        long me = processUid();
        if (me < 0) {
            return;
        }
        for (Path d = realPath.getParent(); d != null; d = d.getParent()) {
            Object uid;
            Object mode;
            try {
                uid = Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                mode = Files.getAttribute(d, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                return; // not a file system that says (the checks that follow decide)
            }
            if (!(uid instanceof Integer u) || !(mode instanceof Integer m)) {
                return;
            }
            if (u != me && u != 0) {
                throw new IOException("refusing the store at " + realPath + ": it is reached through " + d + ", which "
                        + Files.getOwner(d, LinkOption.NOFOLLOW_LINKS).getName() + " (uid " + u + ") owns and could replace"
                        + " the store in; move the store under directories of this user's or root's (see docs/security.md)");
            }
            if ((m & 0002) != 0 && (m & 01000) == 0) {
                throw new IOException("refusing the store at " + realPath + ": it is reached through " + d + ", which every"
                        + " user may write to (mode " + Integer.toOctalString(m & 07777) + ", no sticky bit) and so replace the"
                        + " store in; chmod o-w or +t it, or move the store (see docs/security.md)");
            }
        }
    }

    /** This process's effective uid: the owner of {@code /proc/self}; -1 where it cannot be read (not Linux). */
    static long processUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
