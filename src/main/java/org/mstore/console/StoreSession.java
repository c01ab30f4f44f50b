package org.mstore.console;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.mstore.api.Action;
import org.mstore.api.DaemonStatus;
import org.mstore.api.MessageStore;
import org.mstore.api.StoreEvent;
import org.mstore.console.daemon.DaemonViewModel;
import org.mstore.console.dashboard.DashboardViewModel;
import org.mstore.console.history.HistoryViewModel;
import org.mstore.console.log.LogViewModel;
import org.mstore.console.mailboxes.MailboxesViewModel;
import org.mstore.console.queue.QueueViewModel;
import org.mstore.console.settings.SettingsViewModel;

/**
 * One open store in the console: the engine and the view-models of every view, fed by the engine's events
 * (moved to the UI thread; the daemon's rapid state changes are coalesced to the latest).
 */
public final class StoreSession {
    private final MessageStore engine;
    private final TaskExecutor executor;
    private final boolean readOnly;
    private final QueueViewModel queue;
    private final MailboxesViewModel mailboxes;
    private final SettingsViewModel settings;
    private final DaemonViewModel daemon;
    private final LogViewModel log;
    private final DashboardViewModel dashboard;
    private final HistoryViewModel history;
    private final org.mstore.console.sessions.SessionsViewModel sessions;
    private final org.mstore.console.health.HealthViewModel health;
    private final org.mstore.console.health.Notices notices = new org.mstore.console.health.Notices();
    private final javafx.beans.property.ObjectProperty<org.mstore.console.health.Notices.Notice> notice =
            new javafx.beans.property.SimpleObjectProperty<>();
    private final AtomicReference<DaemonStatus> pendingStatus = new AtomicReference<>();
    private final org.mstore.console.dashboard.ImpurgeNow impurgeNow;
    private boolean spaceChanged;
    private boolean nowChanged;
    private boolean daemonShown;
    private boolean sessionsShown;
    private AutoCloseable subscription;
    private long ticks;

    public StoreSession(MessageStore engine, TaskExecutor executor) {
        this.engine = engine;
        this.executor = executor;
        this.readOnly = engine.info().readOnly();
        this.queue = new QueueViewModel(engine, executor, readOnly);
        this.mailboxes = new MailboxesViewModel(engine, executor, readOnly);
        this.settings = new SettingsViewModel(engine, executor, readOnly);
        this.daemon = new DaemonViewModel(engine, executor, readOnly);
        this.log = new LogViewModel(engine.info().logFile(), executor);
        this.dashboard = new DashboardViewModel(engine, executor);
        this.history = new HistoryViewModel(engine, executor, readOnly);
        this.sessions = new org.mstore.console.sessions.SessionsViewModel(engine, executor);
        this.health = new org.mstore.console.health.HealthViewModel(engine, executor);
        this.impurgeNow = new org.mstore.console.dashboard.ImpurgeNow(engine, executor);
        health.repairsWaitingProperty().bind(queue.countProperty(Action.REPAIR));
        mailboxes.setOnChecked(health::checked);
        // the Dashboard's disk line follows the badge when the disk fills or has room again
        health.diskFullProperty().addListener((o, was, full) -> dashboard.loadSpace());
    }

    /** Subscribes to the engine and loads every view (the sessions when their view is first shown: {@link #viewsShown}). */
    public void start() {
        subscription = engine.subscribe(this::onEvent);
        queue.load();
        mailboxes.load();
        settings.load();
        daemon.load();
        log.poll();
        dashboard.load();
        history.load();
        impurgeNow.refresh();
        health.checkDisk();
    }

    public org.mstore.console.sessions.SessionsViewModel sessions() {
        return sessions;
    }

    private void onEvent(StoreEvent e) {
        if (e instanceof StoreEvent.DaemonChanged d) {
            if (pendingStatus.getAndSet(d.status()) == null) {
                executor.runOnUi(() -> daemon.statusChanged(pendingStatus.getAndSet(null)));
            }
            return;
        }
        executor.runOnUi(() -> dispatch(e));
    }

