package org.mstore.console.daemon;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import java.time.Instant;

import org.mstore.api.Action;
import org.mstore.api.ActionFigures;
import org.mstore.api.DaemonMode;
import org.mstore.api.DaemonState;
import org.mstore.api.DaemonStatus;
import org.mstore.api.InvalidSettingException;
import org.mstore.api.MessageStore;
import org.mstore.api.PurgeWindow;
import org.mstore.api.SessionLockedException;
import org.mstore.api.Setting;
import org.mstore.console.Format;
import org.mstore.console.TaskExecutor;

import javafx.beans.property.BooleanProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * The purge daemon's controls: Start / Stop, the off-peak window (start, end, exit when the queue is
 * empty), and its state at a glance: stopped, waiting, working on which mailbox, outside its window, tasks
 * done, bytes reclaimed, and the seed's session-lock error when another impurge holds the lock.
 */
public final class DaemonViewModel {
    private final MessageStore engine;
    private final TaskExecutor executor;
    private final ObjectProperty<DaemonState> state = new SimpleObjectProperty<>(DaemonState.STOPPED);
    private final StringProperty stateText = new SimpleStringProperty("stopped");
    private final StringProperty working = new SimpleStringProperty("");
    private final LongProperty tasksDone = new SimpleLongProperty();
    private final LongProperty bytesReclaimed = new SimpleLongProperty();
    private final StringProperty tasksText = new SimpleStringProperty(tasksText(0, 0));
    private final StringProperty bytesText = new SimpleStringProperty(bytesText(0, 0));
    private final BooleanProperty running = new SimpleBooleanProperty(false);
    private final StringProperty error = new SimpleStringProperty("");
    private final StringProperty otherHolder = new SimpleStringProperty("");
    private final BooleanProperty useWindow = new SimpleBooleanProperty(false);
    private final StringProperty windowStart = new SimpleStringProperty("");
    private final StringProperty windowEnd = new SimpleStringProperty("");
    private final BooleanProperty exitWhenEmpty = new SimpleBooleanProperty(false);
    private final StringProperty windowError = new SimpleStringProperty("");
    private final StringProperty message = new SimpleStringProperty("");
    private final BooleanProperty readOnly = new SimpleBooleanProperty(false);
    private final ObservableList<WorkerRow> workers = FXCollections.observableArrayList();

    private final Map<Action, ActionRow> actions = new EnumMap<>(Action.class);
    private final StringProperty actionsOver = new SimpleStringProperty("");
    private boolean figuresLoading;

    /**
     * One action as the Actions card shows it: running or paused (for every impurge of the store), its entries in the
     * queue, how long the oldest has waited, and over the recent past entries finished per minute and the median wait.
     */
    public static final class ActionRow {
        private final Action action;
        private final BooleanProperty paused = new SimpleBooleanProperty(false);
        private final BooleanProperty busy = new SimpleBooleanProperty(false);
        private final StringProperty inQueue = new SimpleStringProperty("-");
        private final StringProperty oldest = new SimpleStringProperty("-");
        private final StringProperty perMinute = new SimpleStringProperty("-");
        private final StringProperty medianWait = new SimpleStringProperty("-");

        ActionRow(Action action) {
            this.action = action;
        }

        public Action action() {
            return action;
        }

        public BooleanProperty pausedProperty() {
            return paused;
        }

        /** A pause or resume of this action is being saved. */
        public BooleanProperty busyProperty() {
            return busy;
        }

        public StringProperty inQueueProperty() {
            return inQueue;
        }

        public StringProperty oldestProperty() {
            return oldest;
        }

        public StringProperty perMinuteProperty() {
            return perMinute;
        }

        public StringProperty medianWaitProperty() {
            return medianWait;
        }

        void show(ActionFigures f, Instant now) {
            paused.set(f.paused());
            inQueue.set(org.mstore.console.Format.count(f.inQueue()));
            oldest.set(f.oldestAge(now).map(org.mstore.console.Format::duration).orElse(f.oldestDue().isPresent() ? "none due yet" : "-"));
            perMinute.set(String.format(java.util.Locale.ROOT, "%.1f", f.perMinute()));
            medianWait.set(f.medianWait().map(org.mstore.console.Format::duration).orElse("-"));
        }
    }

    /** One impurge worker as the workers table shows it. */
    public record WorkerRow(String host, long pid, String name, String task, String leaseAge) {
    }

    public DaemonViewModel(MessageStore engine, TaskExecutor executor, boolean readOnly) {
        this.engine = engine;
        this.executor = executor;
        this.readOnly.set(readOnly);
        for (Action a : Action.values()) {
            actions.put(a, new ActionRow(a));
        }
        useWindow.addListener((o, a, b) -> validateWindow());
        windowStart.addListener((o, a, b) -> validateWindow());
        windowEnd.addListener((o, a, b) -> validateWindow());
    }

