package org.mstore.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.mstore.api.Flags;
import org.mstore.api.MailboxDetails;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MessageStore;
import org.mstore.api.MessageView;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "imcheck", mixinStandardHelpOptions = true, header = "Show the maintenance queue, or a mailbox and its messages.", description = "Show the maintenance queue (-q) or a mailbox's metadata and messages (-m).")
final class ImcheckCommand implements Callable<Integer> {
    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");
    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Op op;

    static final class Op {
        @Option(names = "-q", description = "The maintenance queue (waiting and running entries), merged by RecNo.")
        boolean queue;
        @Option(names = "-m", paramLabel = "MAILBOX", description = "A mailbox's metadata (including Expunged) and its messages; "
                + "repeat -m for several mailboxes in one run.")
        List<String> mailboxes;
        @Option(names = "--mailboxes-from", paramLabel = "FILE", description = "Like -m for every mailbox named in FILE (one per line; "
                + "'-' reads standard input): one run for a script over many mailboxes.")
        Path mailboxesFrom;
    }

    @Option(names = "--failed", description = "With -q: the parked entries (failed too often, waiting for 'impurge --retry' or "
            + "'impurge --discard'), with their attempts and last error.")
    boolean failed;

    @Option(names = "--limit", defaultValue = "1000", description = "With -m: list at most this many messages (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() throws Exception {
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be 0 or more, not " + limit);
        }
        if (failed && !op.queue) {
            throw new IllegalArgumentException("--failed goes with -q: imcheck -q --failed");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (MessageStore e = store.open("imcheck")) {
            ZoneId zone = e.clock().getZone();
            if (op.queue) {
                printQueue(e, out, zone);
                return 0;
            }
            List<String> names = op.mailboxes != null ? op.mailboxes : readNames(op.mailboxesFrom);
            if (names.size() == 1) {
                printMailbox(e, names.get(0), out, zone);
                return 0;
            }
            // many mailboxes: one report each, a blank line between; one that cannot be shown is said on standard error
            // (one line, as a single -m would) and the others still come; the exit status says whether any failed
            int failedCount = 0;
            boolean first = true;
            for (String name : names) {
                java.io.StringWriter one = new java.io.StringWriter();
                try (PrintWriter w = new PrintWriter(one)) {
                    printMailbox(e, name, w, zone);
                } catch (Exception ex) {
                    failedCount++;
                    spec.commandLine().getErr().println("mstore imcheck: " + name + ": " + Main.oneLine(ex.getMessage()));
                    continue;
                }
                if (!first) {
                    out.println();
                }
                first = false;
                out.print(one);
            }
            out.flush();
            return failedCount == 0 ? 0 : 1;
        }
    }

