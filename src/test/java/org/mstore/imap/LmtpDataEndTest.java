package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LMTP's DATA ends at CRLF.CRLF and nowhere else (RFC 5321 §4.1.1.4, RFC 2033): a bare LF, a dot and a bare LF are
 * the message's bytes. Otherwise one delivery could end early and smuggle commands that deliver a forged message to
 * another user ("SMTP smuggling"), and the first recipient would get a message cut short while the MTA heard 250.
 */
class LmtpDataEndTest {
    @TempDir
    Path dir;

    @Test
    void a_bare_lf_dot_lf_is_part_of_the_message_and_smuggles_nothing() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir)) {
            f.engine.users().add("bob", "bobs password".toCharArray());
            String rest = "hello alice\n.\nMAIL FROM:<ceo@corp>\nRCPT TO:<bob@x>\nDATA\nSubject: forged\n\nsmuggled into bob\n.\n";
            try (RawLmtp c = RawLmtp.open(f)) {
                c.send("MAIL FROM:<a@x>\r\n");
                assertThat(c.readLine()).startsWith("250");
                c.send("RCPT TO:<alice@x>\r\n");
                assertThat(c.readLine()).startsWith("250");
                c.send("DATA\r\n");
                assertThat(c.readLine()).startsWith("354");

                c.send("Subject: to alice\r\n\r\n" + rest + "\r\n.\r\n");
                assertThat(c.readLine()).startsWith("250").contains("alice");
                c.send("QUIT\r\n");
                assertThat(c.readLine()).as("the reply after the one delivery is QUIT's").startsWith("221");
            }
            assertThat(f.engine.mailboxes().get("user/bob").messageCount()).isZero();
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isEqualTo(1);
            String body = new String(f.engine.mailboxes().fetch("user/alice", 1), StandardCharsets.US_ASCII);
            // kept as the message's bytes, its bare LFs stored as CRLF (LmtpLineEndsTest)
            assertThat(body).endsWith("Subject: to alice\r\n\r\n" + rest.replace("\n", "\r\n") + "\r\n");
        }
    }

    @Test
    void a_data_command_with_a_parameter_is_refused_so_no_message_line_is_run_as_a_command() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawLmtp c = RawLmtp.open(f)) {
            c.send("MAIL FROM:<a@x>\r\nRCPT TO:<alice@x>\r\nDATA x\r\n");
            assertThat(c.readLine()).startsWith("250");
            assertThat(c.readLine()).startsWith("250");
            assertThat(c.readLine()).isEqualTo("501 5.5.4 DATA takes no parameters");
            c.send("DATA\r\n");
            assertThat(c.readLine()).startsWith("354");
            c.send("Subject: hi\r\n\r\nRSET\r\n.\r\n");
            assertThat(c.readLine()).startsWith("250 2.0.0 <alice@x> delivered");
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isEqualTo(1);
        }
    }
}