    public ObjectProperty<DaemonState> stateProperty() {
        return state;
    }

    public StringProperty stateTextProperty() {
        return stateText;
    }

    /** What it is working on, e.g. "Repair user/alice". */
    public StringProperty workingProperty() {
        return working;
    }

    public LongProperty tasksDoneProperty() {
        return tasksDone;
    }

    public LongProperty bytesReclaimedProperty() {
        return bytesReclaimed;
    }

    /**
     * The daemon's tasks finished, and apart from them those Run now finished while no daemon ran (a thread of its own
     * runs them then): "12 by the daemon since the store was opened here (done, skipped or dropped); 3 by Run now
     * while it was stopped".
     */
    public StringProperty tasksTextProperty() {
        return tasksText;
    }

    /** The bytes reclaimed, split as {@link #tasksTextProperty} splits the tasks. */
    public StringProperty bytesTextProperty() {
        return bytesText;
    }

    static String tasksText(long daemon, long runNow) {
        return Format.count(daemon) + " by the daemon since the store was opened here (done, skipped or dropped)"
                + (runNow == 0 ? "" : "; " + Format.count(runNow) + " by Run now while it was stopped");
    }

    static String bytesText(long daemon, long runNow) {
        return Format.bytes(daemon) + " by the daemon" + (runNow == 0 ? "" : "; " + Format.bytes(runNow) + " by Run now while it was stopped");
    }

    public BooleanProperty runningProperty() {
        return running;
    }

    /** The error of the last Start (the seed's session-lock error), or empty. */
    public StringProperty errorProperty() {
        return error;
    }

    /** Who else holds the session lock (an impurge in another process), or empty. */
    public StringProperty otherHolderProperty() {
        return otherHolder;
    }

    public BooleanProperty useWindowProperty() {
        return useWindow;
    }

    public StringProperty windowStartProperty() {
        return windowStart;
    }

    public StringProperty windowEndProperty() {
        return windowEnd;
    }

    public BooleanProperty exitWhenEmptyProperty() {
        return exitWhenEmpty;
    }

    public StringProperty windowErrorProperty() {
        return windowError;
    }

    public StringProperty messageProperty() {
        return message;
    }

    public BooleanProperty readOnlyProperty() {
        return readOnly;
    }

    /**
     * The impurge workers draining the store's queue, on any host (the Cassandra store has one per host; the classic
     * store at most one, the session lock's holder): host, pid, current task, lease age.
     */
    public ObservableList<WorkerRow> workers() {
        return workers;
    }

    /** Reads the workers again (off the UI thread). */
    public void refreshWorkers() {
        executor.execute("Reading the workers", () -> {
            java.time.Instant now = java.time.Instant.now();
            return engine.queue().workers().stream().map(w -> new WorkerRow(w.host(), w.pid(), w.name(),
                    w.busy() ? "RecNo " + w.recno() + ": " + w.action() + " " + w.mailbox() : "idle",
                    w.busy() ? w.leaseAge(now).toSeconds() + " s" : "-")).toList();
        }, rows -> workers.setAll(rows), e -> { });
    }

    /** The row of one action (every action has one). */
    public ActionRow action(Action a) {
        return actions.get(a);
    }

    /** What the throughput and median wait are over, e.g. "over the last 15 min". */
    public StringProperty actionsOverProperty() {
        return actionsOver;
    }

    /** Reads the figures per action again (off the UI thread); one read at a time. */
    public void refreshFigures() {
        if (figuresLoading) {
            return;
        }
        figuresLoading = true;
        executor.execute("Reading the figures per action", () -> engine.queue().figures(), figures -> {
            figuresLoading = false;
            Instant now = engine.clock().instant();
            for (ActionFigures f : figures) {
                actions.get(f.action()).show(f, now);
            }
            if (!figures.isEmpty()) {
                actionsOver.set("Finished per minute and median wait (from due to finished) over the last "
                        + org.mstore.console.Format.duration(figures.get(0).over()));
            }
        }, e -> figuresLoading = false);
    }

    /**
     * Pauses or resumes an action for every impurge of the store (store.purge.paused): its entries stay queued and
     * waiting; Run now still runs them.
     */
    public void setPaused(Action a, boolean pause) {
        ActionRow row = actions.get(a);
        if (readOnly.get() || row.busy.get()) {
            return;
        }
        row.busy.set(true);
        executor.execute(pause ? "Pausing " + a : "Resuming " + a, () -> engine.daemon().setPaused(a, pause), now -> {
            row.busy.set(false);
            for (ActionRow r : actions.values()) {
                r.paused.set(now.contains(r.action));
            }
            message.set(pause ? a + " paused: its entries wait until it is resumed (Run now still runs them)" : a + " resumed");
            refreshFigures();
        }, e -> {
            row.busy.set(false);
            message.set((pause ? "Not paused: " : "Not resumed: ") + e.getMessage());
        });
    }

