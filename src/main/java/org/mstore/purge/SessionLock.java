package org.mstore.purge;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.mstore.api.SessionLockedException;
import org.mstore.fs.OwnerOnly;

/**
 * The purge session lock: one impurge per store, whatever process it runs in. An OS file lock on
 * {@code <store>/mboxlist/purge.session.lck}, which the OS releases when its holder dies, so a crashed
 * impurge never leaves the store locked. The holder's pid and start time are written into the file so that
 * others can say who holds it.
 */
public final class SessionLock implements AutoCloseable {
    public static final String FILE = "purge.session.lck";
    public static final String MESSAGE = org.mstore.api.SessionLockedException.MESSAGE;
    /**
     * Lock files held by this JVM (a second lock from the same JVM would throw, not fail), with the holder text written
     * into each. The file is never read while this JVM holds it: closing any other descriptor of a file releases the
     * process's POSIX lock on it (fcntl semantics), so a read would silently give the lock away.
     */
    private static final java.util.Map<Path, String> HELD_HERE = new ConcurrentHashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private SessionLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    public static Path lockFile(Path storeRoot) {
        return storeRoot.resolve("mboxlist").resolve(FILE).toAbsolutePath().normalize();
    }

    /**
     * Makes the lock file of a new store, with a line in it, before anything can take the lock: taking it then only
     * rewrites the file in place, which works on a full disk too (making it would need a free block).
     */
    public static void prepare(Path storeRoot) throws IOException {
        Path file = lockFile(storeRoot);
        OwnerOnly.createDirectories(file.getParent());
        if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            OwnerOnly.write(file, "free\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Takes the lock if free; empty if another impurge (here or in another process) holds it. */
    public static Optional<SessionLock> tryAcquire(Path storeRoot, String holder) throws IOException {
        Path file = lockFile(storeRoot);
        OwnerOnly.createDirectories(file.getParent());
        if (HELD_HERE.putIfAbsent(file, holder) != null) {
            return Optional.empty();
        }
        FileChannel ch = null;
        try {
            ch = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                ch.close();
                HELD_HERE.remove(file);
                return Optional.empty();
            }
            OwnerOnly.rewriteInPlace(ch, (holder + "\n").getBytes(StandardCharsets.UTF_8)); // on a full disk too
            ch.force(false);
            return Optional.of(new SessionLock(file, ch, l));
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            HELD_HERE.remove(file);
            throw e;
        }
    }

    /** Who holds the lock, as written by the holder; empty if the lock is free. */
    public static Optional<String> holder(Path storeRoot) {
        Path file = lockFile(storeRoot);
        String here = HELD_HERE.get(file);
        if (here != null) {
            return Optional.of(here.isBlank() ? "this process" : here.strip());
        }
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l != null) {
                l.release();
                return Optional.empty();
            }
        } catch (IOException | OverlappingFileLockException e) {
            // fall through: treat as held
        }
        return Optional.of(read(file).orElse("another process"));
    }

    private static Optional<String> read(Path file) {
        try {
            String s = Files.readString(file).strip();
            int nl = s.indexOf('\n'); // the holder's line (the rest of a longer text it is writing over, for a moment)
            s = nl < 0 ? s : s.substring(0, nl).strip();
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the lock goes with the channel
        } finally {
            HELD_HERE.remove(file);
        }
    }
}
