package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.store.Mailbox;

/**
 * A message whose bytes no longer match their checksum is quarantined by a Repair (SPEC: "quarantined and shown"):
 * {@code imcheck -m} shows it, with its UID and why, where the administrator looks at a mailbox.
 */
class QuarantineCliTest {
    static final String BOX = "user/quinn";

    @TempDir
    Path dir;

    @Test
    void imcheck_m_shows_the_messages_a_repair_quarantined() throws Exception {
        Cli cli = new Cli(dir);
        Path store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", BOX).ok();
        StringBuilder mbox = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            mbox.append("From s").append(i).append("@example.com Tue Feb 25 09:55:5").append(i).append(" 2012\n")
                    .append("From: Sender ").append(i).append(" <s").append(i).append("@example.com>\nSubject: Message ").append(i)
                    .append("\n\nBody of message ").append(i).append("\n\n");
        }
        Path file = Mail.write(dir.resolve("in/box.mbox"), mbox.toString());
        assertThat(cli.on(store, "client", "append", BOX, file.toString()).ok().outLines()).containsExactly("1", "2", "3");
        try (RandomAccessFile f = new RandomAccessFile(Mailbox.messageFile(Mail.inboxDir(store, "quinn"), 2).toFile(), "rw")) {
            f.seek(f.length() - 6);
            f.write("XXXX".getBytes(StandardCharsets.US_ASCII)); // same size, other bytes
        }
        cli.on(store, "reconstruct", BOX).ok();

        String out = cli.on(store, "imcheck", "-m", BOX).ok().out();

        assertThat(out).containsPattern("(?m)^Quarantined: +1 message kept aside by a Repair");
        assertThat(out).containsPattern("(?m)^2 +\\d+ +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +its checksum did not match");
        assertThat(out).containsPattern("(?m)^Messages: +2$");
    }

    @Test
    void imcheck_m_says_no_message_is_quarantined_when_none_is() throws Exception {
        Cli cli = new Cli(dir);
        Path store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", BOX).ok();

        String out = cli.on(store, "imcheck", "-m", BOX).ok().out();

        assertThat(out).containsPattern("(?m)^Quarantined: +-$").doesNotContain("Quarantined UID");
    }
}
