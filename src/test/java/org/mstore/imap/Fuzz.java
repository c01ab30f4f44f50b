package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * What the protocol fuzz tests share: the seed and size of a run, grammar-aware mutations of valid commands, a reader of
 * the server's raw bytes, and the findings, kept per rule so that each rule is a test of its own. Commands are strings of
 * ISO-8859-1 characters, one per byte, so that any byte (NUL, a bare CR, 8-bit, invalid UTF-8) can be written.
 *
 * <p>{@code -Dmstore.fuzz.seed=N} replays a run, {@code -Dmstore.fuzz.cases=N} sets its size (the default runs in well
 * under a minute), {@code -Dmstore.fuzz.case=I} runs only case {@code I} of the seed's run (each case has a random of its
 * own, made from the seed and its number; what earlier cases left in the mailboxes is not there) and writes its bytes
 * under {@code target/}.
 */
final class Fuzz {
    /** The run's seed: fixed, so that a CI run is the same every time; another one with {@code -Dmstore.fuzz.seed}. */
    static final long SEED = Long.getLong("mstore.fuzz.seed", 20261204L);
    /** Only this case of the run, when given. */
    static final Integer ONLY = Integer.getInteger("mstore.fuzz.case");

    static final String[] NUMBERS = {"0", "-1", "2147483648", "4294967296", "4294967295", "9223372036854775808",
        "18446744073709551616", "123456789012345678901234567890", "", "00000000000000000000001", "+1", "1e9"};
    static final String[] SETS = {"*:*", "4294967295:1", "", ",", "1:", ":1", "0", "0:0", "1,,2", "*", "1:*,*:1,2:3",
        "4294967296", "1:4294967296", "-1:2", "1:2:3", "$", String.join(",", java.util.Collections.nCopies(3000, "1:*"))};
    static final String[] NAMES = {"&AOk", "Caf&AOk", "&", "&-", "&Jjo!", "&ZeVnLIqe", "&AC8-", "a&AC8-b", "&AOkA6Q-",
        "Caf\u00c3\u00a9", "Caf\u00e9", "\u00c3\u0028", "\u00ff\u00fe", "\u00c0\u0080", "\u00ed\u00a0\u0080", "a/../b", "/",
        "//", "a//b", "..", "user", "INBOX/", "%", "*", "\"\"", "NIL", "a\u0000b", "~root", "&-&-&-"};
    static final String[] NASTY = {"\u0000", "\r", "\n", "\r\r\n", "\u0080", "\u00ff", "\u00c3\u0028", "\u00c0\u0080",
        "\u00ed\u00a0\u0080", "\u00f4\u0090\u0080\u0080", "\"", "\"\\", "\\", "(", ")", "((((", "))))", "[", "]", "<", ">",
        "{", "}", "{5}", "{0}", "{3+}", "{4294967296}", "{9223372036854775808}", "{123456789012345678901234567890}",
        "{-1}", "{18446744073709551615+}", "NIL", "nil", "*", "%", "+", "\\Recent", "\\Nonsense", "\\", "(\\Seen",
        "BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16]", "BODY[0]", "BODY[0.1]", "BODY[]<4294967295.4294967295>",
        "BODY[]<0.0>", "BODY[]<-1.5>", "BODY[]<1>", "BODY[HEADER.FIELDS ()]", "BODY[HEADER.FIELDS (((", "BODY[1.MIME.TEXT]",
        "BODY[TEXT]<99999999999999999999.1>", "BINARY[]", "\"31-Feb-2021 00:00:00 +0000\"", "\"01-Jan-2020 25:61:61 +9999\"",
        "\"01-Jan-99999 00:00:00 +0000\"", "1-Jan-1", "32-Jan-2020", "CHARSET", "CHARSET x-unknown", "OR", "NOT", "NOT NOT",
        "OR OR OR", "HEADER", "UID", "FLAGS.SILENT", "+FLAGS", "-FLAGS.SILENT", "\t", " ", "  ", "\u000b", "\u007f"};

