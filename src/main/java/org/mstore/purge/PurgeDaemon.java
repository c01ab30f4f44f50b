package org.mstore.purge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;

import org.mstore.api.DaemonMode;
import org.mstore.api.DaemonState;
import org.mstore.api.DaemonStatus;
import org.mstore.api.LogLevel;
import org.mstore.api.PurgeWindow;
import org.mstore.api.QueueEntry;
import org.mstore.api.SessionLockedException;
import org.mstore.api.Setting;
import org.mstore.api.SettingsSnapshot;
import org.mstore.api.StoreUnreachableException;
import org.mstore.api.TaskResult;
import org.mstore.mailbox.StoreContext;

/**
 * impurge (SPEC §5): takes the purge session lock and drains the maintenance queue, as a daemon (waits for entries and
 * handles them as they come), in a scheduled off-peak window ({@code store.purge.window}), until the queue is empty,
 * or until an end time.
 *
 * <p>One thread owns the daemon's state (db-scheduler's scheduler is the model): the session lock, the counters and
 * the window bookkeeping are touched by that thread alone, and it publishes an immutable {@link DaemonStatus} and each
 * {@link TaskResult} to the listener with no lock held. Other threads talk to it through an inbox — "run these entries
 * now", "stop" — and a {@link Waiter} that wakes it. "Run now" goes through the same thread: the running daemon takes
 * the entries first, whatever its window; when no daemon runs, a thread is started for them alone.
 *
 * <p>Every decision uses the store's clock; the waits are real time, at most {@link #POLL} long, so that entries
 * queued by other processes are seen within a second and an in-process {@link #wake} is immediate.
 */
public final class PurgeDaemon {
    public static final Duration POLL = Duration.ofSeconds(1);
    /** The most entries claimed at once (see {@link #runDue}). */
    static final int MAX_BATCH = 256;
    /** How long a locked-out daemon waits before it tries the session lock again. */
    private volatile Duration lockedOutRetry = Duration.ofSeconds(5);
    /** The first wait after the store was found unreachable; it doubles with each failed try, up to {@link #unreachableMaxRetry}. */
    private volatile Duration unreachableRetry = Duration.ofSeconds(1);
    private volatile Duration unreachableMaxRetry = Duration.ofSeconds(30);

    /** What the daemon tells its owner: every change of state, and every task's result. */
    public interface Listener {
        void status(DaemonStatus status);

        void result(TaskResult result);
    }

    /** Entries an administrator wants run now, and where their results go. */
    private record RunRequest(List<Long> recnos, CompletableFuture<List<TaskResult>> done) {
    }

    private final StoreContext ctx;
    private final TaskRunner runner;
    private final Listener listener;
    private final String owner;
    private final Waiter waiter = new Waiter();
    private final ConcurrentLinkedQueue<RunRequest> requests = new ConcurrentLinkedQueue<>();
    private final Object lifecycle = new Object();
    /** The thread that owns the daemon's state while it runs; guarded by {@link #lifecycle}. */
    private Thread worker;
    private volatile boolean stopRequested;
    /** The store is closing: no new work starts. Guarded by {@link #lifecycle}. */
    private boolean closing;
    private volatile DaemonStatus status;

    // ---- owned by the worker thread
    private SessionLock lock;
    private long tasksDone;
    private long bytesReclaimed;
    /** Tasks (and their bytes) Run now finished on a thread of its own, with no daemon running: not the daemon's work. */
    private long runNowTasks;
    private long runNowBytes;
    /** True on the thread {@link #startRunNowThread} starts (the worker's own field: one worker at a time). */
    private volatile boolean servingRunNowAlone;
    private boolean lockedOutLogged;
    /** Entries claimed at once; see {@link #runDue}. */
    private int batch = 1;
    /** Since when the store is unreachable (an outage this daemon waits out), or null. */
    private Instant unreachableSince;
    /** The wait before the next try while the store is unreachable. */
    private Duration unreachableWait;
    /** Claimed entries whose tasks the outage cut short: given back once the store answers (else their leases run out). */
    private final List<QueueEntry> interrupted = new ArrayList<>();

