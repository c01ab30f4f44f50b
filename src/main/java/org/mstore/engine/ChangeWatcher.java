package org.mstore.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.mstore.api.StoreEvent;
import org.mstore.backend.ChangeFeed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the store's change feed into {@link StoreEvent}s: entries added, changed and done, mailboxes and settings
 * changed, by this process or any other. It reads only what came after the last change it saw: the feed numbers
 * changes in commit order (see {@link ChangeFeed}), so nothing committed late is missed and no look-back is needed.
 * Changes made in this process {@link #poke} it for an immediate look; other processes' changes are seen at the next
 * poll. Consecutive changes of one kind are published as one event; each queue event carries the feed's sequence of
 * every entry's change ({@link StoreEvent.EntriesAdded#seq}), so that a reader of {@link org.mstore.api.QueueCounts}
 * can tell which events a count already includes.
 */
final class ChangeWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeWatcher.class);
    /** Change-log records read per look (each may stand for a few thousand entries). */
    private static final int BATCH = 200;
    /** The most entries one merged event carries. */
    private static final int MAX_EVENT = 5000;

    private final ChangeFeed changes;
    private final Consumer<StoreEvent> sink;
    private final long pollMillis;
    private final Object signal = new Object();
    private boolean poked;
    private volatile boolean stopped;
    private Thread thread;
    private long lastChange = -1;

    ChangeWatcher(ChangeFeed changes, Consumer<StoreEvent> sink, long pollMillis) {
        this.changes = changes;
        this.sink = sink;
        this.pollMillis = pollMillis;
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        if (lastChange < 0) {
            lastChange = changes.maxSeq(); // what is already there is not news
        }
        thread = new Thread(this::loop, "mstore-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    void poke() {
        synchronized (signal) {
            poked = true;
            signal.notifyAll();
        }
    }

    void stop() {
        stopped = true;
        poke();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (!stopped) {
            try {
                pollOnce();
            } catch (RuntimeException e) {
                if (shuttingDown()) {
                    return; // SIGTERM: H2's own shutdown hook closed the database under this poll; nothing to report
                }
                LOG.warn("watching the store's database failed: {}", e.getMessage());
            }
            synchronized (signal) {
                if (!poked && !stopped) {
                    try {
                        signal.wait(pollMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                poked = false;
            }
        }
    }

    /** True once the JVM has begun to shut down (a hook can no longer be added). */
    static boolean shuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    /** One look at the change feed; publishes what changed since the last look. */
    synchronized void pollOnce() {
        if (lastChange < 0) {
            lastChange = changes.maxSeq();
            return;
        }
        while (true) {
            List<ChangeFeed.Change> batch = changes.after(lastChange, BATCH);
            if (batch.isEmpty()) {
                return;
            }
            Merger m = new Merger();
            for (ChangeFeed.Change c : batch) {
                if (c.event() != null) {
                    m.add(StoreEvent.sequenced(c.event(), c.seq()));
                }
            }
            m.flush();
            lastChange = batch.get(batch.size() - 1).seq();
            if (batch.size() < BATCH) {
                return;
            }
        }
    }

    /** Publishes runs of events of one kind as one event, in order. */
    private final class Merger {
        private StoreEvent pending;

        void add(StoreEvent e) {
            StoreEvent merged = merge(pending, e);
            if (merged == null) {
                flush();
                pending = e;
            } else {
                pending = merged;
            }
        }

        void flush() {
            if (pending != null) {
                sink.accept(pending);
                pending = null;
            }
        }
    }

    /** The two as one event, or null when they are of different kinds (or together too big for one event). */
    private static StoreEvent merge(StoreEvent a, StoreEvent b) {
        if (size(a) + size(b) > MAX_EVENT) {
            return null;
        }
        if (a instanceof StoreEvent.EntriesAdded x && b instanceof StoreEvent.EntriesAdded y) {
            return new StoreEvent.EntriesAdded(concat(x.entries(), y.entries()), concat(x.seqs(), y.seqs()));
        }
        if (a instanceof StoreEvent.EntriesChanged x && b instanceof StoreEvent.EntriesChanged y) {
            return new StoreEvent.EntriesChanged(concat(x.entries(), y.entries()), concat(x.seqs(), y.seqs()));
        }
        if (a instanceof StoreEvent.EntriesDone x && b instanceof StoreEvent.EntriesDone y) {
            return new StoreEvent.EntriesDone(concat(x.entries(), y.entries()), concat(x.seqs(), y.seqs()));
        }
        if (a instanceof StoreEvent.MailboxesChanged x && b instanceof StoreEvent.MailboxesChanged y) {
            return new StoreEvent.MailboxesChanged(union(x.names(), y.names()));
        }
        if (a instanceof StoreEvent.SettingsChanged x && b instanceof StoreEvent.SettingsChanged y) {
            return new StoreEvent.SettingsChanged(union(x.keys(), y.keys()));
        }
        return null;
    }

    private static int size(StoreEvent e) {
        if (e instanceof StoreEvent.EntriesAdded x) {
            return x.entries().size();
        }
        if (e instanceof StoreEvent.EntriesChanged x) {
            return x.entries().size();
        }
        if (e instanceof StoreEvent.EntriesDone x) {
            return x.entries().size();
        }
        return 1;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a.size() + b.size());
        out.addAll(a);
        out.addAll(b);
        return out;
    }

    /** Both events' sequences, one per entry (every published event is {@link StoreEvent#sequenced}). */
    private static long[] concat(long[] a, long[] b) {
        long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        return out;
    }
}