    private static final Pattern TOKEN = Pattern.compile(
            "\\{L:[a-z]+\\}|\\{\\d+\\+?\\}|\"(?:[^\"\\\\]|\\\\.)*\"|[()\\[\\]<>]|[^ ()\\[\\]<>\"]+| ");

    private Fuzz() {
    }

    /** The run's size; with {@link #ONLY}, enough to reach that case (the others are skipped). */
    static int cases(int byDefault) {
        int n = Integer.getInteger("mstore.fuzz.cases", byDefault);
        return ONLY == null ? n : Math.max(n, ONLY + 1);
    }

    /** The random of case {@code i}: a case can be replayed alone. */
    static Random random(long seed, int i) {
        return new Random(seed * 1_000_003L + i);
    }

    static <T> T pick(Random r, T[] a) {
        return a[r.nextInt(a.length)];
    }

    static <T> T pick(Random r, List<T> a) {
        return a.get(r.nextInt(a.size()));
    }

    static List<String> tokens(String line) {
        List<String> t = new ArrayList<>();
        Matcher m = TOKEN.matcher(line);
        while (m.find()) {
            t.add(m.group());
        }
        return t;
    }

    /** One to three mutations of a command (literal markers {@code {L:x}} among its tokens), or none (a valid command). */
    static String mutate(Random r, String line) {
        if (r.nextInt(5) == 0) {
            return line;
        }
        List<String> t = tokens(line);
        int n = 1 + r.nextInt(3);
        for (int k = 0; k < n && !t.isEmpty(); k++) {
            int i = r.nextInt(t.size());
            String tok = t.get(i);
            switch (r.nextInt(12)) {
                case 0 -> t.set(i, tok.matches("\\d+") ? pick(r, NUMBERS) : tok.replaceAll("\\d+", pick(r, NUMBERS)));
                case 1 -> t.set(i, tok.matches("[\\d*:,]+") ? pick(r, SETS) : pick(r, SETS));
                case 2 -> t.set(i, pick(r, NASTY));
                case 3 -> t.add(i, pick(r, NASTY));
                case 4 -> t.remove(i);
                case 5 -> t.add(i, tok);
                case 6 -> {
                    if (i + 1 < t.size()) {
                        t.set(i, t.get(i + 1));
                        t.set(i + 1, tok);
                    }
                }
                case 7 -> t.set(i, deep(r));
                case 8 -> t.set(i, r.nextBoolean() ? "a".repeat(70_000) : "x".repeat(1 + r.nextInt(60_000)));
                case 9 -> t.set(i, pick(r, NAMES));
                case 10 -> t.add(i, bytes(r, 1 + r.nextInt(8)));
                default -> {
                    // cut the command short
                    while (t.size() > i + 1) {
                        t.remove(t.size() - 1);
                    }
                }
            }
        }
        return String.join("", t);
    }

    /** Parentheses nested deep, balanced or not. */
    static String deep(Random r) {
        int d = pick(r, new Integer[] {65, 1000, 10_000});
        return switch (r.nextInt(3)) {
            case 0 -> "(".repeat(d) + ")".repeat(d);
            case 1 -> "(".repeat(d);
            default -> "(".repeat(d) + "ALL" + ")".repeat(d - 1);
        };
    }

