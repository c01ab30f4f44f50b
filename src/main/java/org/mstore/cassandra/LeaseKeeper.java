package org.mstore.cassandra;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.mstore.api.LogLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread per open Cassandra store that renews what this process holds with a lease: claims on queue entries and
 * mailbox locks, every third of the lease, and the workers' heartbeat rows. A process that dies stops renewing, and
 * what it held expires with the lease.
 *
 * <p>While the store cannot be reached every renewal fails, a few times a minute: that is said once per outage, when
 * the first fails, and once when a renewal is answered again ("lease renewed again after N s"), as impurge does for its
 * own outage, not at every renewal.
 */
final class LeaseKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    /** One kind of renewal: renews all it holds and returns how many the store answered; throws if one failed. */
    interface Renewal {
        int renew();
    }

    private final ScheduledExecutorService exec;
    private final Clock clock;
    private final List<Renewal> tasks = new CopyOnWriteArrayList<>();
    /** Where the outage's two lines go: the store's log once the engine has one (until then, this class's logger). */
    private volatile BiConsumer<LogLevel, String> log = LeaseKeeper::slf4j;
    /** Since when renewals fail (one warned of), or null. Only the keeper's thread reads and sets it. */
    private Instant failingSince;

    LeaseKeeper(Duration lease, Clock clock) {
        this.clock = clock;
        exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mstore-lease-keeper");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(500, lease.toMillis() / 3);
        exec.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    }

    void add(Renewal renewal) {
        tasks.add(renewal);
    }

    void logTo(BiConsumer<LogLevel, String> sink) {
        log = sink;
    }

    private static void slf4j(LogLevel level, String message) {
        if (level == LogLevel.WARNING) {
            LOG.warn(message);
        } else {
            LOG.info(message);
        }
    }

    private void tick() {
        RuntimeException failure = null;
        int answered = 0;
        for (Renewal r : tasks) {
            try {
                answered += r.renew();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            if (failingSince == null) {
                failingSince = clock.instant();
                log.accept(LogLevel.WARNING, "lease renewal failed: " + Cql.oneLine(failure.getMessage())
                        + "; renewals go on, and this is said again only once they work");
            }
        } else if (failingSince != null && answered > 0) {
            // (nothing held to renew tells nothing of the store: the outage is over only when the store answers)
            log.accept(LogLevel.NOTICE, "lease renewed again after " + Duration.between(failingSince, clock.instant()).toSeconds() + " s");
            failingSince = null;
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
