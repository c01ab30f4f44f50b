package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server-wide budget for literals held in memory (here 1 MB): a literal's size is reserved before its first byte is
 * read and released when its command has run or its connection has gone; a literal that does not fit waits for room.
 */
class ImapLiteralBudgetTest {
    private static final long BUDGET = 1 << 20;

    @TempDir
    Path dir;

    private ImapFixture start() throws Exception {
        return ImapFixture.start(dir, false, c -> c.withLiteralMemory(BUDGET));
    }

    /** Waits for every reservation to go back: a command's is released just after its tagged response is sent. */
    private static void assertAllReleased(ImapFixture f) throws InterruptedException {
        assertReserved(f, 0, "bytes still reserved");
    }

    /** Waits (a command's reservation goes back just after its tagged response) until {@code bytes} are reserved. */
    private static void assertReserved(ImapFixture f, long bytes, String what) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (f.server.literals().used() != bytes && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(f.server.literals().used()).as(what).isEqualTo(bytes);
    }

    /** A message of exactly {@code size} bytes, CRLF throughout, its lines telling it apart. */
    private static byte[] message(String subject, int size) {
        StringBuilder sb = new StringBuilder("Subject: " + subject + "\r\n\r\n");
        int line = 0;
        while (sb.length() < size) {
            String l = subject + " line " + (line++) + " " + "x".repeat(60) + "\r\n";
            sb.append(l, 0, Math.min(l.length(), size - sb.length()));
        }
        if (!sb.toString().endsWith("\r\n")) {
            sb.setCharAt(sb.length() - 2, '\r');
            sb.setCharAt(sb.length() - 1, '\n');
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A message of exactly {@code size} bytes whose lines end in a bare LF. */
    private static byte[] lfMessage(String subject, int size) {
        StringBuilder sb = new StringBuilder("Subject: " + subject + "\n\n");
        int line = 0;
        while (sb.length() < size) {
            String l = subject + " line " + (line++) + " " + "x".repeat(60) + "\n";
            sb.append(l, 0, Math.min(l.length(), size - sb.length()));
        }
        sb.setCharAt(sb.length() - 1, '\n');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** APPENDs {@code m} to INBOX as a synchronizing literal (its continuation comes at once) and returns the tagged response. */
    private static String append(RawImap c, byte[] m) throws Exception {
        String tag = c.nextTag();
        c.send(tag + " APPEND INBOX {" + m.length + "}");
        assertThat(c.readLine()).startsWith("+");
        c.sendRaw(m);
        c.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
        return RawImap.last(c.until(tag));
    }

    @Test
    void two_connections_whose_literals_exceed_the_budget_together_finish_one_after_the_other() throws Exception {
        byte[] ma = message("first", 700_000);
        byte[] mb = message("second", 700_000);
        try (ImapFixture f = start(); RawImap a = f.login(); RawImap b = f.login()) {
            a.send("a1 APPEND INBOX {" + ma.length + "}");
            assertThat(a.readLine()).startsWith("+");
            b.send("b1 APPEND INBOX {" + mb.length + "}");
            assertThat(b.poll(1500)).as("no continuation while the first literal holds the budget").isNull();

            a.sendRaw(ma);
            a.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(a.until("a1"))).contains("a1 OK [APPENDUID ");
            assertThat(b.readLine()).as("the second gets its continuation once the first has run").startsWith("+");
            b.sendRaw(mb);
            b.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(b.until("b1"))).contains("b1 OK [APPENDUID ");

            assertThat(f.engine.mailboxes().fetch("user/alice", 1)).isEqualTo(ma);
            assertThat(f.engine.mailboxes().fetch("user/alice", 2)).isEqualTo(mb);
            assertAllReleased(f);
        }
    }

    @Test
    void a_non_synchronizing_literal_that_does_not_fit_is_read_once_it_fits() throws Exception {
        byte[] ma = message("first", 700_000);
        byte[] mb = message("second", 700_000);
        try (ImapFixture f = start(); RawImap a = f.login(); RawImap b = f.login()) {
            a.send("a1 APPEND INBOX {" + ma.length + "}");
            assertThat(a.readLine()).startsWith("+");
            b.send("b1 APPEND INBOX {" + mb.length + "+}");
            Thread writer = new Thread(() -> {
                try {
                    b.sendRaw(mb); // blocks once the socket's buffers are full: the server reads no more of it meanwhile
                    b.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            assertThat(b.poll(1500)).as("the second command waits, unanswered").isNull();
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isZero();

            a.sendRaw(ma);
            a.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(a.until("a1"))).contains("a1 OK [APPENDUID ");
            assertThat(RawImap.last(b.until("b1"))).contains("b1 OK [APPENDUID ");
            writer.join(20_000);

            assertThat(f.engine.mailboxes().fetch("user/alice", 1)).isEqualTo(ma);
            assertThat(f.engine.mailboxes().fetch("user/alice", 2)).isEqualTo(mb);
        }
    }

    @Test
    void a_reservation_is_released_when_its_connection_drops_mid_literal() throws Exception {
        byte[] mc = message("third", 700_000);
        try (ImapFixture f = start(); RawImap c = f.login()) {
            try (RawImap a = f.login(); RawImap b = f.login()) {
                a.send("a1 APPEND INBOX {700000}");
                assertThat(a.readLine()).startsWith("+");
                a.sendRaw(message("cut", 1000)); // then the connection drops, its literal unfinished
                b.send("b1 APPEND INBOX {700000}");
                assertThat(b.poll(1500)).as("waiting behind the first").isNull();
                // b drops while waiting, a while its literal is read
            }
            c.send("c1 APPEND INBOX {" + mc.length + "}");
            assertThat(c.readLine()).as("the dropped connections' reservations went back").startsWith("+");
            c.sendRaw(mc);
            c.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(c.until("c1"))).contains("c1 OK [APPENDUID ");
            assertThat(f.engine.mailboxes().fetch("user/alice", 1)).isEqualTo(mc);
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isEqualTo(1);
            assertAllReleased(f);
        }
    }

    @Test
    void a_command_waiting_for_its_second_literal_holds_no_reservation_meanwhile() throws Exception {
        byte[] ma = message("first", 700_000);
        byte[] mb = message("second", 600_000);
        byte[] mc = message("third", 500_000);
        try (ImapFixture f = start(); RawImap a = f.login(); RawImap b = f.login(); RawImap c = f.login()) {
            a.send("a1 APPEND INBOX {" + ma.length + "}");
            assertThat(a.readLine()).startsWith("+");
            // b's mailbox name (a small literal) fits; its message does not, and b waits for both without holding the first
            b.send("b1 APPEND {5}");
            assertThat(b.readLine()).startsWith("+");
            b.sendRaw("INBOX {".concat(mb.length + "}\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(b.poll(1500)).as("b waits").isNull();
            assertThat(f.server.literals().used()).as("held: a's literal only").isEqualTo(ma.length);
            a.sendRaw(ma);
            a.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(a.until("a1"))).contains("a1 OK [APPENDUID ");
            assertThat(b.readLine()).as("b's whole command fits now").startsWith("+");
            c.send("c1 APPEND INBOX {" + mc.length + "}");
            assertThat(c.poll(1500)).as("c waits behind b").isNull();
            b.sendRaw(mb);
            b.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(b.until("b1"))).contains("b1 OK [APPENDUID ");
            assertThat(c.readLine()).startsWith("+");
            c.sendRaw(mc);
            c.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(c.until("c1"))).contains("c1 OK [APPENDUID ");
            assertThat(f.engine.mailboxes().fetch("user/alice", 2)).isEqualTo(mb);
            assertThat(f.engine.mailboxes().fetch("user/alice", 3)).isEqualTo(mc);
            assertAllReleased(f);
        }
    }

    @Test
    void a_literal_bigger_than_the_whole_budget_is_refused_before_a_byte_is_sent() throws Exception {
        try (ImapFixture f = start(); RawImap a = f.login()) {
            assertThat(a.command("APPEND INBOX {" + (BUDGET + 1) + "}")).containsExactly(
                    "t2 NO [TOOBIG] Literal of " + (BUDGET + 1) + " bytes refused: the limit is " + BUDGET + " bytes");
            a.ok("NOOP");
            assertAllReleased(f);
        }
    }

    @Test
    void a_literal_announced_in_idle_is_answered_at_once_and_holds_no_reservation() throws Exception {
        byte[] mb = message("second", (int) BUDGET);
        try (ImapFixture f = start(); RawImap a = f.login(); RawImap b = f.login()) {
            a.send("a1 IDLE");
            assertThat(a.readLine()).startsWith("+ idling");
            // a client that sends a command with a literal instead of DONE, needing the whole budget
            a.send("a2 APPEND INBOX {" + BUDGET + "}");
            assertThat(a.readLine()).isEqualTo("a1 BAD Expected DONE to end IDLE");
            b.send("b1 APPEND INBOX {" + mb.length + "}");
            assertThat(b.poll(1500)).as("another connection's literal that needs the whole budget gets its continuation at once")
                    .startsWith("+");
            b.sendRaw(mb);
            b.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(b.until("b1"))).contains("b1 OK [APPENDUID ");
            a.ok("NOOP");
            assertThat(f.engine.mailboxes().fetch("user/alice", 1)).isEqualTo(mb);
            assertAllReleased(f);
        }
    }