    /** {@code n} random bytes. */
    static String bytes(Random r, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append((char) r.nextInt(256));
        }
        return sb.toString();
    }

    /**
     * The command with its literal markers written out: a literal (synchronizing or not) announced with its true length,
     * mostly, or one that lies (shorter, longer, zero, huge), its bytes sent at once behind the line.
     */
    static String literals(Random r, String line, boolean literalPlus) {
        StringBuilder sb = new StringBuilder();
        Matcher m = Pattern.compile("\\{L:([a-z]+)\\}").matcher(line);
        int at = 0;
        while (m.find()) {
            sb.append(line, at, m.start());
            String payload = switch (m.group(1)) {
                case "msg" -> message(r);
                case "name" -> r.nextBoolean() ? "fuzz" : pick(r, NAMES);
                default -> r.nextBoolean() ? "x" : bytes(r, r.nextInt(20));
            };
            long announced = payload.length();
            int lie = r.nextInt(10);
            if (lie == 0) {
                announced = Math.max(0, payload.length() - 1 - r.nextInt(Math.max(1, payload.length())));
            } else if (lie == 1) {
                announced = payload.length() + 1 + r.nextInt(20);
            } else if (lie == 2) {
                announced = pick(r, new Long[] {0L, 2147483648L, 4294967296L, Long.MAX_VALUE});
            }
            sb.append('{').append(announced).append(literalPlus && r.nextBoolean() ? "+" : "").append("}\r\n").append(payload);
            at = m.end();
        }
        sb.append(line.substring(at));
        return sb.toString();
    }

    /** A small message: CRLF or bare LF line ends, dots at line starts, 8-bit and MIME now and then. */
    static String message(Random r) {
        String eol = r.nextInt(4) == 0 ? "\n" : "\r\n";
        StringBuilder sb = new StringBuilder("From: fuzz@example.com" + eol + "Subject: fuzz " + r.nextInt(1000) + eol);
        if (r.nextBoolean()) {
            sb.append("MIME-Version: 1.0").append(eol).append("Content-Type: multipart/mixed; boundary=b").append(eol)
                    .append(eol).append("--b").append(eol).append("Content-Type: text/plain").append(eol).append(eol)
                    .append("part one").append(eol).append("--b").append(eol)
                    .append("Content-Type: message/rfc822").append(eol).append(eol).append("Subject: inner").append(eol)
                    .append(eol).append("inner body").append(eol).append("--b--").append(eol);
        } else {
            sb.append(eol).append("line").append(eol).append(".").append(eol).append("..dots").append(eol)
                    .append(r.nextBoolean() ? "caf\u00c3\u00a9" : bytes(r, 5)).append(eol);
        }
        return sb.toString();
    }

    /** A replayed case's bytes, whole, in {@code target/} (the report shows their start only). */
    static void dump(String protocol, int i, String sent) throws IOException {
        java.nio.file.Path p = java.nio.file.Path.of("target", "fuzz-" + protocol + "-" + SEED + "-" + i + ".bin");
        java.nio.file.Files.write(p, bytes(sent));
        System.out.println("the case's bytes: " + p.toAbsolutePath());
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A string for a report: control and 8-bit bytes escaped, cut at {@code max} characters. */
    static String show(String s, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c < ' ' || c >= 127) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.length() >= max ? sb + "...(" + s.length() + " bytes)" : sb.toString();
    }

    // ---------------------------------------------------------------- findings

    /** What a run found, per rule; each rule is a test. */
    static final class Findings<R extends Enum<R>> {
        private final Map<R, List<String>> found;
        private final long seed;

        Findings(Class<R> rules, long seed) {
            this.found = new EnumMap<>(rules);
            this.seed = seed;
        }

        synchronized void add(R rule, int caseNo, String what, String sent) {
            List<String> l = found.computeIfAbsent(rule, k -> new ArrayList<>());
            if (l.size() < 20) {
                l.add("case " + caseNo + " (replay: -Dmstore.fuzz.seed=" + seed + " -Dmstore.fuzz.case=" + caseNo + "): " + what
                        + "\n    sent: " + show(sent, 600));
            }
        }

        synchronized void assertNone(R rule) {
            assertThat(found.getOrDefault(rule, List.of())).as(rule + " (seed " + seed + ")").isEmpty();
        }
    }

    // ---------------------------------------------------------------- logs

    /**
     * The log events a handler writes for what it did not expect: a command that failed with an exception (answered
     * {@code [SERVERBUG]} or {@code 451 4.3.0}), a session task that threw, an exception that reached the end of a Netty
     * pipeline. Any event at WARN or above with an exception, or at ERROR.
     */
    static final class UnexpectedErrors implements AutoCloseable {
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        /** The store's default log (not additive): a failed delivery is an ERROR there. */
        private final Logger store = (Logger) LoggerFactory.getLogger("mstore.default");
        private int seen;

        UnexpectedErrors() {
            appender.start();
            root.addAppender(appender);
            store.addAppender(appender);
        }

        /** The unexpected events since the last call. */
        synchronized List<String> drain() {
            List<String> out = new ArrayList<>();
            List<ILoggingEvent> all = List.copyOf(appender.list);
            for (int i = seen; i < all.size(); i++) {
                ILoggingEvent e = all.get(i);
                if (e.getLevel().isGreaterOrEqual(Level.ERROR)
                        || e.getLevel().isGreaterOrEqual(Level.WARN) && e.getThrowableProxy() != null) {
                    out.add(e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()
                            + (e.getThrowableProxy() == null ? "" : " -- " + e.getThrowableProxy().getClassName() + ": "
                            + e.getThrowableProxy().getMessage()));
                }
            }
            seen = all.size();
            return out;
        }

        @Override
        public void close() {
            root.detachAppender(appender);
            store.detachAppender(appender);
        }
    }

    // ---------------------------------------------------------------- the server's bytes

    /** The server's bytes as they come: lines, with the literals an untagged IMAP response carries. */
    static final class Wire {
        private static final Pattern LITERAL_END = Pattern.compile("\\{(\\d{1,10})\\}$");
        private final Socket socket;
        private final InputStream in;
        /** Framing faults seen (a bare LF, a bare CR, a NUL, an 8-bit byte outside a literal). */
        final List<String> faults = new ArrayList<>();

        Wire(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
        }

        /**
         * One response (an IMAP untagged one with its literals when {@code imap}), without the last CRLF; null at the
         * end of the stream, or when nothing comes for {@code quietMillis} (then {@link #quiet} is set).
         */
        String read(int quietMillis, boolean imap) throws IOException {
            StringBuilder all = new StringBuilder();
            socket.setSoTimeout(quietMillis);
            quiet = false;
            while (true) {
                String line;
                try {
                    line = line();
                } catch (SocketTimeoutException e) {
                    quiet = true;
                    return null;
                }
                if (line == null) {
                    return all.length() == 0 ? null : all.toString();
                }
                all.append(line);
                Matcher m = LITERAL_END.matcher(line);
                if (!imap || !all.toString().startsWith("* ") || !m.find()) {
                    return all.toString();
                }
                int n = Integer.parseInt(m.group(1));
                byte[] lit;
                try {
                    lit = in.readNBytes(n);
                } catch (SocketTimeoutException e) {
                    faults.add("a literal of " + n + " bytes was not sent whole");
                    quiet = true;
                    return null;
                }
                all.append("\r\n").append(new String(lit, StandardCharsets.ISO_8859_1));
            }
        }

        boolean quiet;

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
                }
                if (c == '\n') {
                    String s = b.toString(StandardCharsets.ISO_8859_1);
                    if (!s.endsWith("\r")) {
                        faults.add("a line ends in a bare LF: " + show(s, 200));
                        return s;
                    }
                    s = s.substring(0, s.length() - 1);
                    if (s.indexOf('\r') >= 0 || s.indexOf('\0') >= 0) {
                        faults.add("a bare CR or a NUL in a line: " + show(s, 200));
                    }
                    if (s.chars().anyMatch(ch -> ch >= 0x80)) {
                        // both grammars are 7-bit (RFC 3501 §9, RFC 5321 §4.2): 8-bit text comes in an IMAP literal only
                        faults.add("an 8-bit byte in a line: " + show(s, 200));
                    }
                    return s;
                }
                b.write(c);
            }
        }
    }
}
