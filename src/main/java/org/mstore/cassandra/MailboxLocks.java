package org.mstore.cassandra;

import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Semaphore;

import org.mstore.api.MailboxBusyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mailbox locks across hosts: a row of {@code mailbox_locks} taken with {@code INSERT ... IF NOT EXISTS USING TTL},
 * renewed by the {@link LeaseKeeper} while held, deleted with {@code IF owner = ?} when let go. A holder that dies
 * leaves a lock that expires with its lease. Threads of one process queue on a local lock first, so that they do not
 * contend through Paxos.
 */
final class MailboxLocks {
    private static final Logger LOG = LoggerFactory.getLogger(MailboxLocks.class);
    private final Cql cql;
    private final int ttlSeconds;
    private final Duration maxWait;
    private final ConcurrentHashMap<String, Semaphore> local = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();

    /** A lock this process holds. */
    final class Held implements AutoCloseable {
        final String name;
        final String owner;
        final long since = System.currentTimeMillis();
        volatile boolean lost;
        private boolean closed;

        Held(String name, String owner) {
            this.name = name;
            this.owner = owner;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            held.remove(name, this);
            try {
                cql.lwt("DELETE FROM {mbox}.mailbox_locks WHERE name = ? IF owner = ?", name, owner);
            } catch (RuntimeException e) {
                LOG.warn("could not let go of the lock on {} (it expires by itself): {}", name, e.getMessage());
            } finally {
                local.get(name).release(); // whichever thread closes it
            }
        }
    }

    MailboxLocks(Cql cql, Duration lease, Duration maxWait) {
        this.cql = cql;
        this.ttlSeconds = (int) Math.max(3, lease.toSeconds());
        this.maxWait = maxWait;
    }

    /** Takes the lock on a mailbox, waiting up to the limit; {@link MailboxBusyException} if another holder keeps it. */
    Held acquire(String name) throws IOException {
        Semaphore l = local.computeIfAbsent(name, k -> new Semaphore(1, true));
        long deadline = System.nanoTime() + maxWait.toNanos();
        try {
            if (!l.tryAcquire(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new MailboxBusyException(java.nio.file.Path.of(name));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the lock on " + name);
        }
        String owner = ProcessHandle.current().pid() + "/" + UUID.randomUUID();
        try {
            for (int attempt = 0; ; attempt++) {
                com.datastax.oss.driver.api.core.cql.Row r = cql.lwtRow("INSERT INTO {mbox}.mailbox_locks (name, owner, since) VALUES (?, ?, ?) "
                        + "IF NOT EXISTS USING TTL ?", name, owner, System.currentTimeMillis(), ttlSeconds);
                // "not applied" with our own owner: a retry of an insert that had been applied (its first node died)
                if (r.getBoolean("[applied]") || owner.equals(r.getColumnDefinitions().contains("owner") ? r.getString("owner") : null)) {
                    Held h = new Held(name, owner);
                    held.put(name, h);
                    return h;
                }
                if (System.nanoTime() > deadline) {
                    throw new MailboxBusyException(java.nio.file.Path.of(name));
                }
                Thread.sleep(ThreadLocalRandom.current().nextInt(10, 20 + 20 * Math.min(attempt, 10)));
            }
        } catch (InterruptedException e) {
            l.release();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the lock on " + name);
        } catch (IOException | RuntimeException e) {
            l.release();
            throw e;
        }
    }

    /**
     * Renews every lock this process holds (the lease keeper's tick); a lock found taken over is marked lost. Returns how
     * many the store answered; a failure is thrown after every lock was tried, for the keeper to say once per outage.
     */
    int renew() {
        RuntimeException failure = null;
        int answered = 0;
        for (Held h : held.values()) {
            try {
                if (!cql.lwt("UPDATE {mbox}.mailbox_locks USING TTL ? SET owner = ?, since = ? WHERE name = ? IF owner = ?", ttlSeconds, h.owner,
                        h.since, h.name, h.owner) && held.get(h.name) == h) { // (not if it was let go meanwhile)
                    h.lost = true;
                    LOG.warn("lost the lock on {} (its lease expired)", h.name);
                }
                answered++;
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure; // the keeper says it, once per outage
            }
        }
        if (failure != null) {
            throw failure;
        }
        return answered;
    }
}
