package org.mstore.purge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Consumer;

import org.mstore.api.Action;
import org.mstore.api.LogLevel;
import org.mstore.api.PurgeWindow;
import org.mstore.api.QueueEntry;
import org.mstore.api.SessionLockedException;
import org.mstore.api.TaskResult;
import org.mstore.config.StoreSettings;
import org.mstore.mailbox.StoreContext;

/**
 * impurge (SPEC §5): takes the purge session lock and drains the maintenance queue, as a daemon (waits for
 * entries and handles them as they come), in a scheduled off-peak window ({@code store.purge.window}), until
 * the queue is empty, or until an end time.
 *
 * <p>Every decision uses the store's clock; the waits are real time, at most {@link #POLL} long, so that
 * entries queued by other processes are seen within a second and an in-process {@link #wake} is immediate.
 * Tests step it deterministically with {@link #drain}.
 */
public final class PurgeDaemon {
    public static final Duration POLL = Duration.ofSeconds(1);

    /** What the daemon is doing. */
    public enum State {
        STOPPED("stopped"),
        WAITING("waiting for entries"),
        WORKING("working"),
        OUTSIDE_WINDOW("outside its window"),
        WINDOW_DONE("queue empty; done for this window"),
        LOCKED_OUT("another impurge holds the session lock");

        private final String text;

