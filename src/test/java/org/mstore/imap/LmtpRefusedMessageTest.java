package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message the store never takes (its header is no RFC 5322 header) is refused for good, with the reason: a temporary
 * failure would have the MTA try again, for days, with the same bytes.
 */
class LmtpRefusedMessageTest {
    @TempDir
    Path dir;

    @Test
    void a_message_the_store_refuses_is_answered_with_a_permanent_failure_naming_why() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawLmtp c = RawLmtp.open(f)) {
            c.send("MAIL FROM:<a@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n");
            assertThat(c.readLine()).startsWith("250");
            assertThat(c.readLine()).startsWith("250");
            assertThat(c.readLine()).startsWith("354");
            c.send("Subject: x\r\nContent-Type: text/plain; a\0b\r\n\r\nhi\r\n.\r\n");
            assertThat(c.readLine()).isEqualTo(
                    "554 5.6.0 <alice@x>: refused: the message is not a message: its header has a NUL byte (line 5)");
            c.send("NOOP\r\n");
            assertThat(c.readLine()).startsWith("250");
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isZero();
        }
    }
}
