package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The servers as an administrator runs them: {@code mstore user add} (password on stdin), {@code mstore imapd} as its
 * own process, a client in, {@code mstore sessions} from a third process, and the session gone once imapd stops.
 */
class ImapdCliTest {
    @TempDir
    Path dir;

    @Test
    void user_add_imapd_and_sessions_as_separate_processes() throws Exception {
        Cli cli = new Cli(dir);
        Path store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.withInput("a fine password\n", store, "user", "add", "carol").ok();
        cli.withInput("short\n", store, "user", "add", "dave").failsWith(1, "too short");
        cli.withInput("another password\n", store, "user", "add", "carol").failsWith(1, "already exists");
        assertThat(cli.on(store, "user", "list").ok().out()).contains("carol");
        String passwd = Files.readString(store.resolve("passwd"));
        assertThat(passwd).contains("carol:pbkdf2-sha256$210000$").doesNotContain("a fine password");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.resolve("passwd")))).isEqualTo("rw-------");
        assertThat(cli.on(store, "mboxutil", "-l").ok().out()).contains("user/carol");

        try (Cli.Background imapd = cli.background(store, "imapd", "--port", "0", "--no-tls")) {
            int[] port = {0};
            Cli.await("imapd to listen", Duration.ofSeconds(60), () -> {
                Matcher m = Pattern.compile("listening on [0-9.]+:(\\d+)").matcher(imapd.out());
                if (m.find()) {
                    port[0] = Integer.parseInt(m.group(1));
                    return true;
                }
                return false;
            });
            try (Socket s = new Socket("127.0.0.1", port[0])) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                OutputStream out = s.getOutputStream();
                assertThat(in.readLine()).startsWith("* OK [CAPABILITY IMAP4rev1");
                out.write("a LOGIN carol \"a fine password\"\r\nb SELECT INBOX\r\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                String line;
                while (!(line = in.readLine()).startsWith("b ")) {
                    // untagged
                }
                assertThat(line).startsWith("b OK [READ-WRITE]");
                Cli.await("the session to be listed", Duration.ofSeconds(60), () -> {
                    String out2 = cli.on(store, "sessions").out();
                    return out2.contains("carol") && out2.contains("user/carol") && out2.contains("imapd[" + imapd.pid() + "]");
                });
            }
            assertThat(imapd.terminate()).as("stopped by SIGTERM").isEqualTo(143);
            assertThat(imapd.out()).contains("imapd: stopped");
            assertThat(imapd.err()).isEmpty();
        }
        Cli.Result after = cli.on(store, "sessions").ok();
        assertThat(after.out()).contains("0 sessions");
        assertThat(Files.readString(store.resolve("log/default"))).contains("Account Notice: login: [127.0.0.1:");
    }
    @Test
    void imapd_holds_literals_to_the_memory_given_by_max_literal_memory() throws Exception {
        Cli cli = new Cli(dir);
        Path store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.withInput("a fine password\n", store, "user", "add", "carol").ok();
        cli.on(store, "imapd", "--max-literal-memory", "0").failsWith(1, "--max-literal-memory must be a number of bytes above 0");
        try (Cli.Background imapd = cli.background(store, "imapd", "--port", "0", "--no-tls", "--max-literal-memory", "1048576")) {
            int[] port = {0};
            Cli.await("imapd to listen", Duration.ofSeconds(60), () -> {
                Matcher m = Pattern.compile("listening on [0-9.]+:(\\d+)").matcher(imapd.out());
                if (m.find()) {
                    port[0] = Integer.parseInt(m.group(1));
                    return true;
                }
                return false;
            });
            try (Socket s = new Socket("127.0.0.1", port[0])) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                OutputStream out = s.getOutputStream();
                assertThat(in.readLine()).startsWith("* OK [CAPABILITY IMAP4rev1");
                out.write("a LOGIN carol \"a fine password\"\r\nb APPEND INBOX {1048577}\r\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertThat(in.readLine()).startsWith("a OK");
                assertThat(in.readLine()).isEqualTo("b NO [TOOBIG] Literal of 1048577 bytes refused: the limit is 1048576 bytes");
            }
            assertThat(imapd.terminate()).isEqualTo(143);
        }
    }
}
