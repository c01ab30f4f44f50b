package org.mstore.cli;

import java.io.PrintWriter;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.mstore.api.Action;
import org.mstore.api.ActionFigures;
import org.mstore.api.DaemonMode;
import org.mstore.api.DaemonState;
import org.mstore.api.Daemon;
import org.mstore.api.MessageStore;
import org.mstore.api.PurgeWindow;
import org.mstore.api.Queue;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.StoreEvent;
import org.mstore.api.TaskResult;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "impurge", mixinStandardHelpOptions = true, header = "Drain the maintenance queue (the purge daemon).", description = {"Drain the maintenance queue: a daemon by default (follows store.purge.window);",
        "--exit-when-empty exits when no entry is due; --until HH:MM exits at the end of an off-peak window.",
        "--run runs the given waiting entries at once (forced: whatever the window, store.cleanupage or a pause) and exits;",
        "--retry and --discard act on parked entries (failed too often; see imcheck -q --failed) and exit;",
        "--pause and --resume hold back or let go of one action's entries for every impurge of the store, and exit;",
        "--status prints, per action, whether it is paused, its entries, the oldest, the throughput and the median wait;",
        "then the store's disk: its free space, and whether impurge's reserve for a full disk is in place."})
final class ImpurgeCommand implements Callable<Integer> {
    /** How often the task lines are flushed while tasks run (at once when impurge goes idle). */
    private static final long FLUSH_NANOS = 200_000_000L;

    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "--exit-when-empty", description = "Exit once no entry is due.")
    boolean exitWhenEmpty;

    @Option(names = "--until", paramLabel = "HH:MM", description = "Exit at this time (the end of an off-peak window).")
    String until;

    @Option(names = "--quiet", description = "Do not print each task.")
    boolean quiet;

    @Option(names = "--queue-only", description = "Only queue the Clean and Purge tasks that the mailboxes' counts call for "
            + "(impurge does this when it starts), then exit without running anything.")
    boolean queueOnly;

    @ArgGroup(exclusive = true)
    Parked parked;

    /** Something done at once, instead of running: to parked entries, to the actions, or a report. One of them. */
    static final class Parked {
        @Option(names = "--pause", paramLabel = "ACTION[,ACTION...]",
                description = "Leave these actions' entries waiting (Repair, Clean, Purge, Remove), for every impurge of the "
                        + "store until resumed (store.purge.paused), and exit. Run now still runs them.")
        String pause;

        @Option(names = "--resume", paramLabel = "ACTION[,ACTION...]|all", description = "Let paused actions run again, and exit.")
        String resume;

        @Option(names = "--status", description = "Print, per action: paused or not, entries in the queue, the oldest waiting, "
                + "entries finished per minute and the median wait over the last 15 minutes; the store's disk and impurge's "
                + "reserve on it; and exit.")
        boolean status;

        @Option(names = "--run", paramLabel = "RECNO[,RECNO...]",
                description = "Run these waiting entries now, forced: whatever the off-peak window, store.cleanupage (a Remove "
                        + "not yet due) or a paused action, as the console's Run now does; print each result and exit.")
        String run;

        @Option(names = "--retry", paramLabel = "RECNO[,RECNO...]|all",
                description = "Put parked entries back in the queue, attempts reset (all: every parked entry), and exit.")
        String retry;

        String option() {
            return run != null ? "--run" : retry != null ? "--retry" : discard != null ? "--discard" : pause != null ? "--pause" : resume != null ? "--resume" : "--status";
        }

        @Option(names = "--discard", paramLabel = "RECNO[,RECNO...]|all",
                description = "Take parked entries out of the queue, recorded in the history as DISCARDED (all: every parked "
                        + "entry), and exit.")
        String discard;
    }

    @Override
    public Integer call() throws Exception {
        LocalTime end = until == null ? null : PurgeWindow.parseTime(until);
        List<Long> recnos = null;
        if (parked != null) {
            if (exitWhenEmpty || until != null || queueOnly) {
                throw new IllegalArgumentException(parked.option() + (parked.run != null ? " runs only the entries it names" : " runs nothing")
                        + ": leave out --exit-when-empty, --until and --queue-only");
            }
            if (parked.retry != null || parked.discard != null) {
                recnos = recnos(parked.option(), parked.retry != null ? parked.retry : parked.discard);
            }
            if (parked.run != null) {
                recnos = recnos(parked.option(), parked.run);
                if (recnos == null) {
                    throw new IllegalArgumentException("--run: 'all' runs everything due: use --exit-when-empty; --run takes RECNO[,RECNO...]");
                }
            }
        }
        java.util.Set<Action> actions = parked == null ? null : parked.pause != null ? actions("--pause", parked.pause, false)
                : parked.resume != null ? actions("--resume", parked.resume, true) : null;
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch closed = new CountDownLatch(1);
        try (MessageStore e = store.open("impurge")) {
            Daemon d = e.daemon();
            if (parked != null) {
                if (parked.status) {
                    out.print(status(e));
                } else if (parked.run != null) {
                    requireWaiting(e, recnos);
                    List<TaskResult> ran;
                    try {
                        ran = d.runNow(recnos);
                    } catch (org.mstore.api.SessionLockedException locked) {
                        throw new IllegalStateException("General Error: " + locked.getMessage() + "; nothing run: the entries stay "
                                + "queued, for that impurge to run when they are due", locked);
                    }
                    ran.forEach(r -> out.println(describe(r)));
                    long finished = ran.stream().filter(TaskResult::finished).count();
                    out.println("impurge: ran " + ran.size() + (ran.size() == 1 ? " entry" : " entries") + ", " + finished + " finished"
                            + (ran.size() < recnos.size() ? "; " + (recnos.size() - ran.size()) + " had left the queue or been taken meanwhile" : ""));
                    return ran.size() == finished ? 0 : 1;
                } else if (actions != null) {
                    java.util.Set<Action> now = d.paused();
                    for (Action a : actions) {
                        now = d.setPaused(a, parked.pause != null);
                    }
                    out.println("impurge: " + (parked.pause != null ? "paused " : "resumed ") + Setting.Actions.format(actions)
                            + "; paused now: " + (now.isEmpty() ? "none" : Setting.Actions.format(now)));
                } else {
                    out.println(parked.retry != null ? retry(e, recnos) : discard(e, recnos));
                }
                return 0;
            }
            if (queueOnly) {
                out.println("impurge: queued " + d.sweep() + " tasks");
                return 0;
            }
            if (!quiet) {
                printResults(e, out);
            }
            DaemonMode mode = exitWhenEmpty && end == null ? DaemonMode.drainAndExit()
                    : end == null ? DaemonMode.daemon() : DaemonMode.until(end, exitWhenEmpty);
            // On SIGTERM: ask the loop (which runs on this thread) to stop after its current task, then wait until this
            // thread has closed the store. The hook must not join this thread: after closing, it ends in System.exit,
            // which blocks while hooks run, so a join would hold the JVM for the whole timeout.
            Thread hook = new Thread(() -> {
                d.requestStop();
                try {
                    closed.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "impurge-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                d.runForeground(mode);
            } catch (RuntimeException ex) {
                if (!shuttingDown()) {
                    throw ex;
                }
                // SIGTERM: H2's own shutdown hook may close the database under the last task; that entry stays queued
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // shutting down
                }
            }
            if (mode.exitOnEmpty() && mode.until() == null) {
                out.println("impurge: queue drained: " + d.status().tasksDone() + " tasks, " + d.status().bytesReclaimed()
                        + " bytes reclaimed; " + e.queue().count() + " entries left (not yet due)");
            } else {
                out.println("impurge: stopped: " + d.status().tasksDone() + " tasks, " + d.status().bytesReclaimed() + " bytes reclaimed");
            }
        } finally {
            out.flush();
            closed.countDown();
        }
        return 0;
    }

    /**
     * Prints a line per task. Lines are flushed every {@link #FLUSH_NANOS} while tasks run, and at once when impurge
     * goes idle: a drain of thousands of tasks a second is not held back by a flush per line, and a daemon's last lines
     * are never left in the buffer.
     */
    private static void printResults(MessageStore e, PrintWriter out) {
        long[] lastFlush = {System.nanoTime()};
        String newline = System.lineSeparator();
        e.daemon().onResult(r -> {
            out.write(describe(r));
            out.write(newline);
            long now = System.nanoTime();
            if (now - lastFlush[0] > FLUSH_NANOS) {
                out.flush();
                lastFlush[0] = now;
            }
        });
        e.subscribe(ev -> {
            if (ev instanceof StoreEvent.DaemonChanged c && c.status().state() != DaemonState.WORKING) {
                out.flush();
            }
        });
    }

    /** Actions named in a list ({@code all} where {@code allowAll}): one bad name refuses the whole option. */
    static java.util.Set<Action> actions(String option, String value, boolean allowAll) {
        if (allowAll && value.strip().equalsIgnoreCase("all")) {
            return java.util.EnumSet.allOf(Action.class);
        }
        java.util.Set<Action> out = java.util.EnumSet.noneOf(Action.class);
        for (String part : value.split(",")) {
            try {
                out.add(Action.fromLabel(part));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(option + ": '" + part.strip() + "' is not an action; use Repair, Clean, Purge or Remove"
                        + (allowAll ? ", or all" : ""));
            }
        }
        return out;
    }

    /** The per-action table of {@code --status}. */
    static String status(MessageStore e) {
        java.time.Instant now = e.clock().instant();
        List<ActionFigures> figures = e.queue().figures();
        StringBuilder b = new StringBuilder();
        String row = "%-8s %-8s %9s %15s %14s %12s%n";
        b.append(String.format(java.util.Locale.ROOT, row, "Action", "State", "In queue", "Oldest waiting", "Finished/min", "Median wait"));
        for (ActionFigures f : figures) {
            b.append(String.format(java.util.Locale.ROOT, row, f.action().label(), f.paused() ? "paused" : "running", f.inQueue(),
                    f.oldestAge(now).map(ImpurgeCommand::age).orElse(f.oldestDue().isPresent() ? "none due yet" : "-"), String.format(java.util.Locale.ROOT, "%.1f", f.perMinute()),
                    f.medianWait().map(ImpurgeCommand::age).orElse("-")));
        }
        java.time.Duration over = figures.isEmpty() ? Queue.FIGURES_WINDOW : figures.get(0).over();
        b.append("(finished and waits over the last ").append(age(over)).append(")").append(System.lineSeparator());
        e.maintenance().disk().ifPresent(d -> b.append(disk(d)).append(System.lineSeparator()));
        return b.toString();
    }

    /** The store's disk and impurge's reserve on it, in one line. */
    static String disk(org.mstore.api.DiskSpace d) {
        String free = String.format(java.util.Locale.ROOT, "Disk: %,d bytes free of %,d", d.freeBytes(), d.totalBytes());
        String reserve = String.format(java.util.Locale.ROOT, "impurge's reserve of %,d bytes (%s)", d.reserveBytes(), d.location());
        if (d.full()) {
            return free + "; the disk is full: " + reserve + " is given up when impurge runs, so that its tasks can free space";
        }
        return free + "; " + reserve + (d.reserveHeld() ? " is held" : " is not in place: impurge makes it when it next finds nothing due");
    }

    /** A duration as an administrator reads it: {@code 45s}, {@code 3m 05s}, {@code 2h 01m}, {@code 3d 04h}. */
    static String age(java.time.Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(java.util.Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(java.util.Locale.ROOT, "%dh %02dm", s / 3600, s % 3600 / 60);
        }
        return String.format(java.util.Locale.ROOT, "%dd %02dh", s / 86_400, s % 86_400 / 3600);
    }

    /** {@code all} (null), or RecNos. */
    static List<Long> recnos(String option, String value) {
        if (value.strip().equalsIgnoreCase("all")) {
            return null;
        }
        List<Long> out = new ArrayList<>();
        for (String part : value.split(",")) {
            try {
                long r = Long.parseLong(part.strip());
                if (r < 1) {
                    throw new NumberFormatException();
                }
                out.add(r);
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(option + ": '" + part.strip() + "' is not a RecNo; use RECNO[,RECNO...] or all");
            }
        }
        return out;
    }

    /** Refuses, changing nothing, when one of the RecNos is not a parked entry. */
    private static void requireParked(MessageStore e, List<Long> recnos) {
        List<Long> not = new ArrayList<>();
        for (long r : recnos) {
            Optional<QueueEntry> q = e.queue().get(r);
            if (q.isEmpty() || !q.get().parked()) {
                not.add(r);
            }
        }
        if (!not.isEmpty()) {
            throw new IllegalArgumentException("not a parked entry: RecNo " + join(not) + " (see imcheck -q --failed); nothing changed");
        }
    }

    /**
     * Refuses, running nothing, when one of the RecNos is not a waiting entry: gone (finished or removed), running in an
     * impurge, or parked (which {@code --retry} puts back).
     */
    private static void requireWaiting(MessageStore e, List<Long> recnos) {
        List<String> not = new ArrayList<>();
        for (long r : recnos) {
            Optional<QueueEntry> q = e.queue().get(r);
            if (q.isEmpty()) {
                not.add(r + " is not in the queue (see imcheck -q)");
            } else if (q.get().parked()) {
                not.add(r + " is parked (impurge --retry " + r + " puts it back)");
            } else if (q.get().inProgress()) {
                not.add(r + " is running in " + q.get().pickedBy());
            }
        }
        if (!not.isEmpty()) {
            throw new IllegalArgumentException("--run: RecNo " + String.join("; RecNo ", not) + "; nothing run");
        }
    }

    private static String retry(MessageStore e, List<Long> recnos) {
        if (recnos == null) {
            return "impurge: retried " + e.queue().retryAll() + " parked entries";
        }
        requireParked(e, recnos);
        List<QueueEntry> waiting = e.queue().retry(recnos);
        return "impurge: retried " + recnos.size() + " parked entries: RecNo " + join(recnos)
                + (waiting.size() == recnos.size() ? "" : " (" + (recnos.size() - waiting.size()) + " had changed meanwhile)");
    }

    private static String discard(MessageStore e, List<Long> recnos) {
        if (recnos == null) {
            return "impurge: discarded " + e.queue().discardAll() + " parked entries";
        }
        requireParked(e, recnos);
        List<QueueEntry> gone = e.queue().discard(recnos);
        return "impurge: discarded " + gone.size() + " parked entries: RecNo " + join(gone.stream().map(QueueEntry::recno).toList());
    }

    private static String join(List<Long> recnos) {
        return recnos.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    /** True once the JVM has begun to shut down (a hook can no longer be added). */
    private static boolean shuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    static String describe(TaskResult r) {
        String what = r.entry().action().label() + " " + r.entry().mailbox() + " (RecNo " + r.entry().recno() + ")";
        if (!r.finished()) {
            return what + (r.entry().parked() ? ": parked after " + r.entry().attempts() + " failed attempts (impurge --retry "
                    + r.entry().recno() + " or --discard " + r.entry().recno() + "): " : ": will retry: ") + r.detail();
        }
        return what + ": " + r.outcome().name().toLowerCase(java.util.Locale.ROOT) + ": " + r.detail();
    }
}