    @Test
    void a_non_synchronizing_literal_announced_in_idle_ends_the_connection_and_holds_no_reservation() throws Exception {
        try (ImapFixture f = start(); RawImap a = f.login(); RawImap b = f.login()) {
            a.send("a1 IDLE");
            assertThat(a.readLine()).startsWith("+ idling");
            a.send("a2 APPEND INBOX {" + BUDGET + "+}");
            assertThat(a.until("a1")).last().asString().startsWith("a1 BAD ");
            assertThat(a.readLine()).startsWith("* BYE ");
            assertThat(a.readLine()).as("the connection is closed").isNull();
            b.send("b1 APPEND INBOX {" + BUDGET + "}");
            assertThat(b.poll(1500)).as("the whole budget is free").startsWith("+");
            assertThat(f.server.literals().used()).as("held: b's literal only").isEqualTo(BUDGET);
        }
    }

    @Test
    void the_mended_copy_of_a_bare_lf_append_is_counted_in_the_budget() throws Exception {
        byte[] ma = message("first", 500_000);
        byte[] lf = lfMessage("bare", 300_000);
        try (ImapFixture f = start(); RawImap a = f.login(); RawImap b = f.login()) {
            a.send("a1 APPEND INBOX {" + ma.length + "}");
            assertThat(a.readLine()).startsWith("+");
            // b's literal fits beside a's (800,000 of 1 MB); its mended copy, 300,000 more, does not
            assertThat(append(b, lf)).matches("t\\d+ NO \\[LIMIT\\] The server's memory for literals is in use .*");
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).as("nothing stored").isZero();
            assertReserved(f, ma.length, "held: a's literal only");

            a.sendRaw(ma);
            a.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(a.until("a1"))).contains("a1 OK [APPENDUID ");
            assertThat(append(b, lf)).as("sent again, it fits").contains("OK [APPENDUID ");
            byte[] crlf = new String(lf, StandardCharsets.US_ASCII).replace("\n", "\r\n").getBytes(StandardCharsets.US_ASCII);
            assertThat(f.engine.mailboxes().fetch("user/alice", 2)).isEqualTo(crlf);
            assertAllReleased(f);
        }
    }

    @Test
    void a_bare_lf_append_whose_mended_copy_could_never_fit_beside_its_literal_is_refused() throws Exception {
        byte[] lf = lfMessage("bare", 600_000);
        try (ImapFixture f = start(); RawImap a = f.login()) {
            assertThat(append(a, lf)).matches("t\\d+ NO \\[TOOBIG\\] The message has \\d+ bare LF line ends: mended to CRLF it is a copy"
                    + " of \\d+ bytes held beside its literal, more than the server's memory for literals \\(1048576 bytes\\);"
                    + " send it with CRLF line ends");
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).as("nothing stored").isZero();
            assertThat(append(a, message("crlf", 600_000))).as("the same size with CRLF").contains("OK [APPENDUID ");
            assertAllReleased(f);
        }
    }

    @Test
    void a_line_too_long_in_idle_ends_it_and_the_next_command_may_carry_a_literal() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c.withLiteralMemory(BUDGET).withLimits(1000, BUDGET, 1000, 200, 1_000_000)); RawImap a = f.login()) {
            a.send("a1 IDLE");
            assertThat(a.readLine()).startsWith("+ idling");
            a.send("x".repeat(2000));
            assertThat(a.readLine()).startsWith("a1 BAD [TOOBIG] Line too long");
            byte[] m = message("after", 100);
            a.sendRaw(("a2 APPEND INBOX {" + m.length + "+}\r\n").getBytes(StandardCharsets.US_ASCII));
            a.sendRaw(m);
            a.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawImap.last(a.until("a2"))).contains("a2 OK [APPENDUID ");
            assertThat(f.engine.mailboxes().fetch("user/alice", 1)).isEqualTo(m);
        }
    }
}