        State(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** How long the daemon runs. */
    public record Mode(boolean exitOnEmpty, LocalTime until) {
        /** Until stopped; follows {@code store.purge.window} and {@code store.purge.exitwhenempty}. */
        public static Mode daemon() {
            return new Mode(false, null);
        }

        public static Mode drainAndExit() {
            return new Mode(true, null);
        }

        public static Mode until(LocalTime end, boolean exitWhenEmpty) {
            return new Mode(exitWhenEmpty, end);
        }

        boolean followsWindow() {
            return !exitOnEmpty && until == null;
        }
    }

    /** A snapshot of the daemon's state for the console and the CLI. */
    public record Status(State state, String mailbox, Action action, long tasksDone, long bytesReclaimed, Instant since,
                         String message) {
        public String describe() {
            if (state == State.WORKING && mailbox != null) {
                return "working: " + action + " " + mailbox;
            }
            return message == null || message.isEmpty() ? state.text() : state.text() + " (" + message + ")";
        }
    }

    private final StoreContext ctx;
    private final TaskRunner runner;
    private final Consumer<Status> listener;
    private volatile Consumer<TaskResult> resultListener = r -> { };
    private final String owner = "impurge@" + ProcessHandle.current().pid();
    private final Object signal = new Object();
    private final ConcurrentLinkedDeque<Long> runNow = new ConcurrentLinkedDeque<>();
    private boolean woken;
    private volatile boolean stopRequested;
    private volatile Thread thread;
    private volatile Status status;
    private SessionLock lock;
    private long tasksDone;
    private long bytesReclaimed;

    public PurgeDaemon(StoreContext ctx, TaskRunner runner, Consumer<Status> listener) {
        this.ctx = ctx;
        this.runner = runner;
        this.listener = listener == null ? s -> { } : listener;
        this.status = new Status(State.STOPPED, null, null, 0, 0, ctx.instant(), "");
    }

    public Status status() {
        return status;
    }

    /** Hears every task result (the CLI prints them). */
    public void onResult(Consumer<TaskResult> l) {
        resultListener = l == null ? r -> { } : l;
    }

    public boolean running() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    private synchronized void setStatus(State s, QueueEntry working, String message) {
        status = new Status(s, working == null ? null : working.mailbox(), working == null ? null : working.action(),
                tasksDone, bytesReclaimed, s == status.state() && working == null ? status.since() : ctx.instant(), message);
        listener.accept(status);
    }

    // ---------------------------------------------------------------- the session lock

    private boolean ensureLock() {
        if (lock != null) {
            return true;
        }
        try {
            Optional<SessionLock> l = SessionLock.tryAcquire(ctx.layout().root(), owner);
            if (l.isEmpty()) {
                return false;
            }
            lock = l.get();
            ctx.queue().resetClaims();
            sweep();
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Queues the Clean and Purge tasks the mboxlist's counts call for (see {@code MaintenanceQueue.sweep}). */
    public int sweep() {
        StoreSettings.Snapshot s = ctx.settings().snapshot();
        return ctx.queue().sweep(s.cleanupSize(), s.purgeCount(), s.purgePercentage(), ctx.now());
    }

    private void releaseLock() {
        if (lock != null) {
            lock.close();
            lock = null;
        }
    }

    private SessionLockedException lockedOut() {
        String holder = SessionLock.holder(ctx.layout().root()).orElse(null);
        ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.ERROR, SessionLock.MESSAGE);
        setStatus(State.LOCKED_OUT, null, holder == null ? "" : "held by " + holder);
        return new SessionLockedException(holder);
    }

    // ---------------------------------------------------------------- stepping (deterministic)

    /**
     * Takes the session lock, runs every due entry until none is left, and lets go: {@code impurge
     * --exit-when-empty}, and the tests' way to step the daemon. Returns what ran.
     */
    public synchronized List<TaskResult> drain() {
        if (running()) {
            throw new IllegalStateException("the impurge daemon is running; stop it first");
        }
        if (!ensureLock()) {
            throw lockedOut();
        }
        try {
            List<TaskResult> out = new ArrayList<>();
            Optional<TaskResult> r;
            while ((r = runNext()).isPresent()) {
                out.add(r.get());
                if (!r.get().finished() && out.size() > 10_000) {
                    break;
                }
            }
            return out;
        } finally {
            releaseLock();
            setStatus(State.STOPPED, null, "");
        }
    }

    /** Runs one due entry (administrator's "run now" picks first); empty when none is due. Needs the lock. */
    private Optional<TaskResult> runNext() {
        long now = ctx.now();
        Optional<QueueEntry> e = Optional.empty();
        Long wanted;
        while (e.isEmpty() && (wanted = runNow.poll()) != null) {
            e = ctx.queue().claim(wanted, now, owner);
        }
        if (e.isEmpty()) {
            StoreSettings.Snapshot s = ctx.settings().snapshot();
            e = ctx.queue().pickNext(now, s.cleanupAge().toMillis(), owner);
        }
        if (e.isEmpty()) {
            return Optional.empty();
        }
        setStatus(State.WORKING, e.get(), "");
        TaskResult r = runner.run(e.get());
        resultListener.accept(r);
        synchronized (this) {
            if (r.finished()) {
                tasksDone++;
                bytesReclaimed += r.bytesReclaimed();
            }
        }
        return Optional.of(r);
    }

    /**
     * Runs the given entries now (forced): handed to the running daemon, which takes them first, or, when it
     * is not running, run here under the session lock. Returns the results of entries run here.
     */
    public List<TaskResult> runNow(Collection<Long> recnos) {
        ctx.queue().force(recnos);
        if (running()) {
            runNow.addAll(recnos);
            wake();
            return List.of();
        }
        synchronized (this) {
            if (!ensureLock()) {
                throw lockedOut();
            }
            try {
                List<TaskResult> out = new ArrayList<>();
                for (long r : recnos) {
                    ctx.queue().claim(r, ctx.now(), owner).ifPresent(e -> {
                        setStatus(State.WORKING, e, "");
                        TaskResult res = runner.run(e);
                        resultListener.accept(res);
                        if (res.finished()) {
                            tasksDone++;
                            bytesReclaimed += res.bytesReclaimed();
                        }
                        out.add(res);
                    });
                }
                return out;
            } finally {
                releaseLock();
                setStatus(State.STOPPED, null, "");
            }
        }
    }

    // ---------------------------------------------------------------- threaded

    /**
     * Starts the daemon on a thread of its own. Throws {@link SessionLockedException} (after logging the seed's
     * error) when another impurge holds the session lock, unless the window is closed, in which case the lock is
     * taken when it opens.
     */
    public synchronized void start(Mode mode) {
        if (running()) {
            return;
        }
        if (!(mode.followsWindow() && outsideWindow()) && !ensureLock()) {
            throw lockedOut();
        }
        stopRequested = false;
        Thread t = new Thread(() -> loop(mode), "impurge");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Runs the daemon on the calling thread until its mode says stop (the CLI's impurge). */
    public void runForeground(Mode mode) {
        synchronized (this) {
            if (!(mode.followsWindow() && outsideWindow()) && !ensureLock()) {
                throw lockedOut();
            }
            stopRequested = false;
            thread = Thread.currentThread();
        }
        loop(mode);
    }

    private boolean outsideWindow() {
        Optional<PurgeWindow> w = ctx.settings().snapshot().window();
        return w.isPresent() && !w.get().contains(ZonedDateTime.now(ctx.clock()).toLocalTime());
    }

    /** Asks the daemon to stop after its current task and waits for it (up to {@code timeout}). */
    public void stop(Duration timeout) {
        Thread t = thread;
        stopRequested = true;
        wake();
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Wakes the daemon from its wait (an entry was queued, a setting changed). */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void waitFor(Duration d) {
        long ms = Math.max(1, Math.min(d.toMillis(), POLL.toMillis()));
        synchronized (signal) {
            if (!woken && !stopRequested) {
                try {
                    signal.wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopRequested = true;
                }
            }
            woken = false;
        }
    }

    private void loop(Mode mode) {
        ZonedDateTime windowDoneUntil = null; // the end of the window whose queue ran empty (exitwhenempty)
        ZonedDateTime until = mode.until() == null ? null : nextOccurrence(mode.until());
        try {
            setStatus(State.WAITING, null, "");
            while (!stopRequested) {
                ZonedDateTime now = ZonedDateTime.now(ctx.clock());
                if (until != null && !now.isBefore(until)) {
                    break;
                }
                StoreSettings.Snapshot s = ctx.settings().snapshot();
                Optional<PurgeWindow> w = mode.followsWindow() ? s.window() : Optional.empty();
                if (w.isPresent()) {
                    if (!w.get().contains(now.toLocalTime())) {
                        releaseLock();
                        windowDoneUntil = null;
                        setStatus(State.OUTSIDE_WINDOW, null, "window " + w.get() + " opens at " + w.get().start());
                        waitFor(Duration.between(now, w.get().nextStart(now)));
                        continue;
                    }
                    if (windowDoneUntil != null && now.isBefore(windowDoneUntil)) {
                        releaseLock(); // done for this window, as if it had exited: another impurge may run
                        setStatus(State.WINDOW_DONE, null, "window " + w.get() + " ends at " + w.get().end());
                        waitFor(Duration.between(now, w.get().endAfter(now)));
                        continue;
                    }
                }
                if (!ensureLock()) {
                    lockedOut();
                    waitFor(Duration.ofSeconds(5));
                    continue;
                }
                if (runNext().isPresent()) {
                    continue;
                }
                if (mode.exitOnEmpty()) {
                    break;
                }
                if (w.isPresent() && s.exitWhenEmpty()) {
                    windowDoneUntil = w.get().endAfter(now);
                    continue;
                }
                Optional<Instant> due = ctx.queue().nextDueTime(ctx.now(), s.cleanupAge().toMillis());
                String msg = due.map(t -> "next entry due " + when(t)).orElse("");
                setStatus(State.WAITING, null, until != null ? join(msg, "until " + mode.until()) : msg);
                waitFor(due.map(t -> Duration.ofMillis(Math.max(1, t.toEpochMilli() - ctx.now()))).orElse(POLL));
            }
        } catch (RuntimeException e) {
            if (stopRequested) {
                return; // asked to stop (SIGTERM): the database may already be closing under us; the entry stays queued
            }
            ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.ERROR, "impurge stopped: " + e.getMessage());
            throw e;
        } finally {
            releaseLock();
            thread = null;
            setStatus(State.STOPPED, null, "");
        }
    }

    /** A time of day, with the date when it is not today. */
    private String when(Instant t) {
        ZonedDateTime at = t.atZone(ctx.clock().getZone()).withNano(0);
        ZonedDateTime now = ZonedDateTime.now(ctx.clock());
        String time = at.toLocalTime().toString();
        return at.toLocalDate().equals(now.toLocalDate()) ? "at " + time : "on " + at.toLocalDate() + " at " + time;
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : a + "; " + b;
    }

    private ZonedDateTime nextOccurrence(LocalTime t) {
        ZonedDateTime now = ZonedDateTime.now(ctx.clock());
        ZonedDateTime at = now.with(t).withSecond(0).withNano(0);
        return at.isAfter(now) ? at : at.plusDays(1);
    }
}