    /** Reads the window settings and the daemon's state. */
    public void load() {
        statusChanged(engine.daemon().status());
        executor.execute("Reading the purge window", () -> engine.settings().snapshot(), s -> {
            useWindow.set(s.window().isPresent());
            s.window().ifPresent(w -> {
                windowStart.set(w.start().toString());
                windowEnd.set(w.end().toString());
            });
            exitWhenEmpty.set(s.exitWhenEmpty());
        }, e -> { });
        probeLock();
        refreshWorkers();
        refreshFigures();
    }

    /** The daemon reported a new state (on the UI thread). */
    public void statusChanged(DaemonStatus s) {
        boolean changed = state.get() != s.state();
        state.set(s.state());
        stateText.set(s.describe());
        working.set(s.state() == DaemonState.WORKING && s.mailbox() != null ? s.action() + " " + s.mailbox() : "");
        tasksDone.set(s.tasksDone());
        bytesReclaimed.set(s.bytesReclaimed());
        tasksText.set(tasksText(s.tasksDone(), s.runNowTasks()));
        bytesText.set(bytesText(s.bytesReclaimed(), s.runNowBytes()));
        running.set(engine.daemon().running());
        if (s.state() == DaemonState.LOCKED_OUT) {
            error.set("General Error: " + org.mstore.api.SessionLockedException.MESSAGE + (s.message().isEmpty() ? "" : " (" + s.message() + ")"));
            otherHolder.set(""); // said once, in the error
        } else {
            error.set(""); // no longer locked out: the other impurge let go (or this one stopped)
        }
        if (changed && s.state() != DaemonState.WORKING) {
            refreshWorkers(); // started, stopped, locked out: who works changed (not at every task)
        }
    }

    /** Checks whether another process's impurge holds the session lock (the daemon here being stopped). */
    public void probeLock() {
        if (engine.daemon().running()) {
            otherHolder.set("");
            return;
        }
        executor.execute("Checking the session lock", () -> engine.daemon().lockHolder(), (Optional<String> h) ->
                otherHolder.set(!error.get().isEmpty() ? "" : h.filter(x -> !engine.daemon().running()).map(x -> org.mstore.console.Holders.describe(x) + " holds the purge session lock")
                        .orElse("")), e -> { });
    }

    public void start() {
        if (readOnly.get()) {
            return;
        }
        error.set("");
        executor.execute("Starting impurge", () -> {
            engine.daemon().start(DaemonMode.daemon());
            return true;
        }, ok -> {
            running.set(engine.daemon().running());
            message.set("impurge started");
        }, e -> {
            if (e instanceof SessionLockedException) {
                String h = org.mstore.console.RunReport.holderOf(e);
                error.set("General Error: " + SessionLockedException.MESSAGE + (h == null ? "" : " (held by " + org.mstore.console.Holders.describe(h) + ")"));
                otherHolder.set("");
            } else {
                error.set(e.getMessage());
            }
            running.set(false);
            probeLock();
        });
    }

    public void stop() {
        executor.execute("Stopping impurge", () -> {
            engine.daemon().stop();
            return true;
        }, ok -> {
            running.set(engine.daemon().running());
            message.set("impurge stopped");
        }, e -> message.set(e.getMessage()));
    }

    private void validateWindow() {
        if (!useWindow.get()) {
            windowError.set("");
            return;
        }
        try {
            Setting.PURGE_WINDOW.validate(windowStart.get() + "-" + windowEnd.get());
            windowError.set("");
        } catch (InvalidSettingException e) {
            windowError.set(e.getMessage());
        }
    }

    /** Saves the window (or daemon mode) and exit-when-empty; a running daemon follows at once. */
    public void applyWindow() {
        if (readOnly.get()) {
            return;
        }
        validateWindow();
        if (!windowError.get().isEmpty()) {
            message.set("Not saved: " + windowError.get());
            return;
        }
        Map<Setting, String> values = new EnumMap<>(Setting.class);
        values.put(Setting.PURGE_WINDOW, useWindow.get() ? windowStart.get().strip() + "-" + windowEnd.get().strip() : "");
        values.put(Setting.PURGE_EXIT_WHEN_EMPTY, Boolean.toString(exitWhenEmpty.get()));
        executor.execute("Saving the purge window", () -> engine.settings().apply(values), saved -> {
            String w = saved.get(Setting.PURGE_WINDOW);
            message.set(w.isEmpty() ? "Daemon mode: impurge works whenever entries are due"
                    : "Off-peak window " + PurgeWindow.parse(w).orElseThrow() + (exitWhenEmpty.get() ? ", stopping when the queue is empty" : ""));
        }, e -> message.set("Not saved: " + e.getMessage()));
    }
}
