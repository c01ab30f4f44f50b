package org.mstore.tools;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.mstore.api.Flags;
import org.mstore.api.MessageStore;
import org.mstore.api.NewMessage;
import org.mstore.api.UidSet;

/**
 * An IMAP benchmark that any IMAP4rev1 server can be measured with (mstore's imapd and Dovecot side by side): the
 * big-mailbox figures of one session (SELECT, UID FETCH 1:* (FLAGS), the headers of 1,000 messages, UID STORE of
 * \Deleted on 10%, EXPUNGE) and a mix of many concurrent sessions (list views, reading, flagging, new mail, searching,
 * deleting) for a while: operations per second and latency percentiles. A plain client over a socket, so both servers
 * pay the same client cost. Also prepares its users in an mstore store and exports mailboxes as Maildirs for Dovecot.
 */
public final class ImapBench {
    private ImapBench() {
    }

    // ---------------------------------------------------------------- a bare client

    /** A minimal IMAP client: one command at a time, literals read into the response. */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private int tags;

        Client(String host, int port) throws IOException {
            socket = new Socket(host, port);
            socket.setSoTimeout(300_000);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = socket.getOutputStream();
            line();
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(128);
            while (true) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection closed by the server");
                }
                if (c == '\n') {
                    return b.toString(StandardCharsets.ISO_8859_1);
                }
                b.write(c);
            }
        }

        /** Sends a command; returns the number of response lines; fails on NO or BAD. */
        int command(String cmd) throws IOException {
            return command(cmd, null);
        }

        int command(String cmd, byte[] literal) throws IOException {
            String tag = "b" + (++tags);
            if (literal == null) {
                out.write((tag + " " + cmd + "\r\n").getBytes(StandardCharsets.UTF_8));
            } else {
                out.write((tag + " " + cmd + " {" + literal.length + "}\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                String cont = line();
                if (!cont.startsWith("+")) {
                    throw new IOException(cmd + ": " + cont.strip());
                }
                out.write(literal);
                out.write('\r');
                out.write('\n');
            }
            out.flush();
            int lines = 0;
            while (true) {
                String l = line();
                lines++;
                int open = l.lastIndexOf('{');
                if (l.endsWith("}\r") && open >= 0) {
                    long n = Long.parseLong(l.substring(open + 1, l.length() - 2));
                    in.skipNBytes(n);
                    continue;
                }
                if (l.startsWith(tag + " ")) {
                    if (!l.startsWith(tag + " OK")) {
                        throw new IOException(cmd.length() > 60 ? cmd.substring(0, 60) + "...: " + l.strip() : cmd + ": " + l.strip());
                    }
                    return lines;
                }
            }
        }

        @Override
        public void close() throws IOException {
            try {
                command("LOGOUT");
            } catch (IOException ignored) {
                // closing anyway
            }
            socket.close();
        }
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    // ---------------------------------------------------------------- the big mailbox

    /** One session on a big mailbox: the figures of issue 8, in ms. */
    public static Map<String, Long> single(String host, int port, String user, String password, int messages) throws IOException {
        Map<String, Long> t = new java.util.LinkedHashMap<>();
        try (Client c = new Client(host, port)) {
            c.command("LOGIN " + quote(user) + " " + quote(password));
            long t0 = System.nanoTime();
            c.command("SELECT INBOX");
            t.put("SELECT", ms(t0));
            t0 = System.nanoTime();
            c.command("UID FETCH 1:* (FLAGS)");
            t.put("UID FETCH 1:* (FLAGS)", ms(t0));
            t0 = System.nanoTime();
            c.command("FETCH " + Math.max(1, messages - 999) + ":" + messages + " (BODY.PEEK[HEADER])");
            t.put("FETCH headers of 1,000", ms(t0));
            t0 = System.nanoTime();
            c.command("UID STORE 1:" + messages / 10 + " +FLAGS.SILENT (\\Deleted)");
            t.put("UID STORE \\Deleted on 10%", ms(t0));
            t0 = System.nanoTime();
            c.command("EXPUNGE");
            t.put("EXPUNGE", ms(t0));
        }
        return t;
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    // ---------------------------------------------------------------- the mix

    /** What the mix measured. */
    public record MixResult(long ops, double seconds, Map<String, long[]> latencies) {
        public double opsPerSecond() {
            return ops / seconds;
        }

        /** Percentile {@code p} (0-100) of every operation's latency, in microseconds. */
        public long percentile(double p) {
            long[] all = latencies.values().stream().flatMapToLong(Arrays::stream).sorted().toArray();
            return pct(all, p);
        }
    }

    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static final String[] OPS = {"list", "read", "flag", "noop", "append", "search", "delete"};
    private static final int[] WEIGHTS = {30, 25, 15, 10, 10, 5, 5};

    /**
     * {@code sessions} clients, client i logged in as {@code String.format(userPattern, i + 1)}, each doing a realistic
     * mix on its INBOX for {@code seconds}: list views (UID FETCH of 20 messages' FLAGS, size and ENVELOPE), reading a
     * message (BODY[], which sets \Seen), flagging, NOOP polls, appending a new message, UID SEARCH UNSEEN, and deleting
     * one message (STORE \Deleted, UID EXPUNGE).
     */
    public static MixResult mix(String host, int port, String userPattern, String password, int sessions, int seconds)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<Map<String, List<Long>>> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(sessions);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < sessions; i++) {
            Map<String, List<Long>> lat = new TreeMap<>();
            for (String op : OPS) {
                lat.put(op, new ArrayList<>());
            }
            perThread.add(lat);
            String user = String.format(userPattern, i + 1);
            Thread t = new Thread(() -> {
                try (Client c = new Client(host, port)) {
                    c.command("LOGIN " + quote(user) + " " + quote(password));
                    c.command("SELECT INBOX");
                    ready.countDown();
                    go.await();
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    int maxUid = 1;
                    byte[] message = ("From: mix@example.com\r\nTo: " + user + "@example.com\r\nSubject: mix\r\n\r\n"
                            + "x".repeat(3000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    maxUid = Math.max(maxUid, 2000);
                    while (!stop.get()) {
                        int w = r.nextInt(100);
                        int k = 0;
                        while (w >= WEIGHTS[k]) {
                            w -= WEIGHTS[k];
                            k++;
                        }
                        int uid = 1 + r.nextInt(maxUid);
                        long t0 = System.nanoTime();
                        switch (OPS[k]) {
                            case "list" -> c.command("UID FETCH " + uid + ":" + (uid + 19) + " (UID FLAGS RFC822.SIZE ENVELOPE)");
                            case "read" -> c.command("UID FETCH " + uid + " (BODY[])");
                            case "flag" -> c.command("UID STORE " + uid + (r.nextBoolean() ? " +" : " -") + "FLAGS.SILENT (\\Flagged)");
                            case "noop" -> c.command("NOOP");
                            case "append" -> c.command("APPEND INBOX", message);
                            case "search" -> c.command("UID SEARCH UNSEEN");
                            default -> {
                                c.command("UID STORE " + uid + " +FLAGS.SILENT (\\Deleted)");
                                c.command("UID EXPUNGE " + uid);
                            }
                        }
                        lat.get(OPS[k]).add((System.nanoTime() - t0) / 1000);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                    ready.countDown();
                }
            }, "imapbench-" + i);
            threads.add(t);
            t.start();
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread t : threads) {
            t.join(120_000);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a session failed: " + failures.get(0).getMessage(), failures.get(0));
        }
        Map<String, long[]> merged = new TreeMap<>();
        long ops = 0;
        for (String op : OPS) {
            List<Long> all = new ArrayList<>();
            for (Map<String, List<Long>> m : perThread) {
                all.addAll(m.get(op));
            }
            long[] a = all.stream().mapToLong(Long::longValue).sorted().toArray();
            merged.put(op, a);
            ops += a.length;
        }
        return new MixResult(ops, secs, merged);
    }

    public static void print(PrintWriter out, MixResult r) {
        out.printf("mix: %d operations in %.1f s: %.0f ops/s; latency p50 %.1f ms, p99 %.1f ms%n", r.ops(), r.seconds(), r.opsPerSecond(),
                r.percentile(50) / 1000.0, r.percentile(99) / 1000.0);
        for (Map.Entry<String, long[]> e : r.latencies().entrySet()) {
            out.printf("  %-7s %7d ops  p50 %7.1f ms  p99 %7.1f ms%n", e.getKey(), e.getValue().length, pct(e.getValue(), 50) / 1000.0,
                    pct(e.getValue(), 99) / 1000.0);
        }
    }

    // ---------------------------------------------------------------- preparing

    /** Adds users (pattern, 1..n) with a password and {@code messages} generated messages each, unless they exist. */
    public static void prepareUsers(MessageStore s, String userPattern, String password, int users, int messages) throws IOException {
        for (int i = 1; i <= users; i++) {
            String u = String.format(userPattern, i);
            if (s.users().find(u).isEmpty()) {
                s.users().add(u, password.toCharArray());
            }
            long have = s.mailboxes().get("user/" + u).messageCount();
            MessageGenerator g = new MessageGenerator(i);
            List<NewMessage> batch = new ArrayList<>();
            for (long k = have; k < messages; k++) {
                MessageGenerator.Generated m = g.next(u);
                batch.add(new NewMessage(m.bytes(), m.internalDate(), m.flags()));
                if (batch.size() == 500) {
                    s.mailboxes().append("user/" + u, batch, false);
                    batch.clear();
                }
            }
            if (!batch.isEmpty()) {
                s.mailboxes().append("user/" + u, batch, false);
            }
        }
    }

    /** Writes a mailbox's messages as a Maildir ({@code cur/} with their flags), for another server to read. */
    public static int exportMaildir(MessageStore s, String mailbox, Path maildir) throws IOException {
        for (String sub : new String[] {"cur", "new", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        int[] n = {0};
        s.mailboxes().fetch(mailbox, UidSet.parse("1:*"), (r, b) -> {
            StringBuilder f = new StringBuilder(":2,");
            if (Flags.has(r.flags(), Flags.DRAFT)) {
                f.append('D');
            }
            if (Flags.has(r.flags(), Flags.FLAGGED)) {
                f.append('F');
            }
            if (Flags.has(r.flags(), Flags.ANSWERED)) {
                f.append('R');
            }
            if (Flags.has(r.flags(), Flags.SEEN)) {
                f.append('S');
            }
            if (Flags.has(r.flags(), Flags.DELETED)) {
                f.append('T');
            }
            Path p = maildir.resolve("cur").resolve((r.internalDate() / 1000) + "." + r.uid() + ".mstore,S=" + b.length + f);
            Files.write(p, b);
            Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(r.internalDate()));
            n[0]++;
        });
        return n[0];
    }
}