    public PurgeDaemon(StoreContext ctx, TaskRunner runner, Listener listener) {
        this.ctx = ctx;
        this.runner = runner;
        this.listener = listener;
        this.owner = ctx.processName() + "[" + ProcessHandle.current().pid() + "]";
        this.status = new DaemonStatus(DaemonState.STOPPED, null, null, 0, 0, ctx.instant(), "");
    }

    /** How long a locked-out daemon waits before it tries the lock again (tests shorten it). */
    void retryAfterLockOut(Duration d) {
        lockedOutRetry = d;
    }

    /** The back-off while the store is unreachable: {@code first}, doubling up to {@code max} (tests shorten it). */
    void retryWhileUnreachable(Duration first, Duration max) {
        unreachableRetry = first;
        unreachableMaxRetry = max;
    }

    public DaemonStatus status() {
        return status;
    }

    public boolean running() {
        synchronized (lifecycle) {
            return worker != null && worker.isAlive();
        }
    }

    /** Who holds the session lock, if anyone. */
    public Optional<String> lockHolder() {
        return SessionLock.holder(ctx.backend().localDir());
    }

    private void publish(DaemonState s, QueueEntry working, String message) {
        DaemonStatus old = status;
        DaemonStatus next = new DaemonStatus(s, working == null ? null : working.mailbox(), working == null ? null : working.action(),
                tasksDone, bytesReclaimed, s == old.state() && working == null ? old.since() : ctx.instant(), message, runNowTasks,
                runNowBytes);
        status = next;
        listener.status(next);
    }

    // ---------------------------------------------------------------- the session lock (worker thread)

    private boolean ensureLock() {
        if (lock != null) {
            return true;
        }
        try {
            Optional<SessionLock> l = SessionLock.tryAcquire(ctx.backend().localDir(), owner);
            if (l.isEmpty()) {
                return false;
            }
            lock = l.get();
            lockedOutLogged = false;
            try {
                ctx.queue().resetClaims();
                sweep();
            } catch (RuntimeException e) {
                releaseLock(); // (the store unreachable, say): the next taker resets and sweeps, as if this one never took it
                throw e;
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take the purge session lock " + SessionLock.lockFile(ctx.backend().localDir()) + ": "
                    + e.getMessage(), e);
        }
    }

    private void releaseLock() {
        if (lock != null) {
            lock.close();
            lock = null;
        }
    }

