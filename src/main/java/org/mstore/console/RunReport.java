package org.mstore.console;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import org.mstore.api.Outcome;
import org.mstore.api.SessionLockedException;
import org.mstore.api.TaskResult;

/** What running entries now came to, in one line: the outcome, the bytes reclaimed, the time taken. */
public final class RunReport {
    private RunReport() {
    }

    public static String of(List<TaskResult> results, Duration took) {
        if (results.isEmpty()) {
            return "Nothing ran: the entries had already left the queue (run or removed)";
        }
        long bytes = results.stream().mapToLong(TaskResult::bytesReclaimed).sum();
        String time = " in " + Format.duration(took);
        String reclaimed = bytes > 0 ? "; " + Format.bytes(bytes) + " reclaimed" : "; nothing reclaimed";
        if (results.size() == 1) {
            TaskResult r = results.get(0);
            String what = r.entry().action().label() + " " + r.entry().mailbox() + ": ";
            if (r.finished()) {
                return what + r.outcome().name().toLowerCase(Locale.ROOT) + time + reclaimed
                        + (r.detail() == null || r.detail().isEmpty() ? "" : " (" + r.detail() + ")");
            }
            return what + (r.entry().parked() ? "failed and parked (see History › Failed)" : "failed; it will be retried") + time
                    + ": " + r.detail();
        }
        StringBuilder b = new StringBuilder("Ran " + results.size() + " entries" + time + ":");
        for (Outcome o : Outcome.values()) {
            long n = results.stream().filter(r -> r.outcome() == o).count();
            if (n > 0) {
                b.append(' ').append(n).append(' ').append(o.name().toLowerCase(Locale.ROOT)).append(',');
            }
        }
        long failed = results.stream().filter(r -> !r.finished()).count();
        if (failed > 0) {
            b.append(' ').append(failed).append(" failed (").append(results.stream().filter(r -> !r.finished()).findFirst()
                    .map(TaskResult::detail).orElse("")).append("),");
        }
        b.setLength(b.length() - 1);
        return b + reclaimed;
    }

    /** The session-lock error, once, naming who holds the lock. */
    public static String locked(String holder, String then) {
        return "Not run now: " + Holders.describe(holder) + " holds the purge session lock (\"" + SessionLockedException.MESSAGE + "\"). "
                + then;
    }

    /** The holder named in a {@link SessionLockedException}'s message, or null. */
    public static String holderOf(Throwable e) {
        String m = e.getMessage();
        int i = m == null ? -1 : m.indexOf("(held by ");
        return i < 0 ? null : m.substring(i + 9, m.length() - 1);
    }
}
