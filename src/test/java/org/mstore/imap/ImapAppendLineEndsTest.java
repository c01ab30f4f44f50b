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
 * imapd stores an APPENDed message with CRLF line ends, as lmtpd stores a delivery: a bare LF (one not after a CR) is
 * stored as CRLF, so the lines served end in CRLF (RFC 3501) and the stored size and checksum are those of the bytes
 * served. A message sent with CRLF is stored byte for byte as it came; a bare CR is left alone.
 */
class ImapAppendLineEndsTest {
    private static final Pattern BODY = Pattern.compile("RFC822\\.SIZE (\\d+) BODY\\[\\] \\{(\\d+)\\}\r\n", Pattern.DOTALL);

    @TempDir
    Path dir;

    /** APPENDs {@code message} to INBOX as a synchronizing literal; returns the bytes the store reads back (checksum checked). */
    private static String append(ImapFixture f, RawImap c, String message) throws Exception {
        byte[] b = message.getBytes(StandardCharsets.ISO_8859_1);
        String tag = c.nextTag();
        c.send(tag + " APPEND INBOX {" + b.length + "}");
        assertThat(c.readLine()).startsWith("+");
        c.sendRaw(b);
        c.sendRaw("\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(RawImap.last(c.until(tag))).contains("OK [APPENDUID ");
        return new String(f.engine.mailboxes().fetch("user/alice", 1), StandardCharsets.ISO_8859_1);
    }

    /** BODY[] as served, after checking that RFC822.SIZE, the literal's length and the record's size are all its length. */
    private static String served(ImapFixture f, RawImap c) throws Exception {
        c.ok("SELECT INBOX");
        List<String> r = c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])");
        String fetch = r.get(0);
        Matcher m = BODY.matcher(fetch);
        assertThat(m.find()).as(fetch).isTrue();
        int literal = Integer.parseInt(m.group(2));
        String body = fetch.substring(m.end(), m.end() + literal);
        assertThat(Long.parseLong(m.group(1))).as("RFC822.SIZE is the length served").isEqualTo(literal);
        MessageRecord rec = f.engine.mailboxes().records("user/alice", UidSet.parse("1")).get(0);
        assertThat(rec.size()).as("the stored size is the length served").isEqualTo(literal);
        return body;
    }

    @Test
    void an_appended_message_with_bare_lf_line_ends_is_stored_and_served_with_crlf() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            String stored = append(f, c, "From: a@x\nSubject: lf\n\nline one\nline two\n.\nend\n");
            String crlf = "From: a@x\r\nSubject: lf\r\n\r\nline one\r\nline two\r\n.\r\nend\r\n";
            assertThat(stored).isEqualTo(crlf);
            assertThat(served(f, c)).isEqualTo(crlf);
        }
    }

    @Test
    void an_appended_message_with_mixed_line_ends_is_stored_with_crlf() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            String stored = append(f, c, "From: a@x\nSubject: mixed\r\n\none\r\ntwo\nthree\r\n\n");
            String crlf = "From: a@x\r\nSubject: mixed\r\n\r\none\r\ntwo\r\nthree\r\n\r\n";
            assertThat(stored).isEqualTo(crlf);
            assertThat(served(f, c)).isEqualTo(crlf);
        }
    }

    @Test
    void an_appended_message_with_crlf_line_ends_is_stored_byte_for_byte() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            StringBuilder sb = new StringBuilder("From: a@x\r\nSubject: crlf\r\n\r\n");
            for (int i = 0; i < 128; i++) {
                if (i != '\n') {
                    sb.append("byte ").append((char) i).append(i % 7 == 0 ? "\r\r\n" : "\r\n");
                }
            }
            String message = sb.toString();
            assertThat(message).as("the test's message has no bare LF").doesNotContainPattern("[^\r]\n");
            assertThat(append(f, c, message)).isEqualTo(message);
            assertThat(served(f, c)).isEqualTo(message);
        }
    }

    @Test
    void a_bare_cr_in_an_appended_message_is_left_alone() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            String stored = append(f, c, "Subject: cr\r\n\r\na\rb\nc\r\r\n\r");
            assertThat(stored).isEqualTo("Subject: cr\r\n\r\na\rb\r\nc\r\r\n\r");
            assertThat(served(f, c)).isEqualTo("Subject: cr\r\n\r\na\rb\r\nc\r\r\n\r");
        }
    }
}
