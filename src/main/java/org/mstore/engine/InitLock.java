package org.mstore.engine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.mstore.fs.OwnerOnly;

/**
 * The lock that makes creating a store one process's work: an OS lock on {@code <store>/init.lck}
 * ({@link Engine#INIT_LOCK}), which the creator takes before it looks at what is there and holds until the store is
 * finished or taken back. The OS frees it the moment its holder dies, so a marker ({@link Engine#INIT_MARKER}) whose
 * lock is free was left by an init that was killed, and one whose lock is held belongs to an init that is running.
 * Only the holder clears, makes or takes back anything of the store.
 *
 * <p>The store's directory is created with one {@code mkdir} (atomic; its parents as needed) and the lock file in it
 * with {@code O_CREAT}, which two creators may both do: the lock, not the creation, decides. The holder deletes the
 * file before it lets the lock go (a finished store has no {@code init.lck}); so whoever gets a lock checks that the
 * path still names the file it locked (it writes a token of its own into it and reads it back through the path) and
 * starts again if not: it locked a file that its holder had just deleted.
 *
 * <p>POSIX locks belong to the process, and closing any descriptor of the file frees them: the channel that reads
 * the token back stays open as long as the lock is held, and within a JVM the roots whose lock it holds are kept in
 * {@link #HERE}, so that no thread here opens the file (to look at the lock, or read who holds it) meanwhile.
 */
final class InitLock implements AutoCloseable {
    /** How often a lock that was let go under us (its file deleted) is taken again before giving up. */
    private static final int ATTEMPTS = 100;
    /** A command that reads the lock's state holds it for a moment: an init tries this many times, 50 ms apart. */
    private static final int BUSY_TRIES = 5;
    private static final Set<Path> HERE = new HashSet<>();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern HOLDER = Pattern.compile("pid (\\d+) (\\S+)");

    private final Path root;
    private final FileChannel channel;
    /** The second channel on the lock file, which checked that it was still there: closed with {@link #channel}. */
    private final FileChannel check;
    private final boolean createdRoot;
    private boolean released;

    private InitLock(Path root, FileChannel channel, FileChannel check, boolean createdRoot) {
        this.root = root;
        this.channel = channel;
        this.check = check;
        this.createdRoot = createdRoot;
    }

    static Path file(Path root) {
        return root.resolve(Engine.INIT_LOCK);
    }

    /** Takes the init lock of {@code root} (creating the directory if needed); null if another process holds it. */
    static InitLock tryAcquire(Path root, String process) throws IOException {
        return take(root, process, false);
    }

    /** Takes the init lock of {@code root} (creating the directory if needed), waiting while another process holds it. */
    static InitLock acquire(Path root, String process) throws IOException {
        return take(root, process, true);
    }

    /** Whether this process made the store's directory when it took the lock (then it takes the directory back too). */
    boolean createdRoot() {
        return createdRoot;
    }

    private static InitLock take(Path root, String process, boolean wait) throws IOException {
        synchronized (HERE) {
            while (HERE.contains(root)) {
                if (!wait) {
                    return null;
                }
                try {
                    HERE.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the init of " + root, e);
                }
            }
            HERE.add(root);
        }
        InitLock l = null;
        try {
            l = takeFile(root, process, wait);
            return l;
        } finally {
            if (l == null) {
                forget(root);
            }
        }
    }

    private static void forget(Path root) {
        synchronized (HERE) {
            HERE.remove(root);
            HERE.notifyAll();
        }
    }

    private static InitLock takeFile(Path root, String process, boolean wait) throws IOException {
        try {
            return takeFileOnce(root, process, wait);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException("cannot create a store at " + root + ": permission denied (" + e.getFile() + ")", e);
        }
    }

