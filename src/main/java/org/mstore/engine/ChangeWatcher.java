package org.mstore.engine;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.mstore.api.HistoryEntry;
import org.mstore.api.QueueEntry;
import org.mstore.api.StoreEvent;
import org.mstore.backend.ChangeFeed;
import org.mstore.backend.QueueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns changes in the store's database into {@link StoreEvent}s: new queue entries (RecNo above the last
 * seen), finished entries (the history table), and mailbox and settings changes (the change log). Only
 * what changed is read, never the whole queue. Changes made in this process {@link #poke} it for an
 * immediate look; changes by other processes are seen at the next poll.
 */
final class ChangeWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeWatcher.class);
    /** RecNos are taken before commit; a transaction that commits late can land below the last one seen. */
    private static final long LOOKBACK = 256;
    private static final int BATCH = 5000;

    private final QueueStore queue;
    private final ChangeFeed changes;
    private final Consumer<StoreEvent> sink;
    private final long pollMillis;
    private final Object signal = new Object();
    private final LinkedHashSet<Long> recentRecnos = new LinkedHashSet<>();
    private boolean poked;
    private volatile boolean stopped;
    private Thread thread;
    private long lastRecno;
    private long lastHistory;
    private long lastChange;

    ChangeWatcher(QueueStore queue, ChangeFeed changes, Consumer<StoreEvent> sink, long pollMillis) {
        this.queue = queue;
        this.changes = changes;
        this.sink = sink;
        this.pollMillis = pollMillis;
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        lastRecno = queue.maxRecno();
        // what is already there is not news: remember the RecNos the first look-back will see again
        for (QueueEntry e : queue.entriesAfter(Math.max(0, lastRecno - LOOKBACK), (int) LOOKBACK + 1)) {
            recentRecnos.add(e.recno());
        }
        lastHistory = queue.maxHistorySeq();
        lastChange = changes.maxSeq();
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

    /** One look at the database; publishes what changed since the last look. */
    synchronized void pollOnce() {
        while (true) {
            List<QueueEntry> added = new ArrayList<>();
            List<QueueEntry> rows = queue.entriesAfter(Math.max(0, lastRecno - LOOKBACK), BATCH);
            for (QueueEntry e : rows) {
                if (recentRecnos.add(e.recno())) {
                    added.add(e);
                    lastRecno = Math.max(lastRecno, e.recno());
                }
            }
            while (recentRecnos.size() > 4 * LOOKBACK + BATCH) {
                recentRecnos.remove(recentRecnos.iterator().next());
            }
            if (!added.isEmpty()) {
                sink.accept(new StoreEvent.EntriesAdded(added));
            }
            if (added.size() < BATCH / 2) {
                break;
            }
        }
        while (true) {
            List<HistoryEntry> done = queue.historyAfter(lastHistory, BATCH);
            if (!done.isEmpty()) {
                lastHistory = done.get(done.size() - 1).seq();
                sink.accept(new StoreEvent.EntriesDone(done));
            }
            if (done.size() < BATCH) {
                break;
            }
        }
        List<ChangeFeed.Change> ch = changes.after(lastChange, BATCH);
        if (!ch.isEmpty()) {
            lastChange = ch.get(ch.size() - 1).seq();
            Set<String> mailboxes = new TreeSet<>();
            Set<String> settings = new TreeSet<>();
            for (ChangeFeed.Change c : ch) {
                ("setting".equals(c.kind()) ? settings : mailboxes).add(c.subject());
            }
            if (!mailboxes.isEmpty()) {
                sink.accept(new StoreEvent.MailboxesChanged(mailboxes));
            }
            if (!settings.isEmpty()) {
                sink.accept(new StoreEvent.SettingsChanged(settings));
            }
        }
    }
}
