package org.mstore.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.mstore.api.MailboxBusyException;
import org.mstore.fs.OwnerOnly;

/**
 * Per-mailbox exclusive locks that hold between threads and between processes: a {@link ReentrantLock}
 * per mailbox directory inside this JVM, then an OS file lock on {@code store.lck} in the directory.
 * The OS drops a file lock when its process dies, so a crashed writer never leaves a mailbox locked.
 *
 * <p>File locks belong to the whole JVM (a second lock on the same file from this JVM throws
 * {@link OverlappingFileLockException}), so the in-JVM table is JVM-wide too: {@link #jvmWide()}.
 */
public final class MailboxLocks {
    public static final String LOCK_FILE = "store.lck";
    private static final MailboxLocks JVM_WIDE = new MailboxLocks();

    private final ConcurrentHashMap<Path, Holder> holders = new ConcurrentHashMap<>();

    private static final class Holder {
        final ReentrantLock lock = new ReentrantLock();
        int users;
        FileChannel channel;
        FileLock fileLock;
    }

    private MailboxLocks() {
    }

    public static MailboxLocks jvmWide() {
        return JVM_WIDE;
    }

    /** A held mailbox lock; closing it releases it. */
    public final class Lock implements AutoCloseable {
        private final Path key;
        private final Holder holder;
        private boolean released;

        private Lock(Path key, Holder holder) {
            this.key = key;
            this.holder = holder;
        }

        @Override
        public void close() {
            if (released) {
                return;
            }
            released = true;
            if (holder.lock.getHoldCount() == 1) {
                try {
                    if (holder.fileLock != null) {
                        holder.fileLock.release();
                    }
                    if (holder.channel != null) {
                        holder.channel.close();
                    }
                } catch (IOException ignored) {
                    // closing the channel releases the lock anyway
                }
                holder.fileLock = null;
                holder.channel = null;
            }
            holder.lock.unlock();
            holders.compute(key, (k, h) -> {
                h.users--;
                return h.users == 0 ? null : h;
            });
        }
    }

    /**
     * Locks the mailbox in {@code dir} (created owner-only if missing), waiting up to {@code timeout} for another
     * thread or process to let go.
     */
    public Lock acquire(Path dir, Duration timeout) throws IOException {
        Path key = dir.toAbsolutePath().normalize();
        Holder h = holders.compute(key, (k, existing) -> {
            Holder x = existing == null ? new Holder() : existing;
            x.users++;
            return x;
        });
        Lock lock = new Lock(key, h);
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean locked = false;
        try {
            locked = h.lock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!locked) {
            holders.compute(key, (k, x) -> {
                x.users--;
                return x.users == 0 ? null : x;
            });
            throw new MailboxBusyException(dir);
        }
        if (h.lock.getHoldCount() > 1) {
            return lock; // re-entered by the thread that already holds the file lock
        }
        try {
            OwnerOnly.createDirectories(key);
            h.channel = OwnerOnly.open(key.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            while (true) {
                try {
                    h.fileLock = h.channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    h.fileLock = null;
                }
                if (h.fileLock != null) {
                    return lock;
                }
                if (System.nanoTime() > deadline) {
                    throw new MailboxBusyException(dir);
                }
                Thread.sleep(10);
            }
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lock.close();
            throw new MailboxBusyException(dir);
        }
    }
}
