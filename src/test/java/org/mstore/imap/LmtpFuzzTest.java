package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.NewMessage;
import org.mstore.lmtp.LmtpServer;

/**
 * A seeded, grammar-aware fuzz of lmtpd: LHLO, MAIL FROM with {@code SIZE=}, RCPT TO, DATA with dot-stuffing and the
 * other commands, valid and then mutated (numbers at 0, -1, 2^31, 2^32, 2^63 and 30 digits, NUL, bare CR and LF, 8-bit
 * and invalid UTF-8, long lines, a message's end early or missing, commands in the wrong state), pipelined on a real
 * connection. One run of cases (see {@link Fuzz}), then each rule is checked on what it saw. {@code keep}, whose bytes
 * are checked, is never a recipient of the cases.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LmtpFuzzTest {
    private enum Rule { WELL_FORMED, LAST_COMMAND_ANSWERED, ANOTHER_CONNECTION_ANSWERED, BYTE_EXACT, STORED_WITH_CRLF, NO_UNEXPECTED_ERROR }

    private static final String[] COMMANDS = {"LHLO client.example", "MAIL FROM:<a@example.com>",
        "MAIL FROM:<a@example.com> SIZE=1000", "MAIL FROM:<> SIZE=0", "MAIL FROM:<a@x> BODY=8BITMIME SIZE=123",
        "RCPT TO:<alice@example.com>", "RCPT TO:<alice+fuzz@example.com>", "RCPT TO:<nobody@example.com>",
        "RCPT TO:<ALICE@x> NOTIFY=NEVER", "DATA", "RSET", "NOOP", "VRFY alice", "QUIT", "HELO x", "EHLO x", "BDAT 10 LAST",
        "STARTTLS"};
    private static final Pattern REPLY = Pattern.compile("[2-5]\\d\\d(?:[ -].*)?");
    private static final Pattern DELIVERED = Pattern.compile("^250 2\\.0\\.0 <[^>]*> delivered to (\\S+) \\(UID (\\d+)\\)$");

    private Fuzz.Findings<Rule> findings;
    private ImapFixture f;
    private LmtpServer lmtp;
    private InetSocketAddress address;
    private final Map<Integer, String> keep = new java.util.HashMap<>();
    private int run;
    private int delivered;

    @BeforeAll
    void run(@TempDir Path dir) throws Exception {
        long seed = Fuzz.SEED;
        int cases = Fuzz.cases(2000);
        findings = new Fuzz.Findings<>(Rule.class, seed);
        System.out.println("LmtpFuzzTest: seed " + seed + ", " + cases + " cases (-Dmstore.fuzz.seed=, -Dmstore.fuzz.cases=)");
        long start = System.nanoTime();
        try (Fuzz.UnexpectedErrors errors = new Fuzz.UnexpectedErrors()) {
            f = ImapFixture.start(dir);
            lmtp = new LmtpServer(f.engine, LmtpServer.Config.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            try {
                address = lmtp.start();
                f.engine.mailboxes().create("user/alice/keep");
                f.engine.mailboxes().create("user/alice/fuzz");
                for (int i = 0; i < 5; i++) {
                    byte[] m = Fuzz.bytes(Fuzz.message(new Random(i)).replace("\r\n", "\n").replace("\n", "\r\n"));
                    int uid = f.engine.mailboxes().append("user/alice/keep", List.of(new NewMessage(m, 0, 0))).uids()[0];
                    keep.put(uid, sha256(m));
                }
                Watch watch = new Watch();
                for (int i = 0; i < cases; i++) {
                    if (Fuzz.ONLY != null && Fuzz.ONLY != i) {
                        continue;
                    }
                    String sent = fuzzCase(Fuzz.random(seed, i), i);
                    run++;
                    watch = answered(watch, i, sent);
                    for (String e : errors.drain()) {
                        findings.add(Rule.NO_UNEXPECTED_ERROR, i, e, sent);
                    }
                    if (i % 25 == 24 || i == cases - 1 || Fuzz.ONLY != null) {
                        for (Map.Entry<Integer, String> e : keep.entrySet()) {
                            if (!sha256(f.engine.mailboxes().fetch("user/alice/keep", e.getKey())).equals(e.getValue())) {
                                findings.add(Rule.BYTE_EXACT, i, "keep UID " + e.getKey() + " differs", sent);
                            }
                        }
                    }
                }
                watch.close();
            } finally {
                lmtp.close();
                f.close();
            }
        }
        System.out.printf("LmtpFuzzTest: %d cases in %.1f s, %d deliveries%n", run, (System.nanoTime() - start) / 1e9, delivered);
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** The untouched connection, past LHLO. */
    private final class Watch implements AutoCloseable {
        final Socket socket = new Socket(address.getAddress(), address.getPort());
        final Fuzz.Wire wire = new Fuzz.Wire(socket);

        Watch() throws IOException {
            assertThat(wire.read(10_000, false)).startsWith("220");
            socket.getOutputStream().write(Fuzz.bytes("LHLO watch.example\r\n"));
            String l;
            do {
                l = wire.read(10_000, false);
            } while (l != null && l.startsWith("250-"));
            assertThat(l).startsWith("250 ");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private Watch answered(Watch watch, int i, String sent) throws IOException {
        try {
            watch.socket.getOutputStream().write(Fuzz.bytes("NOOP\r\nRSET\r\n"));
            String a = watch.wire.read(5_000, false);
            String b = watch.wire.read(5_000, false);
            if (a == null || b == null || !a.startsWith("250") || !b.startsWith("250")) {
                findings.add(Rule.ANOTHER_CONNECTION_ANSWERED, i, "NOOP, RSET on another connection: " + a + ", " + b, sent);
                watch.close();
                return new Watch();
            }
            return watch;
        } catch (IOException e) {
            findings.add(Rule.ANOTHER_CONNECTION_ANSWERED, i, "no answer on another connection: " + e, sent);
            watch.close();
            return new Watch();
        }
    }

    /** A transaction, valid and then mutated line by line, or a burst of any commands; returns what was sent. */
    private String fuzzCase(Random r, int i) throws Exception {
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(3) > 0) {
            String eol = r.nextInt(10) == 0 ? "\n" : "\r\n";
            sb.append(line(r, "LHLO client.example")).append(eol);
            sb.append(line(r, Fuzz.pick(r, new String[] {"MAIL FROM:<a@example.com> SIZE=" + r.nextInt(5000),
                "MAIL FROM:<a@example.com>", "MAIL FROM:<>"}))).append(eol);
            int rcpts = r.nextInt(3);
            for (int k = 0; k < rcpts; k++) {
                sb.append(line(r, Fuzz.pick(r, new String[] {"RCPT TO:<alice@example.com>", "RCPT TO:<alice+fuzz@example.com>",
                    "RCPT TO:<nobody@example.com>"}))).append(eol);
            }
            sb.append(line(r, "DATA")).append(eol);
            sb.append(body(r));
        }
        int extra = r.nextInt(4);
        for (int k = 0; k < extra; k++) {
            sb.append(line(r, Fuzz.pick(r, COMMANDS))).append(r.nextInt(10) == 0 ? "\n" : "\r\n");
        }
        String all = sb.toString();
        String end = "\r\n.\r\nRSET\r\nQUIT\r\n";
        if (Fuzz.ONLY != null) {
            Fuzz.dump("lmtp", i, all);
        }
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            Fuzz.Wire wire = new Fuzz.Wire(s);
            OutputStream out = s.getOutputStream();
            assertThat(wire.read(10_000, false)).startsWith("220");
            try {
                out.write(Fuzz.bytes(all + end));
                out.flush();
            } catch (IOException e) {
                // closed by the server meanwhile
            }
            check(wire, i, all + end);
        }
        return all;
    }

    private static String line(Random r, String cmd) {
        return r.nextInt(3) == 0 ? Fuzz.mutate(r, cmd) : cmd;
    }

    /** A message after DATA: dot-stuffed or not, with bare LFs, a dot line early, 8-bit, a long line; ended or not. */
    private static String body(Random r) {
        String m = Fuzz.message(r);
        StringBuilder sb = new StringBuilder();
        for (String l : m.split("(?<=\n)")) {
            sb.append(l.startsWith(".") && r.nextBoolean() ? "." + l : l);
        }
        switch (r.nextInt(8)) {
            case 0 -> sb.insert(r.nextInt(sb.length()), Fuzz.pick(r, new String[] {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n",
                "\u0000", "\r", "\n", "\u00c3\u0028", "x".repeat(70_000), "\r\n..\r\n", "\r\n. \r\n"}));
            case 1 -> sb.setLength(r.nextInt(sb.length()));
            case 2 -> sb.append(Fuzz.bytes(r, 1 + r.nextInt(40)));
            default -> { }
        }
        if (r.nextInt(5) > 0) {
            sb.append(sb.length() > 0 && sb.charAt(sb.length() - 1) == '\n' ? "" : "\r\n").append(".\r\n");
        }
        return sb.toString();
    }

    /** Reads every reply until the connection ends (QUIT) or a few seconds of quiet, and checks each. */
    private void check(Fuzz.Wire wire, int i, String sent) throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        List<String> lines = new ArrayList<>();
        while (System.nanoTime() < end) {
            String l;
            try {
                l = wire.read(3_000, false);
            } catch (IOException e) {
                break;
            }
            if (l == null) {
                if (wire.quiet) {
                    findings.add(Rule.LAST_COMMAND_ANSWERED, i, "no reply to QUIT: " + Fuzz.show(String.join(" | ", lines), 1500), sent);
                }
                break;
            }
            lines.add(l);
            if (!REPLY.matcher(l).matches()) {
                findings.add(Rule.WELL_FORMED, i, "not a reply: " + Fuzz.show(l, 300), sent);
            }
            Matcher d = DELIVERED.matcher(l);
            if (d.matches()) {
                delivered++;
                byte[] b = f.engine.mailboxes().fetch(d.group(1), Integer.parseInt(d.group(2)));
                for (int k = 0; k < b.length; k++) {
                    if (b[k] == '\n' && (k == 0 || b[k - 1] != '\r')) {
                        findings.add(Rule.STORED_WITH_CRLF, i, "a bare LF stored at " + k + ": "
                                + Fuzz.show(new String(b, StandardCharsets.ISO_8859_1), 400), sent);
                        break;
                    }
                }
            }
        }
        for (String fault : wire.faults) {
            findings.add(Rule.WELL_FORMED, i, fault, sent);
        }
    }

    @Test
    void every_line_the_server_writes_is_a_reply_with_a_code() {
        findings.assertNone(Rule.WELL_FORMED);
    }

    @Test
    void the_quit_a_case_ends_with_is_answered() {
        findings.assertNone(Rule.LAST_COMMAND_ANSWERED);
    }

    @Test
    void another_untouched_connection_is_answered_within_seconds_after_every_case() {
        findings.assertNone(Rule.ANOTHER_CONNECTION_ANSWERED);
    }

    @Test
    void the_mailbox_no_case_delivers_to_is_byte_exact_afterwards() {
        findings.assertNone(Rule.BYTE_EXACT);
    }

    @Test
    void every_delivered_message_is_stored_with_crlf_line_ends() {
        findings.assertNone(Rule.STORED_WITH_CRLF);
    }

    @Test
    void no_exception_is_logged_as_an_unexpected_error() {
        findings.assertNone(Rule.NO_UNEXPECTED_ERROR);
        assertThat(run).as("cases run").isPositive();
    }
}
