package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.MessageRecord;
import org.mstore.api.UidSet;

/**
 * lmtpd stores a message with CRLF line ends, whatever the sender used: a bare LF (RFC 5321 2.3.8 forbids it in DATA)
 * is stored as CRLF, as Postfix and Dovecot do, so that imapd serves lines that end in CRLF (RFC 3501) and the size
 * and checksum are those of the bytes served. A message sent with CRLF is stored as it came (dot-unstuffed).
 */
class LmtpLineEndsTest {
    private static final Pattern BODY = Pattern.compile("RFC822\\.SIZE (\\d+) BODY\\[\\] \\{(\\d+)\\}\r\n", Pattern.DOTALL);

    @TempDir
    Path dir;

    /** Delivers {@code data} (everything after 354, the end included) to alice; returns the stored bytes. */
    private static String deliver(ImapFixture f, String data) throws Exception {
        try (RawLmtp c = RawLmtp.open(f)) {
            c.send("MAIL FROM:<a@x>\r\n");
            assertThat(c.readLine()).startsWith("250");
            c.send("RCPT TO:<alice@x>\r\n");
            assertThat(c.readLine()).startsWith("250");
            c.send("DATA\r\n");
            assertThat(c.readLine()).startsWith("354");
            c.send(data);
            assertThat(c.readLine()).startsWith("250").contains("delivered to user/alice");
        }
        return new String(f.engine.mailboxes().fetch("user/alice", 1), StandardCharsets.ISO_8859_1);
    }

    /** The message as an IMAP client gets it: BODY[] byte for byte, and RFC822.SIZE. */
    private static void assertServedAsStored(ImapFixture f, String stored) throws Exception {
        try (RawImap c = f.login()) {
            c.ok("SELECT INBOX");
            List<String> r = c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])");
            String fetch = r.get(0);
            Matcher m = BODY.matcher(fetch);
            assertThat(m.find()).as(fetch).isTrue();
            int literal = Integer.parseInt(m.group(2));
            assertThat(fetch.substring(m.end(), m.end() + literal)).isEqualTo(stored);
            assertThat(Long.parseLong(m.group(1))).isEqualTo(stored.length()).isEqualTo(literal);
        }
        MessageRecord rec = f.engine.mailboxes().records("user/alice", UidSet.parse("1")).get(0);
        assertThat(rec.size()).isEqualTo(stored.length());
    }

    private static void assertEveryLfAfterACr(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                assertThat(i > 0 && s.charAt(i - 1) == '\r').as("LF at " + i + " of " + s).isTrue();
            }
        }
    }

    @Test
    void a_message_sent_with_bare_lf_line_ends_is_stored_and_served_with_crlf() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir)) {
            String stored = deliver(f, "Subject: bare\nFrom: <a@x>\n\nline one\n\nline two\n\r\n.\r\n");
            assertThat(stored).startsWith("Return-Path: <a@x>\r\nReceived: ")
                    .endsWith("\r\nSubject: bare\r\nFrom: <a@x>\r\n\r\nline one\r\n\r\nline two\r\n\r\n");
            assertEveryLfAfterACr(stored);
            assertServedAsStored(f, stored);
        }
    }

    @Test
    void a_message_sent_with_crlf_is_stored_as_it_came() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir)) {
            String message = "Subject: crlf\r\nFrom: <a@x>\r\n\r\nline one\r\n.dot-stuffed\r\na bare\rCR stays\r\n";
            String stored = deliver(f, message.replace("\r\n.dot", "\r\n..dot") + ".\r\n");
            assertThat(stored).startsWith("Return-Path: <a@x>\r\nReceived: ").endsWith("\r\n" + message);
            assertServedAsStored(f, stored);
        }
    }

    @Test
    void a_line_longer_than_the_decoders_limit_neither_hides_the_end_of_the_message_nor_keeps_a_bare_lf() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir)) {
            String longLine = "x".repeat(5000); // lmtpd reads lines of up to 4096 bytes at a time
            String stored = deliver(f, "Subject: long\n\n" + longLine + "\nshort\r\n.\r\n");
            assertThat(stored).endsWith("\r\nSubject: long\r\n\r\n" + longLine + "\r\nshort\r\n");
            assertEveryLfAfterACr(stored);
            assertServedAsStored(f, stored);
        }
    }

    @Test
    void a_command_line_over_the_limit_is_answered_once_and_the_commands_pipelined_after_it_are_answered() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawLmtp c = RawLmtp.open(f)) {
            c.send("NOOP " + "x".repeat(10_000) + "\r\nNOOP\r\nQUIT\r\n");
            assertThat(c.readLine()).isEqualTo("500 5.5.2 Line too long");
            assertThat(c.readLine()).as("the NOOP after it").startsWith("250 ");
            assertThat(c.readLine()).as("the QUIT after it").startsWith("221 ");
        }
    }

    @Test
    void a_control_character_in_an_address_is_named_in_the_reply_never_written_back_raw() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawLmtp c = RawLmtp.open(f)) {
            c.send("MAIL FROM:<a@x>\r\nRCPT TO:<a\rb\u0000@x>\r\nNOOP\r\n");
            assertThat(c.readLine()).startsWith("250");
            assertThat(c.readLine()).isEqualTo("550 5.1.1 <a\\x0db\\x00@x>: no such user here");
            assertThat(c.readLine()).as("the NOOP's, the next reply").startsWith("250 ");
        }
    }

    @Test
    void an_8_bit_character_in_an_address_is_named_in_the_reply_so_the_line_stays_7_bit() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawLmtp c = RawLmtp.open(f)) {
            c.sendUtf8("MAIL FROM:<a@x>\r\nRCPT TO:<jos\u00e9@x>\r\nNOOP\r\n"); // é is c3 a9 in UTF-8
            assertThat(c.readLine()).startsWith("250");
            assertThat(c.readLine()).isEqualTo("550 5.1.1 <jos\\xc3\\xa9@x>: no such user here");
            assertThat(c.readLine()).as("the NOOP's, the next reply").startsWith("250 ");
        }
    }
}