    /**
     * The seed's error in the default log, and the state that says who holds the lock. Each attempt an administrator
     * makes (start, drain, run now) is logged; a running daemon's own retries are logged once per lock-out.
     */
    private SessionLockedException lockedOut(boolean attempt) {
        String holder = lockHolder().orElse(null);
        if (attempt || !lockedOutLogged) {
            ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.ERROR, SessionLock.MESSAGE);
            lockedOutLogged = true;
        }
        publish(DaemonState.LOCKED_OUT, null, holder == null ? "" : "held by " + holder);
        return new SessionLockedException(holder);
    }

    /** Queues the Clean and Purge tasks the mailbox list's counts call for (see {@code QueueStore.sweep}). */
    public int sweep() {
        SettingsSnapshot s = ctx.settings().snapshot();
        return ctx.queue().sweep(s.cleanupSize(), s.purgeCount(), s.purgePercentage(), ctx.now(), ctx.queuedBy());
    }

    // ---------------------------------------------------------------- starting and stopping

    /**
     * Claims the right to run the daemon's loop on {@code thread}, taking the session lock first unless the daemon
     * starts outside its window. Throws {@link SessionLockedException} (after logging the seed's error) when another
     * impurge holds the lock.
     */
    private void begin(Thread thread, boolean needLock) {
        synchronized (lifecycle) {
            if (closing) {
                throw new IllegalStateException("the store is closing");
            }
            if (worker != null && worker.isAlive()) {
                throw new IllegalStateException("the impurge daemon is running; stop it first");
            }
            stopRequested = false;
            useReserveIfDiskFull(); // before its first write: on a full disk, the first write refused closes the database
            if (needLock && !ensureLock()) {
                throw lockedOut(true);
            }
            worker = thread;
        }
    }

    /**
     * Ends the worker's turn: lets go of the session lock, then, unless the store is closing, hands "run now" requests
     * that arrived meanwhile to a new thread (so that none is lost between the last look at the inbox and the end).
     */
    private void end() {
        releaseLock();
        boolean again;
        synchronized (lifecycle) {
            if (worker == Thread.currentThread()) {
                worker = null;
            }
            again = !requests.isEmpty() && !closing;
            if (again) {
                startRunNowThread();
            }
        }
        if (!again) {
            failRequests("impurge stopped before it ran them; they stay queued, forced");
        }
        publish(DaemonState.STOPPED, null, "");
    }

    /**
     * Starts a thread that runs the waiting "run now" requests and ends. Their callers hear the results once the thread
     * has let go of the session lock, so that what they do next (a drain, another impurge) finds it free. Under
     * {@link #lifecycle}.
     */
    private void startRunNowThread() {
        Thread t = new Thread(() -> {
            List<Served> served = List.of();
            servingRunNowAlone = true;
            try {
                served = serveRequests(false);
            } finally {
                servingRunNowAlone = false;
                end();
                served.forEach(Served::tell);
            }
        }, "impurge-run-now");
        t.setDaemon(true);
        stopRequested = false;
        worker = t;
        t.start();
    }

    /** Starts the daemon on a thread of its own (see {@link #begin} for the session lock). */
    public void start(DaemonMode mode) {
        synchronized (lifecycle) {
            if (worker != null && worker.isAlive()) {
                return;
            }
            Thread t = new Thread(() -> {
                try {
                    loop(mode);
                } finally {
                    end();
                }
            }, "impurge");
            t.setDaemon(true);
            begin(t, !(mode.followsWindow() && outsideWindow()));
            t.start();
        }
    }

    /** Runs the daemon on the calling thread until its mode says stop, or {@link #stop} (the CLI's impurge). */
    public void runForeground(DaemonMode mode) {
        begin(Thread.currentThread(), !(mode.followsWindow() && outsideWindow()));
        try {
            loop(mode);
        } finally {
            end();
        }
    }

    /**
     * Takes the session lock, runs every due entry until none is left, and lets go: {@code impurge --exit-when-empty},
     * and the tests' way to step the daemon. Runs on the calling thread; returns what ran.
     */
    public List<TaskResult> drain() {
        begin(Thread.currentThread(), true);
        try {
            List<TaskResult> out = new ArrayList<>();
            List<TaskResult> r;
            while (!stopRequested && !(r = runDue()).isEmpty()) {
                out.addAll(r);
                if (!r.get(r.size() - 1).finished() && out.size() > 10_000) {
                    break;
                }
            }
            restoreReserve();
            return out;
        } finally {
            end();
        }
    }

    /** Asks the daemon to stop after its current task and waits for it (up to {@code timeout}). */
    public void stop(Duration timeout) {
        Thread t;
        synchronized (lifecycle) {
            t = worker;
            stopRequested = true;
        }
        waiter.wake();
        if (t != null && t != Thread.currentThread() && timeout.toMillis() > 0) {
            try {
                t.join(timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops the daemon for good (the store is closing): what is running finishes, nothing new starts. */
    public void shutdown(Duration timeout) {
        synchronized (lifecycle) {
            closing = true;
        }
        stop(timeout);
    }

    /** Wakes the daemon from its wait (an entry was queued, a setting changed). */
    public void wake() {
        waiter.wake();
    }

    // ---------------------------------------------------------------- run now

    /**
     * Runs the given entries now (forced), whatever the window: handed to the running daemon, which takes them before
     * anything else, or run by a thread started for them when no daemon runs. Waits for their results (an entry no
     * longer waiting — already run, or removed — has none). Throws {@link SessionLockedException} when another process
     * holds the session lock; the entries are then left as they were.
     */
    public List<TaskResult> runNow(Collection<Long> recnos) {
        RunRequest req = new RunRequest(List.copyOf(recnos), new CompletableFuture<>());
        synchronized (lifecycle) {
            if (closing) {
                throw new IllegalStateException("the store is closing");
            }
            requests.add(req);
            if (worker == null || !worker.isAlive()) {
                startRunNowThread();
            }
        }
        waiter.wake();
        try {
            return req.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for impurge");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Runs the entries of every waiting request (worker thread). Takes the session lock for them if the daemon does not
     * hold it (outside its window, say) and, unless {@code keepLock}, lets go of it after.
     */
    private List<Served> serveRequests(boolean keepLock) {
        RunRequest req;
        boolean tookLock = false;
        List<Served> served = new ArrayList<>();
        try {
            while ((req = requests.poll()) != null) {
                List<TaskResult> out = new ArrayList<>();
                QueueEntry running = null;
                try {
                    // in the try: a request whose lock cannot be taken gets the reason, never a caller left waiting
                    if (lock == null) {
                        if (!ensureLock()) {
                            served.add(new Served(req, null, lockedOut(true)));
                            continue;
                        }
                        tookLock = true;
                    }
                    useReserveIfDiskFull();
                    giveBackInterrupted(); // a Run now that an outage cut short, asked for again: its claim is free now
                    // forced here, by the thread that runs them, so that no pick of its own takes them first
                    ctx.queue().force(req.recnos());
                    for (long recno : req.recnos()) {
                        Optional<QueueEntry> e = ctx.queue().claim(recno, ctx.now(), owner);
                        if (e.isPresent()) {
                            running = e.get();
                            out.add(runClaimed(running));
                            running = null;
                        }
                    }
                    served.add(new Served(req, out, null));
                } catch (RuntimeException ex) {
                    if (!ctx.backend().unreachable(ex)) {
                        served.add(new Served(req, null, ex));
                        continue;
                    }
                    if (running != null) {
                        interrupted.add(running); // not done, not failed: given back once the store answers (or its lease runs out)
                    }
                    served.add(new Served(req, null, notRun(req.recnos(), out, ex)));
                }
            }
        } finally {
            if (tookLock && !keepLock) {
                releaseLock();
            }
        }
        return served;
    }

    /**
     * What a Run now the store could not be reached for tells its caller, in one line: which entries did not run and
     * that they stay queued (none was counted as a failed attempt), not the driver's words (kept as the cause).
     */
    private static StoreUnreachableException notRun(List<Long> recnos, List<TaskResult> ran, RuntimeException cause) {
        java.util.Set<Long> done = new java.util.HashSet<>();
        ran.forEach(r -> done.add(r.entry().recno()));
        List<Long> left = recnos.stream().filter(r -> !done.contains(r)).toList();
        String which = left.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
        return new StoreUnreachableException("the store is unreachable: RecNo " + which + (left.size() == 1 ? " stays in the queue and runs"
                : " stay in the queue and run") + " when the store answers" + (done.isEmpty() ? "" : " (" + done.size() + " ran before it went)"), cause);
    }

    /** A request that has run (or could not): its results, or why not. */
    private record Served(RunRequest req, List<TaskResult> results, RuntimeException error) {
        void tell() {
            if (error != null) {
                req.done().completeExceptionally(error);
            } else {
                req.done().complete(results);
            }
        }
    }

    private void failRequests(String why) {
        RunRequest req;
        while ((req = requests.poll()) != null) {
            req.done().completeExceptionally(new IllegalStateException(why));
        }
    }

    // ---------------------------------------------------------------- the loop (worker thread)

    /**
     * Claims a batch of due entries and runs them; returns their results, empty when none is due. Needs the lock.
     *
     * <p>The batch settles its drops and skips in one transaction ({@link TaskRunner#triage}), then runs the rest one by
     * one. Its size adapts: it doubles (up to {@link #MAX_BATCH}) while batches hold nothing but drops and skips — a
     * queue of entries for deleted mailboxes drains at thousands a second — and falls back to one as soon as a batch
     * holds real work, so that claimed entries never wait long behind a slow task and a new Repair is picked next.
     */
    private List<TaskResult> runDue() {
        useReserveIfDiskFull();
        giveBackInterrupted();
        SettingsSnapshot s = ctx.settings().snapshot();
        List<QueueEntry> claimed = ctx.queue().claimDue(ctx.now(), s.cleanupAge().toMillis(), owner, batch, s.paused());
        if (claimed.isEmpty()) {
            return List.of();
        }
        publish(DaemonState.WORKING, claimed.get(0), "");
        TaskRunner.Triage t;
        try {
            t = runner.triage(claimed);
        } catch (RuntimeException ex) {
            if (ctx.backend().unreachable(ex)) {
                interrupted.addAll(claimed);
            }
            throw ex;
        }
        List<TaskResult> out = new ArrayList<>(claimed.size());
        for (TaskResult r : t.finished()) {
            counted(r);
            out.add(r);
        }
        List<QueueEntry> work = t.work();
        for (int i = 0; i < work.size(); i++) {
            if (stopRequested) {
                ctx.queue().unclaim(work.subList(i, work.size())); // stopping: the rest wait for the next impurge
                break;
            }
            try {
                out.add(runClaimed(work.get(i)));
            } catch (RuntimeException ex) {
                if (ctx.backend().unreachable(ex)) {
                    interrupted.addAll(work.subList(i, work.size())); // not done, not failed: see giveBackInterrupted
                }
                throw ex;
            }
        }
        batch = work.isEmpty() ? Math.min(MAX_BATCH, batch * 2) : 1;
        if (!t.finished().isEmpty() && !work.isEmpty()) {
            // the results in the order the entries were picked (the drops and skips were settled first)
            Map<Long, Integer> order = new HashMap<>();
            for (int i = 0; i < claimed.size(); i++) {
                order.put(claimed.get(i).recno(), i);
            }
            out.sort(Comparator.comparingInt(r -> order.get(r.entry().recno())));
        }
        return out;
    }

    /**
     * On a disk with less free space than the store's reserve holds, gives the reserve up before claiming (see
     * {@link org.mstore.backend.SpaceReserve}): impurge is what frees space, and it cannot claim a task without writing.
     */
    private void useReserveIfDiskFull() {
        Optional<org.mstore.backend.SpaceReserve> r = ctx.backend().spaceReserve();
        try {
            if (r.isEmpty() || !r.get().space().full()) {
                return;
            }
        } catch (IOException e) {
            return; // its free space cannot be read: the writes will say what is wrong
        }
        try {
            long freed = r.get().release();
            if (freed > 0) {
                reserveGivenUp = true;
                ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.WARNING, "the disk is full: impurge gave up its reserve of "
                        + freed + " bytes (" + r.get().location() + ") so that it can free space; it makes it again once there is room");
            }
        } catch (IOException e) {
            ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.WARNING, "the disk is full, and impurge could not give up its reserve ("
                    + r.get().location() + "): " + e.getMessage());
        }
    }

    /** True once this daemon gave the reserve up (it says so when it has made it again). */
    private volatile boolean reserveGivenUp;

    /** With nothing due: makes the reserve again if it is not held and there is room (see {@link #useReserveIfDiskFull}). */
    private void restoreReserve() {
        Optional<org.mstore.backend.SpaceReserve> r = ctx.backend().spaceReserve();
        if (r.isPresent() && r.get().ensure() > 0 && reserveGivenUp) {
            reserveGivenUp = false;
            ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.NOTICE, "impurge made its reserve again (" + r.get().location() + ")");
        }
    }

    private TaskResult runClaimed(QueueEntry e) {
        publish(DaemonState.WORKING, e, "");
        TaskResult r = runner.run(e);
        counted(r);
        return r;
    }

    private void counted(TaskResult r) {
        if (r.finished() && servingRunNowAlone) {
            runNowTasks++;
            runNowBytes += r.bytesReclaimed();
        } else if (r.finished()) {
            tasksDone++;
            bytesReclaimed += r.bytesReclaimed();
        }
        listener.result(r);
    }

    private boolean outsideWindow() {
        Optional<PurgeWindow> w = ctx.settings().snapshot().window();
        return w.isPresent() && !w.get().contains(ZonedDateTime.now(ctx.clock()).toLocalTime());
    }

    private void loop(DaemonMode mode) {
        ZonedDateTime windowDoneUntil = null; // the end of the window whose queue ran empty (exitwhenempty)
        ZonedDateTime until = mode.until() == null ? null : nextOccurrence(mode.until());
        try {
            publish(DaemonState.WAITING, null, "");
            while (!stopRequested) {
                try {
                    ZonedDateTime now = ZonedDateTime.now(ctx.clock());
                    if (until != null && !now.isBefore(until)) {
                        break;
                    }
                    SettingsSnapshot s = ctx.settings().snapshot();
                    Optional<PurgeWindow> w = mode.followsWindow() ? s.window() : Optional.empty();
                    boolean inWindow = w.isEmpty() || w.get().contains(now.toLocalTime());
                    boolean windowDone = windowDoneUntil != null && now.isBefore(windowDoneUntil);
                    if (!requests.isEmpty()) {
                        serveRequests(inWindow && !windowDone).forEach(Served::tell);
                        continue;
                    }
                    if (!inWindow) {
                        releaseLock();
                        windowDoneUntil = null;
                        publish(DaemonState.OUTSIDE_WINDOW, null, "window " + w.get() + " opens at " + w.get().start());
                        waiter.await(Duration.between(now, w.get().nextStart(now)));
                        continue;
                    }
                    if (windowDone) {
                        releaseLock(); // done for this window, as if it had exited: another impurge may run
                        publish(DaemonState.WINDOW_DONE, null, "window " + w.get() + " ends at " + w.get().end());
                        waiter.await(Duration.between(now, w.get().endAfter(now)));
                        continue;
                    }
                    if (!ensureLock()) {
                        lockedOut(false);
                        waiter.await(lockedOutRetry);
                        continue;
                    }
                    boolean ran = !runDue().isEmpty();
                    answeredAgain();
                    if (ran) {
                        continue;
                    }
                    restoreReserve();
                    if (mode.exitOnEmpty()) {
                        break;
                    }
                    if (w.isPresent() && s.exitWhenEmpty()) {
                        windowDoneUntil = w.get().endAfter(now);
                        continue;
                    }
                    Optional<Instant> due = ctx.queue().nextDueTime(ctx.now(), s.cleanupAge().toMillis(), s.paused());
                    String msg = join(due.map(t -> "next entry due " + when(t)).orElse(""),
                            s.paused().isEmpty() ? "" : Setting.Actions.format(s.paused()) + " paused");
                    publish(DaemonState.WAITING, null, until != null ? join(msg, "until " + mode.until()) : msg);
                    waiter.await(due.map(t -> Duration.ofMillis(Math.max(1, t.toEpochMilli() - ctx.now()))).orElse(POLL));
                } catch (RuntimeException e) {
                    if (stopRequested || !ctx.backend().unreachable(e)) {
                        throw e; // see below
                    }
                    waitWhileUnreachable(e);
                }
            }
        } catch (RuntimeException e) {
            if (stopRequested) {
                return; // asked to stop (SIGTERM): the store may be closing under us; the entry stays queued
            }
            ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.ERROR, "impurge stopped: " + e.getMessage());
            throw e;
        }
    }

    /**
     * The store cannot be reached (a Cassandra store with no node answering): says so — the state, and one log line per
     * outage, not one per try — and waits before the loop tries again, 1 s at first, twice as long after each failed
     * try, at most 30 s. The session lock is kept (it is the host's, and the store's claims are leases of their own).
     */
    private void waitWhileUnreachable(RuntimeException e) {
        String why = oneLine(e);
        if (unreachableSince == null) {
            unreachableSince = ctx.instant();
            unreachableWait = unreachableRetry;
            ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.WARNING, "the store is unreachable (" + why + "): impurge waits and "
                    + "tries again, every " + unreachableRetry.toSeconds() + " s at first, then less often, up to every "
                    + unreachableMaxRetry.toSeconds() + " s; tasks cut short are left to their leases");
        } else {
            Duration next = unreachableWait.multipliedBy(2);
            unreachableWait = next.compareTo(unreachableMaxRetry) > 0 ? unreachableMaxRetry : next;
        }
        publish(DaemonState.UNREACHABLE, null, "unreachable since " + when(unreachableSince) + ": " + why + "; next try in "
                + Math.max(1, unreachableWait.toSeconds()) + " s");
        long end = System.nanoTime() + unreachableWait.toNanos();
        long left;
        while (!stopRequested && (left = end - System.nanoTime()) > 0) {
            waiter.await(Duration.ofNanos(left)); // a wake (an entry queued) does not cut the back-off short
        }
    }

    /** The store answered again after an outage: says so, once. */
    private void answeredAgain() {
        if (unreachableSince != null) {
            ctx.log().log(TaskRunner.PROCESS, "General", LogLevel.NOTICE, "the store answers again (unreachable since "
                    + when(unreachableSince) + "): impurge carries on");
            unreachableSince = null;
        }
    }

    /**
     * Gives back the claimed entries an outage cut short, without counting an attempt, so that they run again now
     * rather than after their leases: before the daemon's next pick, and before a Run now (with no daemon running, the
     * only next step of this process that could; until then this process's lease keeper renews their claims as any
     * other). Their tasks stopped with the outage, so none runs twice: a claim whose lease ran out meanwhile is no
     * longer this process's, and is left as it is (another worker, or this one, takes the entry over). If the store is
     * still unreachable, the claims are left to their leases.
     */
    private void giveBackInterrupted() {
        if (interrupted.isEmpty()) {
            return;
        }
        List<QueueEntry> back = new ArrayList<>(interrupted);
        interrupted.clear();
        ctx.queue().unclaim(back);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** A time of day, with the date when it is not today. */
    private String when(Instant t) {
        ZonedDateTime at = t.atZone(ctx.clock().getZone()).withNano(0);
        ZonedDateTime now = ZonedDateTime.now(ctx.clock());
        String time = at.toLocalTime().toString();
        return at.toLocalDate().equals(now.toLocalDate()) ? "at " + time : "on " + at.toLocalDate() + " at " + time;
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + "; " + b;
    }

    private ZonedDateTime nextOccurrence(LocalTime t) {
        ZonedDateTime now = ZonedDateTime.now(ctx.clock());
        ZonedDateTime at = now.with(t).withSecond(0).withNano(0);
        return at.isAfter(now) ? at : at.plusDays(1);
    }

    /** A wait that {@link #wake} cuts short (db-scheduler's Waiter); a wake while nobody waits is kept for the next wait. */
    static final class Waiter {
        private boolean woken;

        synchronized void wake() {
            woken = true;
            notifyAll();
        }

        synchronized void await(Duration d) {
            long ms = Math.max(1, Math.min(d.toMillis(), POLL.toMillis()));
            if (!woken) {
                try {
                    wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            woken = false;
        }
    }
}
