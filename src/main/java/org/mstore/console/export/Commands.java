package org.mstore.console.export;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.mstore.api.QueueEntry;

/**
 * "Copy as command": the {@code mstore} command line that does what a console action does, for a script or a terminal
 * (the syntax of {@code org.mstore.cli}). Where no command does exactly the same, {@link Line#note} says what differs.
 */
public final class Commands {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private Commands() {
    }

    /** Command lines, one per line, and what a reader should know about them (empty when they do exactly the same). */
    public record Line(String text, String note) {
    }

    /** A word as a POSIX shell reads it back: as is when plain, else in single quotes. */
    public static String quote(String s) {
        if (!s.isEmpty() && PLAIN.matcher(s).matches()) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String store(Path root) {
        return " --store " + quote(root.toAbsolutePath().toString());
    }

    /** {@code reconstruct MAILBOX}: the repair now, outside the queue (Repair now). */
    public static String reconstruct(String mailbox, Path root) {
        return "mstore reconstruct " + quote(mailbox) + store(root);
    }

    /** {@code reconstruct -n MAILBOX}: the full check, changing nothing. */
    public static String check(String mailbox, Path root) {
        return "mstore reconstruct -n " + quote(mailbox) + store(root);
    }

    /** {@code imcheck -m MAILBOX}: the mailbox's metadata and messages. */
    public static String show(String mailbox, Path root) {
        return "mstore imcheck -m " + quote(mailbox) + store(root);
    }

    /** {@code impurge --exit-when-empty}: drains what is due, then exits. */
    public static String drain(Path root) {
        return "mstore impurge --exit-when-empty" + store(root);
    }

    /**
     * Run now for queue entries: {@code impurge --run RECNO[,RECNO...]}, which runs exactly those entries at once, forced,
     * as the console does; a parked entry is put back with {@code impurge --retry} instead, and one already running is
     * left out (the note says so).
     */
    public static Line runNow(Collection<QueueEntry> entries, Path root) {
        List<QueueEntry> given = entries.stream().filter(e -> e != null && e.recno() > 0).toList();
        List<QueueEntry> waiting = given.stream().filter(e -> !e.parked() && !e.inProgress()).toList();
        List<QueueEntry> parked = given.stream().filter(QueueEntry::parked).toList();
        List<QueueEntry> running = given.stream().filter(QueueEntry::inProgress).toList();
        List<String> lines = new java.util.ArrayList<>();
        if (!waiting.isEmpty()) {
            lines.add("mstore impurge --run " + recnos(waiting) + store(root));
        }
        if (!parked.isEmpty()) {
            lines.add(retry(parked, root).text());
        }
        String note = running.isEmpty() ? "" : "RecNo " + recnos(running) + (running.size() == 1 ? " is" : " are") + " running already: left out";
        return new Line(String.join("\n", lines), note);
    }

    private static String recnos(Collection<QueueEntry> entries) {
        return entries.stream().map(e -> Long.toString(e.recno())).distinct().collect(Collectors.joining(","));
    }

    /** Retry for parked entries: {@code impurge --retry RECNO[,RECNO...]}. */
    public static Line retry(Collection<QueueEntry> parked, Path root) {
        return new Line("mstore impurge --retry " + recnos(parked) + store(root), "");
    }

    /** Discard for parked entries: {@code impurge --discard RECNO[,RECNO...]}. */
    public static Line discard(Collection<QueueEntry> parked, Path root) {
        return new Line("mstore impurge --discard " + recnos(parked) + store(root), "");
    }
}
