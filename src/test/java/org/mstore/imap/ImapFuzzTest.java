package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
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

/**
 * A seeded, grammar-aware fuzz of imapd: every command it knows, valid, then mutated (numbers at 0, -1, 2^31, 2^32, 2^63
 * and 30 digits, odd sequence sets, unbalanced and 10,000-deep parentheses, NUL, bare CR and LF, 8-bit and invalid
 * UTF-8, broken modified UTF-7 names, long atoms, literals that lie about their length), sent in bursts on a real
 * connection, in each state (before login, logged in, with INBOX selected). One run of cases (see {@link Fuzz} for the
 * seed and size), then each rule is checked on what it saw. The mailbox whose bytes are checked, {@code keep}, is never
 * named by the cases; bob's mail is never theirs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImapFuzzTest {
    private enum Rule { WELL_FORMED, ONE_ANSWER_PER_COMMAND, ANOTHER_CONNECTION_ANSWERED, BYTE_EXACT, NO_UNEXPECTED_ERROR,
        NO_OTHER_USERS_MAIL }

    private static final String SECRET = "bob-secret-7f3a9c";
    private static final int KEEP = 5;

    /** Commands of the authenticated and selected states; {@code {L:x}} is a literal (a message, a name, a string). */
    private static final String[] AUTHENTICATED = {
        "CAPABILITY", "NOOP", "NAMESPACE", "ID NIL", "ID (\"name\" \"fuzz\" \"version\" \"1\")", "ENABLE UTF8=ACCEPT",
        "SELECT INBOX", "EXAMINE INBOX", "SELECT fuzz", "SELECT {L:name}", "CREATE fuzz", "CREATE fuzz/a/b",
        "CREATE \"Caf&AOk-\"", "CREATE {L:name}", "DELETE fuzz/a/b", "DELETE {L:name}", "RENAME fuzz/a fuzz/c",
        "RENAME INBOX fuzz/old", "SUBSCRIBE fuzz", "UNSUBSCRIBE {L:name}", "LIST \"\" *", "LIST \"\" %", "LIST fuzz/ *",
        "LSUB \"\" *", "LIST {L:name} *", "STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)", "STATUS fuzz (UNSEEN)",
        "APPEND INBOX {L:msg}", "APPEND fuzz (\\Seen \\Flagged) \"01-Jan-2020 10:00:00 +0000\" {L:msg}",
        "APPEND INBOX () {L:msg}", "APPEND {L:name} {L:msg}", "IDLE", "LOGIN alice x", "AUTHENTICATE PLAIN", "STARTTLS",
        "LOGOUT"};
    private static final String[] SELECTED = {
        "CHECK", "FETCH 1:* (FLAGS UID RFC822.SIZE)", "FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject From)]",
        "FETCH 1:2 BODY[1.MIME]<0.10>", "FETCH * BODYSTRUCTURE", "FETCH 1 (ENVELOPE INTERNALDATE BODY)", "FETCH 1 FULL",
        "FETCH 1,2:3 ALL", "FETCH 1 FAST", "FETCH 1 BODY[TEXT]<5.100>", "FETCH 1 BODY[2.1.HEADER]", "FETCH 1 BODY.PEEK[1]",
        "FETCH 1 (RFC822 RFC822.HEADER RFC822.TEXT)", "FETCH 1 BODY[HEADER.FIELDS.NOT (Subject)]", "UID FETCH 1:* (FLAGS)",
        "UID FETCH 2,4:* BODY.PEEK[]<0.20>", "SEARCH ALL", "SEARCH OR FROM \"a\" NOT SUBJECT {L:str}",
        "SEARCH CHARSET UTF-8 BODY {L:str}", "SEARCH 1:3 UNSEEN LARGER 10 SINCE 1-Jan-2020",
        "SEARCH (OR SEEN (DELETED)) HEADER \"Subject\" \"fuzz\"", "SEARCH UID 1:* NOT (SMALLER 5 BEFORE 02-Feb-2021)",
        "SEARCH SENTON 1-Jan-2020 TEXT \"x\" KEYWORD foo", "UID SEARCH UID 1:*", "STORE 1:* +FLAGS (\\Flagged)",
        "STORE 1 FLAGS.SILENT (\\Seen \\Deleted)", "STORE 2 -FLAGS (\\Seen $Junk)", "UID STORE 1:* -FLAGS.SILENT (\\Deleted)",
        "COPY 1:* fuzz", "UID COPY 1 {L:name}", "MOVE 1 fuzz", "UID MOVE 1:* fuzz", "EXPUNGE", "UID EXPUNGE 1:*", "CLOSE",
        "UNSELECT"};
    /** Before login: the commands that need none, and those that do (answered in the wrong state). */
    private static final String[] NOT_AUTHENTICATED = {"CAPABILITY", "NOOP", "ID NIL", "FETCH 1 FLAGS", "SELECT INBOX",
        "APPEND INBOX {L:msg}", "LIST \"\" *", "IDLE", "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL", "EXPUNGE", "LOGOUT"};

    private static final Pattern UNTAGGED = Pattern.compile(
            "\\* (?:(?:OK|NO|BAD|BYE|PREAUTH)(?: .*)?|CAPABILITY .*|FLAGS \\(.*|LIST \\(.*|LSUB \\(.*|STATUS .*|SEARCH(?: [0-9 ]*)?"
                    + "|NAMESPACE .*|ID .*|ENABLED.*|\\d+ (?:EXISTS|RECENT|EXPUNGE|FETCH \\(.*))", Pattern.DOTALL);
    private static final Pattern TAGGED = Pattern.compile("([^ ]+) (?:OK|NO|BAD)(?: [^\r\n]*)?");

    private Fuzz.Findings<Rule> findings;
    private ImapFixture f;
    private final Map<Long, String> keep = new HashMap<>();
    private int run;
    /** Tagged answers by status, and cases that ended in a second of quiet (a literal the server still waits for). */
    private final Map<String, Integer> tally = new java.util.TreeMap<>();

    @BeforeAll
    void run(@TempDir Path dir) throws Exception {
        long seed = Fuzz.SEED;
        int cases = Fuzz.cases(300);
        findings = new Fuzz.Findings<>(Rule.class, seed);
        System.out.println("ImapFuzzTest: seed " + seed + ", " + cases + " cases (-Dmstore.fuzz.seed=, -Dmstore.fuzz.cases=)");
        long start = System.nanoTime();
        try (Fuzz.UnexpectedErrors errors = new Fuzz.UnexpectedErrors()) {
            f = ImapFixture.start(dir);
            try {
                seedMail();
                RawImap watch = watcher();
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
                        checkKeep(watch, i, sent);
                        refill();
                    }
                }
                watch.close();
            } finally {
                f.close();
            }
        }
        System.out.printf("ImapFuzzTest: %d cases in %.1f s; answers %s%n", run, (System.nanoTime() - start) / 1e9, tally);
    }

    /** {@code keep} (never named by a case), INBOX and fuzz with something to fetch, and bob's INBOX with a secret. */
    private void seedMail() throws Exception {
        f.engine.users().add("bob", "bobs password".toCharArray());
        f.engine.mailboxes().append("user/bob", List.of(new NewMessage(
                ("Subject: " + SECRET + "\r\n\r\n" + SECRET + "\r\n").getBytes(StandardCharsets.US_ASCII), 0, 0)));
        f.engine.mailboxes().create("user/alice/keep");
        for (int i = 0; i < KEEP; i++) {
            // ASCII (RawImap reads UTF-8), CRLF (stored as it came)
            String text = Fuzz.message(new Random(i)).replace("\r\n", "\n").replace("\n", "\r\n").replaceAll("[^\\x00-\\x7f]", "?");
            byte[] m = Fuzz.bytes(text);
            long uid = f.engine.mailboxes().append("user/alice/keep", List.of(new NewMessage(m, 0, 0))).uids()[0] & 0xffffffffL;
            keep.put(uid, sha256(m));
        }
        f.engine.mailboxes().create("user/alice/fuzz");
        refill();
    }

    /** INBOX again with a few messages (multipart among them) when the cases have moved or expunged them all. */
    private void refill() throws Exception {
        if (!f.engine.mailboxes().exists("user/alice")) {
            f.engine.mailboxes().create("user/alice");
        }
        if (f.engine.mailboxes().get("user/alice").messageCount() < 3) {
            for (int i = 0; i < 4; i++) {
                byte[] m = Fuzz.bytes(Fuzz.message(new Random(100 + i)).replace("\r\n", "\n").replace("\n", "\r\n"));
                f.engine.mailboxes().append("user/alice", List.of(new NewMessage(m, 0, 0)));
            }
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** The untouched connection: logged in, {@code keep} examined. */
    private RawImap watcher() throws IOException {
        RawImap w = f.login();
        w.ok("EXAMINE keep");
        return w;
    }

    /** The untouched connection answers a NOOP within a few seconds; a new one replaces it when it did not. */
    private RawImap answered(RawImap watch, int i, String sent) throws IOException {
        watch.socket.setSoTimeout(5_000);
        try {
            String tag = watch.nextTag();
            watch.send(tag + " NOOP");
            List<String> r = watch.until(tag);
            if (!RawImap.last(r).startsWith(tag + " OK")) {
                findings.add(Rule.ANOTHER_CONNECTION_ANSWERED, i, "NOOP on another connection: " + r, sent);
            }
            return watch;
        } catch (IOException e) {
            findings.add(Rule.ANOTHER_CONNECTION_ANSWERED, i, "no answer to NOOP on another connection within 5 s: " + e, sent);
            watch.close();
            return watcher();
        }
    }

    /** The {@code keep} messages, fetched over IMAP, are the bytes the fixture appended. */
    private void checkKeep(RawImap watch, int i, String sent) throws Exception {
        Pattern body = Pattern.compile("UID (\\d+) BODY\\[\\] \\{(\\d+)\\}\r\n", Pattern.DOTALL);
        Map<Long, String> seen = new HashMap<>();
        for (long uid : keep.keySet()) {
            List<String> r = watch.command("UID FETCH " + uid + " (UID BODY.PEEK[])");
            for (String l : r) {
                Matcher m = body.matcher(l);
                if (m.find()) {
                    // RawImap reads as UTF-8; the fixture's messages are ASCII but for the 8-bit bytes of Fuzz.message
                    byte[] b = l.substring(m.end()).getBytes(StandardCharsets.UTF_8);
                    seen.put(Long.parseLong(m.group(1)), sha256(java.util.Arrays.copyOf(b, Integer.parseInt(m.group(2)))));
                }
            }
        }
        for (Map.Entry<Long, String> e : keep.entrySet()) {
            if (!e.getValue().equals(seen.get(e.getKey()))) {
                findings.add(Rule.BYTE_EXACT, i, "keep UID " + e.getKey() + ": " + seen.get(e.getKey()) + " != " + e.getValue(), sent);
            }
        }
        for (long uid : keep.keySet()) {
            byte[] stored = f.engine.mailboxes().fetch("user/alice/keep", (int) uid);
            if (!sha256(stored).equals(keep.get(uid))) {
                findings.add(Rule.BYTE_EXACT, i, "keep UID " + uid + " as stored differs", sent);
            }
        }
    }

    /** Runs case {@code i}; returns what was sent (for the report). */
    private String fuzzCase(Random r, int i) throws Exception {
        int state = r.nextInt(10) < 2 ? 0 : r.nextInt(2) + 1;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.port())) {
            Fuzz.Wire wire = new Fuzz.Wire(s);
            OutputStream out = s.getOutputStream();
            assertThat(wire.read(10_000, true)).startsWith("* OK");
            if (state > 0) {
                prelude(wire, out, "p1 LOGIN alice \"" + ImapFixture.PASSWORD + "\"");
            }
            if (state > 1) {
                prelude(wire, out, "p2 SELECT INBOX");
            }
            StringBuilder sent = new StringBuilder();
            int n = r.nextInt(4) == 0 ? 1 + r.nextInt(20) : 1 + r.nextInt(3);
            for (int k = 0; k < n; k++) {
                String cmd = command(r, state);
                String line = Fuzz.mutate(r, cmd);
                String tag = r.nextInt(20) == 0 ? Fuzz.pick(r, new String[] {"", "*", "+", "{1}", "a".repeat(70), "t\u00e9"})
                        : "f" + k;
                String text = Fuzz.literals(r, tag + " " + line, true) + (r.nextInt(30) == 0 ? "\n" : "\r\n");
                if (cmd.equals("IDLE") && r.nextBoolean()) {
                    text += r.nextBoolean() ? "DONE\r\n" : Fuzz.mutate(r, "DONE") + "\r\n";
                }
                sent.append(text);
            }
            String all = sent.toString();
            if (Fuzz.ONLY != null) {
                Fuzz.dump("imap", i, all);
            }
            try {
                out.write(Fuzz.bytes(all + "zzend NOOP\r\n"));
                out.flush();
            } catch (IOException e) {
                // the server closed the connection (BYE) while the burst was being written
            }
            check(wire, i, all + "zzend NOOP\r\n");
            return all;
        }
    }

    private static String command(Random r, int state) {
        if (state == 0) {
            return Fuzz.pick(r, NOT_AUTHENTICATED);
        }
        if (state == 2 && r.nextInt(3) != 0) {
            return Fuzz.pick(r, SELECTED);
        }
        return r.nextInt(4) == 0 ? Fuzz.pick(r, SELECTED) : Fuzz.pick(r, AUTHENTICATED);
    }

    private static void prelude(Fuzz.Wire wire, OutputStream out, String line) throws IOException {
        out.write(Fuzz.bytes(line + "\r\n"));
        out.flush();
        String tag = line.substring(0, line.indexOf(' '));
        String l;
        do {
            l = wire.read(10_000, true);
            assertThat(l).as(line).isNotNull();
        } while (!l.startsWith(tag + " "));
        assertThat(l).as(line).startsWith(tag + " OK");
    }

    /** Reads every response until the end marker's, the connection's end, or a second of quiet, and checks each. */
    private void check(Fuzz.Wire wire, int i, String sent) throws IOException {
        Map<String, Integer> tags = new HashMap<>();
        for (String l : sent.split("\n", -1)) {
            int sp = l.indexOf(' ');
            tags.merge(sp < 0 ? l.strip() : l.substring(0, sp), 1, Integer::sum);
        }
        Map<String, Integer> answered = new HashMap<>();
        List<String> lines = new ArrayList<>();
        long end = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < end) {
            String l;
            try {
                l = wire.read(1_000, true);
            } catch (IOException e) {
                break; // reset by the server after BYE
            }
            if (l == null) {
                tally.merge(wire.quiet ? "quiet" : "closed", 1, Integer::sum);
                break;
            }
            lines.add(l);
            if (l.contains(SECRET)) {
                findings.add(Rule.NO_OTHER_USERS_MAIL, i, "bob's mail in a response: " + Fuzz.show(l, 300), sent);
            }
            if (l.startsWith("+")) {
                continue;
            }
            if (l.startsWith("* ")) {
                if (!UNTAGGED.matcher(l).matches()) {
                    findings.add(Rule.WELL_FORMED, i, "not a response: " + Fuzz.show(l, 300), sent);
                }
                continue;
            }
            Matcher m = TAGGED.matcher(l);
            if (!m.matches()) {
                findings.add(Rule.WELL_FORMED, i, "not a response: " + Fuzz.show(l, 300), sent);
                continue;
            }
            String tag = m.group(1);
            tally.merge(l.substring(tag.length() + 1, Math.min(l.length(), tag.length() + 4)).strip(), 1, Integer::sum);
            int n = answered.merge(tag, 1, Integer::sum);
            if (!tags.containsKey(tag)) {
                // a literal that lied about its length ends inside the next line, which then starts anywhere in it
                if (!sent.contains(tag + " ")) {
                    findings.add(Rule.WELL_FORMED, i, "a tag the client never sent: " + Fuzz.show(l, 300), sent);
                }
            } else if (n > tags.get(tag)) {
                findings.add(Rule.ONE_ANSWER_PER_COMMAND, i, "tag " + tag + " answered " + n + " times, sent "
                        + tags.get(tag) + ": " + Fuzz.show(String.join(" | ", lines), 1500), sent);
            }
            if (tag.equals("zzend")) {
                break;
            }
        }
        if (System.nanoTime() >= end) {
            findings.add(Rule.ANOTHER_CONNECTION_ANSWERED, i, "the fuzzed connection talked for 30 s", sent);
        }
        for (String fault : wire.faults) {
            findings.add(Rule.WELL_FORMED, i, fault, sent);
        }
    }

    @Test
    void every_line_the_server_writes_is_a_well_formed_response() {
        findings.assertNone(Rule.WELL_FORMED);
    }

    @Test
    void each_command_gets_at_most_one_tagged_response() {
        findings.assertNone(Rule.ONE_ANSWER_PER_COMMAND);
    }

    @Test
    void another_untouched_connection_is_answered_within_seconds_after_every_case() {
        findings.assertNone(Rule.ANOTHER_CONNECTION_ANSWERED);
    }

    @Test
    void the_mailbox_a_case_never_names_is_byte_exact_afterwards() {
        findings.assertNone(Rule.BYTE_EXACT);
    }

    @Test
    void no_exception_is_logged_as_an_unexpected_error() {
        findings.assertNone(Rule.NO_UNEXPECTED_ERROR);
    }

    @Test
    void no_case_is_ever_served_another_users_mail() {
        findings.assertNone(Rule.NO_OTHER_USERS_MAIL);
        assertThat(run).as("cases run").isPositive();
    }
}
