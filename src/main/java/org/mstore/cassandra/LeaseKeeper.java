package org.mstore.cassandra;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread per open Cassandra store that renews what this process holds with a lease: claims on queue entries and
 * mailbox locks, every third of the lease, and the workers' heartbeat rows. A process that dies stops renewing, and
 * what it held expires with the lease.
 */
final class LeaseKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    private final ScheduledExecutorService exec;
    private final List<Runnable> tasks = new CopyOnWriteArrayList<>();

    LeaseKeeper(Duration lease) {
        exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mstore-lease-keeper");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(500, lease.toMillis() / 3);
        exec.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    }

    void add(Runnable renewal) {
        tasks.add(renewal);
    }

    private void tick() {
        for (Runnable r : tasks) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("lease renewal failed: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        exec.shutdownNow();
        try {
            exec.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