    private static List<String> readNames(Path from) throws java.io.IOException {
        List<String> lines;
        if (from.toString().equals("-")) {
            lines = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8)).lines().toList();
        } else {
            if (java.nio.file.Files.isDirectory(from)) {
                throw new IllegalArgumentException("--mailboxes-from " + from + ": is a directory, not a file of mailbox names");
            }
            if (!java.nio.file.Files.exists(from)) {
                throw new IllegalArgumentException("--mailboxes-from: no such file: " + from);
            }
            try {
                lines = java.nio.file.Files.readAllLines(from, java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--mailboxes-from " + from + ": cannot read it: " + e.getMessage(), e);
            }
        }
        List<String> names = lines.stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        if (names.isEmpty()) {
            throw new IllegalArgumentException("--mailboxes-from " + from + " names no mailbox");
        }
        return names;
    }

    /**
     * {@code imcheck -q}: the seed's layout, streamed from one query. Lines are built in a buffer and written in large
     * pieces, flushed once at the end and whenever the buffer fills: a million entries print in a few seconds, and the
     * first lines come at once.
     */
    private void printQueue(MessageStore e, PrintWriter out, ZoneId zone) {
        QueueLines lines = new QueueLines(out, zone, failed);
        lines.header();
        lines.flush(); // the header at once: the reader knows the store opened
        e.queue().forEach(failed ? QueueQuery.failed() : QueueQuery.all(), lines::add);
        lines.flush();
    }

    /** The queue's lines, formatted by hand (no {@code String.format} per line) into a buffer written in pieces. */
    static final class QueueLines {
        static final String HEADER = "RecNo      Mailbox                             Timestamp      Action";
        static final String RULE = "---------- ----------------------------------- -------------- ------";
        private static final int FLUSH_AT = 1 << 16;
        private final PrintWriter out;
        private final ZoneId zone;
        private final boolean failed;
        private final StringBuilder buf = new StringBuilder(FLUSH_AT + 1024);
        private long stampSecond = Long.MIN_VALUE;
        private String stamp;
        private boolean firstFlushed;

        QueueLines(PrintWriter out, ZoneId zone, boolean failed) {
            this.out = out;
            this.zone = zone;
            this.failed = failed;
        }

        void header() {
            buf.append(HEADER).append(failed ? " Attempts Last error" : "").append('\n');
            buf.append(RULE).append(failed ? " -------- ----------" : "").append('\n');
        }

        /** One line: {@code %-10d %-35s %-14s %s} (and {@code %-6s %-8d %s} after the action with --failed), by hand. */
        void add(QueueEntry q) {
            field(Long.toString(q.recno()), 10);
            buf.append(' ');
            field(q.mailbox(), 35);
            buf.append(' ');
            field(stamp(q.timestamp()), 14);
            buf.append(' ');
            if (failed) {
                field(q.action().label(), 6);
                buf.append(' ');
                field(Integer.toString(q.attempts()), 8);
                buf.append(' ').append(q.lastError() == null ? "-" : q.lastError().replace('\n', ' ').replace('\r', ' '));
            } else {
                buf.append(q.action().label());
            }
            buf.append('\n');
            if (buf.length() >= FLUSH_AT || !firstFlushed) {
                write();
                if (!firstFlushed) {
                    out.flush(); // the first entry at once, the rest in large pieces
                    firstFlushed = true;
                }
            }
        }

        /** A left-aligned field at least {@code width} wide (longer values are kept whole, as {@code %-Ns} does). */
        private void field(String value, int width) {
            buf.append(value);
            for (int i = value.length(); i < width; i++) {
                buf.append(' ');
            }
        }

        /** {@code yyyyMMddHHmmss} in the store's zone, computed once per second of timestamps. */
        private String stamp(Instant t) {
            long second = t.getEpochSecond();
            if (second != stampSecond) {
                stampSecond = second;
                stamp = STAMP.format(t.atZone(zone));
            }
            return stamp;
        }

        private void write() {
            out.write(buf.toString());
            buf.setLength(0);
        }

        void flush() {
            write();
            out.flush();
        }
    }

    private void printMailbox(MessageStore e, String name, PrintWriter out, ZoneId zone) throws Exception {
        // Read everything first: a mailbox that fails its sanity checks prints one error, not half a report.
        List<MessageView> msgs = e.mailboxes().messages(name, 0, limit);
        MailboxDetails d = e.mailboxes().details(name); // messages() has opened and checked it
        MailboxInfo m = d.info();
        List<String> stamps = d.awaitingRemove();
        out.printf("Mailbox:                %s%n", m.name());
        out.printf("Partition:              %s%n", m.partition());
        out.printf("UID validity:           %d%n", m.uidValidity());
        out.printf("Next UID:               %d%n", m.nextUid());
        out.printf("Messages:               %d%n", m.messageCount());
        out.printf("Size:                   %d bytes%n", m.sizeBytes());
        out.printf("Expunged:               %d%n", m.expunged());
        out.printf("Cache records:          %d%n", m.cacheRecords());
        out.printf(java.util.Locale.ROOT, "Expunged cache records: %d (%.1f%%)%n", m.cacheExpunged(), m.cacheExpungedPercent());
        out.printf("Created:                %s%n", when(m.created(), zone));
        out.printf("Last expunge:           %s%n", when(m.lastExpunge(), zone));
        out.printf("Last cleanup:           %s%n", when(m.lastCleanup(), zone));
        out.printf("Last purge:             %s%n", when(m.lastPurge(), zone));
        out.printf("Last repair:            %s%n", when(m.lastRepair(), zone));
        out.printf("Awaiting Remove:        %s%n", stamps.isEmpty() ? "-" : "store.exp." + String.join(", store.exp.", stamps));
        List<MailboxDetails.Quarantined> quarantined = d.quarantined();
        out.printf("Quarantined:            %s%n", quarantined.isEmpty() ? "-" : quarantined.size() + (quarantined.size() == 1 ? " message" : " messages")
                + " kept aside by a Repair: never served, never deleted by the store (listed below; the files are in the mailbox's quarantine/)");
        out.println();
        // "Received": when the message arrived (its internal date), not its Date header, which unexpunge --list shows as DATE
        out.printf("%-8s %-24s %9s  %-19s  %-28s %s%n", "UID", "Flags", "Size", "Received", "From", "Subject");
        for (MessageView v : msgs) {
            out.printf("%-8d %-24s %9d  %-19s  %-28s %s%n", v.record().uid(), Flags.format(v.record().flags()), v.record().size(),
                    WHEN.format(Instant.ofEpochMilli(v.record().internalDate()).atZone(zone)), cut(v.summary().from(), 28),
                    cut(v.summary().subject(), 60));
        }
        if (m.messageCount() > msgs.size()) {
            out.println("... " + (m.messageCount() - msgs.size()) + " more (use --limit)");
        }
        if (!quarantined.isEmpty()) {
            out.println();
            out.printf("%-15s %9s  %-19s  %s%n", "Quarantined UID", "Size", "Since", "Why");
            for (MailboxDetails.Quarantined q : quarantined) {
                out.printf("%-15d %9d  %-19s  %s%n", q.uid(), q.size(), when(q.when(), zone), q.reason());
            }
        }
    }

    static String when(Instant t, ZoneId zone) {
        return t == null ? "never" : WHEN.format(t.atZone(zone));
    }

    static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

}
