package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.cassandra.CassandraFixture;
import org.mstore.tools.CassandraNode;

/**
 * The servers as an administrator runs them on a Cassandra store, each its own process: {@code mstore lmtpd} delivers,
 * {@code mstore imapd} serves the message, {@code mstore sessions} from a third process lists the IMAP client.
 */
@ExtendWith(CassandraFixture.class)
class ImapdCassandraCliTest {
    @TempDir
    Path dir;

    private static int port(Cli.Background server, String name) throws InterruptedException {
        int[] port = {0};
        Cli.await(name + " to listen", Duration.ofSeconds(90), () -> {
            Matcher m = Pattern.compile("listening on [0-9.]+:(\\d+)").matcher(server.out());
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
                return true;
            }
            return false;
        });
        return port[0];
    }

    private static String reply(BufferedReader in, OutputStream out, String line) throws Exception {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return in.readLine();
    }

    @Test
    void lmtpd_delivers_and_imapd_serves_on_a_cassandra_store() throws Exception {
        Cli cli = new Cli(dir);
        Path store = dir.resolve("store");
        cli.on(store, "init", "--backend", "cassandra", "--contact-point", CassandraFixture.contactPoint(), "--datacenter",
                CassandraNode.DATACENTER, "--keyspace-prefix", CassandraFixture.newPrefix("srv")).ok();
        cli.withInput("a fine password\n", store, "user", "add", "carol").ok();

        try (Cli.Background lmtpd = cli.background(store, "lmtpd", "--port", "0")) {
            try (Socket s = new Socket("127.0.0.1", port(lmtpd, "lmtpd"))) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = s.getOutputStream();
                assertThat(in.readLine()).startsWith("220");
                String l = reply(in, out, "LHLO client.example");
                while (l.startsWith("250-")) {
                    l = in.readLine();
                }
                assertThat(reply(in, out, "MAIL FROM:<sender@example.com>")).startsWith("250");
                assertThat(reply(in, out, "RCPT TO:<carol@example.com>")).startsWith("250");
                assertThat(reply(in, out, "DATA")).startsWith("354");
                assertThat(reply(in, out, "From: sender@example.com\r\nSubject: over lmtpd\r\n\r\nhi\r\n.")).startsWith("250");
                reply(in, out, "QUIT");
            }
            assertThat(lmtpd.terminate()).isEqualTo(143);
            assertThat(lmtpd.err()).isEmpty();
        }

        try (Cli.Background imapd = cli.background(store, "imapd", "--port", "0", "--no-tls")) {
            try (Socket s = new Socket("127.0.0.1", port(imapd, "imapd"))) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                OutputStream out = s.getOutputStream();
                assertThat(in.readLine()).startsWith("* OK");
                out.write("a LOGIN carol \"a fine password\"\r\nb SELECT INBOX\r\nc FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]\r\n"
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                StringBuilder all = new StringBuilder();
                String line;
                while (!(line = in.readLine()).startsWith("c ")) {
                    all.append(line).append('\n');
                }
                assertThat(line).startsWith("c OK");
                assertThat(all).contains("* 1 EXISTS").contains("Subject: over lmtpd");
                Cli.await("the session to be listed", Duration.ofSeconds(60), () -> {
                    String listed = cli.on(store, "sessions").out();
                    return listed.contains("carol") && listed.contains("user/carol") && listed.contains("imapd[" + imapd.pid() + "]");
                });
            }
            assertThat(imapd.terminate()).isEqualTo(143);
            assertThat(imapd.err()).isEmpty();
        }
        assertThat(cli.on(store, "sessions").ok().out()).contains("0 sessions");
    }
}