    private static InitLock takeFileOnce(Path root, String process, boolean wait) throws IOException {
        Path parent = root.getParent();
        for (int attempt = 1; ; attempt++) {
            if (parent != null) {
                OwnerOnly.createDirectories(parent);
            }
            boolean created;
            try {
                OwnerOnly.createDirectory(root);
                created = true;
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(root)) {
                    throw new IOException("cannot create a store at " + root + ": it is a file");
                }
                created = false;
            }
            FileChannel ch;
            try {
                ch = OwnerOnly.open(file(root), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (NoSuchFileException e) {
                // a failed init took the directory back under us
                if (attempt < ATTEMPTS) {
                    continue;
                }
                throw e;
            }
            FileLock lock;
            try {
                lock = wait ? ch.lock() : tryLock(ch);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (lock == null) {
                ch.close();
                return null;
            }
            byte[] token = ("pid " + ProcessHandle.current().pid() + " " + process + " " + HexFormat.of().formatHex(nonce()) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            // read back through the path, on a second channel that stays open as long as the lock is held: closing it
            // would free the lock (POSIX locks belong to the process, and any close of the file lets them go)
            FileChannel check = null;
            boolean ours;
            try {
                OwnerOnly.rewriteInPlace(ch, token);
                check = FileChannel.open(file(root), StandardOpenOption.READ);
                java.nio.ByteBuffer there = java.nio.ByteBuffer.allocate(token.length + 1);
                while (there.hasRemaining() && check.read(there) >= 0) {
                    // until the token's length and one more byte, or the end
                }
                ours = there.position() == token.length && Arrays.equals(Arrays.copyOf(there.array(), token.length), token);
            } catch (NoSuchFileException e) {
                ours = false;
            } catch (IOException | RuntimeException e) {
                closeAll(check, ch);
                throw e;
            }
            if (ours) {
                return new InitLock(root, ch, check, created);
            }
            // we locked a file its holder had deleted (the store finished, or was taken back): look again
            closeAll(check, ch);
            if (attempt >= ATTEMPTS) {
                throw new IOException("cannot take the init lock of " + root + " (" + file(root) + "): it keeps changing");
            }
        }
    }

    private static void closeAll(FileChannel... channels) throws IOException {
        IOException first = null;
        for (FileChannel c : channels) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static byte[] nonce() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }

    /** tryLock, again a few times while the holder may be a command that only looks ({@link #running}). */
    private static FileLock tryLock(FileChannel ch) throws IOException {
        for (int i = 1; ; i++) {
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l != null || i >= BUSY_TRIES) {
                return l;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /**
     * Whether an init of {@code root} is running: this JVM holds its lock, or another process does. Takes a shared lock
     * for a moment to find out; creates nothing.
     */
    static boolean running(Path root) {
        synchronized (HERE) {
            if (HERE.contains(root)) {
                return true;
            }
            try (FileChannel ch = FileChannel.open(file(root), StandardOpenOption.READ)) {
                FileLock l = ch.tryLock(0, Long.MAX_VALUE, true);
                if (l == null) {
                    return true;
                }
                l.release();
                return false;
            } catch (OverlappingFileLockException e) {
                return true;
            } catch (IOException e) {
                return false; // no lock file (an init of an earlier release, or a marker put there by hand): nobody holds it
            }
        }
    }

    /** Who holds the lock, as far as its file says: {@code " (init, pid 123)"}, or nothing when it does not say. */
    static String holder(Path root) {
        synchronized (HERE) {
            if (HERE.contains(root)) {
                return " (pid " + ProcessHandle.current().pid() + ")"; // reading the file here would free the lock here
            }
        }
        try {
            Matcher m = HOLDER.matcher(Files.readString(file(root), StandardCharsets.UTF_8));
            if (m.lookingAt()) {
                return " (" + m.group(2) + ", pid " + m.group(1) + ")";
            }
        } catch (IOException | RuntimeException e) {
            // being written or gone: say less
        }
        return "";
    }

    /**
     * Lets the lock go: deletes its file first (while it is still held, so nobody meets a stale one), then frees the
     * lock. What the init made stays as it is.
     */
    void release() throws IOException {
        if (released) {
            return;
        }
        released = true;
        try {
            Files.deleteIfExists(file(root));
        } finally {
            try {
                closeAll(check, channel);
            } finally {
                forget(root);
            }
        }
    }

    @Override
    public void close() throws IOException {
        release();
    }
}
