package org.mstore.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.mstore.api.Daemon;
import org.mstore.api.DaemonMode;
import org.mstore.api.MessageStore;
import org.mstore.api.PurgeWindow;
import org.mstore.api.TaskResult;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "impurge", mixinStandardHelpOptions = true, header = "Drain the maintenance queue (the purge daemon).", description = {"Drain the maintenance queue: a daemon by default (follows store.purge.window);",
        "--exit-when-empty exits when no entry is due; --until HH:MM exits at the end of an off-peak window."})
final class ImpurgeCommand implements Callable<Integer> {
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

    @Override
    public Integer call() throws Exception {
        LocalTime end = until == null ? null : PurgeWindow.parseTime(until);
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch closed = new CountDownLatch(1);
        try (MessageStore e = store.open("impurge")) {
            Daemon d = e.daemon();
            if (queueOnly) {
                out.println("impurge: queued " + d.sweep() + " tasks");
                return 0;
            }
            if (!quiet) {
                d.onResult(r -> {
                    out.println(describe(r));
                    out.flush();
                });
            }
            if (exitWhenEmpty && end == null) {
                List<TaskResult> results = d.drain();
                out.println("impurge: queue drained: " + results.stream().filter(TaskResult::finished).count() + " tasks, "
                        + d.status().bytesReclaimed() + " bytes reclaimed; " + e.queue().count() + " entries left (not yet due)");
                return 0;
            }
            DaemonMode mode = end == null ? DaemonMode.daemon() : DaemonMode.until(end, exitWhenEmpty);
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
            out.println("impurge: stopped: " + d.status().tasksDone() + " tasks, " + d.status().bytesReclaimed() + " bytes reclaimed");
        } finally {
            closed.countDown();
        }
        return 0;
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
            return what + ": will retry: " + r.detail();
        }
        return what + ": " + r.outcome().name().toLowerCase(java.util.Locale.ROOT) + ": " + r.detail();
    }
}