    private void dispatch(StoreEvent e) {
        if (e instanceof StoreEvent.EntriesAdded a) {
            queue.entriesAdded(a);
            notices.added(a.entries(), System.currentTimeMillis());
        } else if (e instanceof StoreEvent.EntriesDone d) {
            queue.entriesDone(d);
            dashboard.entriesDone(d.entries());
            history.entriesDone(d.entries());
            health.entriesDone(d.entries());
            nowChanged = true;
        } else if (e instanceof StoreEvent.EntriesChanged c) {
            queue.entriesChanged(c);
            history.entriesChanged(c.entries());
            notices.changed(c.entries(), System.currentTimeMillis());
            nowChanged = true;
        } else if (e instanceof StoreEvent.MailboxesChanged m) {
            mailboxes.changed(m.names());
            spaceChanged = true;
        } else if (e instanceof StoreEvent.SettingsChanged) {
            settings.load();
            if (daemonShown) {
                daemon.refreshFigures(); // an action paused or resumed, here or by another process
            }
            mailboxes.loadThresholds();
            queue.loadSettings();
        } else if (e instanceof StoreEvent.DaemonChanged d) {
            daemon.statusChanged(d.status());
        }
    }

    /**
     * Which of the views with reads of their own is in front. The per-action figures (the Purge daemon view) and the
     * server sessions (the Sessions view) are read every few seconds only while their view is shown, and at once when
     * it comes to the front; nothing else shows them.
     */
    public void viewsShown(boolean daemonView, boolean sessionsView) {
        if (daemonView && !daemonShown) {
            daemon.refreshFigures();
        }
        if (sessionsView && !sessionsShown) {
            sessions.load();
        }
        daemonShown = daemonView;
        sessionsShown = sessionsView;
    }

    /** Called once a second on the UI thread: follow the log, sample the dashboard, re-check drift. */
    public void tick() {
        ticks++;
        log.poll();
        notices.poll(System.currentTimeMillis()).ifPresent(notice::set);
        if (ticks % 5 == 0) {
            Map<Action, Long> counts = new EnumMap<>(Action.class);
            for (Action a : Action.values()) {
                counts.put(a, queue.countProperty(a).get());
            }
            dashboard.sample(counts);
        }
        if (daemonShown && ticks % 5 == 2) {
            daemon.refreshFigures();
        }
        if (ticks % 3 == 0) {
            daemon.probeLock();
            if (sessionsShown) {
                sessions.load();
            }
        }
        if (nowChanged || (impurgeNow.busy() && ticks % 2 == 0)) {
            nowChanged = false;
            impurgeNow.refresh(); // at most once a second: claims and finishes came, or the running time goes on
        }
        if (spaceChanged && ticks % 15 == 0) {
            spaceChanged = false;
            dashboard.loadSpace();
        }
        if (ticks % 15 == 7) {
            health.checkDisk(); // one statvfs: a disk that fills is in the status bar within 15 s
        }
        if (ticks % 15 == 0) {
            queue.reconcile();
        } else {
            queue.settle(System.nanoTime()); // the counters agree again two seconds after the queue stops moving
        }
        if (ticks % 60 == 0) {
            history.load(); // counts that drifted (changes seen by neither event nor load)
        }
    }

    public MessageStore engine() {
        return engine;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public QueueViewModel queue() {
        return queue;
    }

    public MailboxesViewModel mailboxes() {
        return mailboxes;
    }

    public SettingsViewModel settings() {
        return settings;
    }

    public DaemonViewModel daemon() {
        return daemon;
    }

    public LogViewModel log() {
        return log;
    }

    public HistoryViewModel history() {
        return history;
    }

    /** What impurge is doing now (the running entries), for the dashboard and the daemon view. */
    public org.mstore.console.dashboard.ImpurgeNow impurgeNow() {
        return impurgeNow;
    }

    public org.mstore.console.health.HealthViewModel health() {
        return health;
    }

    /** The latest notification to show (self-healing queued a Repair, a task failed), throttled: the window pops it up. */
    public javafx.beans.property.ObjectProperty<org.mstore.console.health.Notices.Notice> noticeProperty() {
        return notice;
    }

    public DashboardViewModel dashboard() {
        return dashboard;
    }

    /** Unsubscribes and closes the engine (stopping its daemon): call off the UI thread. */
    public void close() {
        if (subscription != null) {
            try {
                subscription.close();
            } catch (Exception ignored) {
                // nothing to do
            }
        }
        engine.close();
    }
}
