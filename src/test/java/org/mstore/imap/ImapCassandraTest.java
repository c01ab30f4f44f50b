package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.cassandra.CassandraFixture;
import org.mstore.engine.Engine;
import org.mstore.lmtp.LmtpServer;
import org.mstore.testing.TestStore;

/** The IMAP and LMTP servers on a Cassandra store, unchanged: the same commands, answers and delivery as on the classic store. */
@ExtendWith(CassandraFixture.class)
class ImapCassandraTest {
    static String prefix;
    @TempDir
    Path dir;
    ImapFixture f;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("imap");
    }

    @BeforeEach
    void setUp() throws Exception {
        Path root = dir.resolve("store");
        Engine e = Engine.init(root, ImapFixture.options(), "cassandra", CassandraFixture.options(prefix));
        // the keyspaces are the class's: alice and her mailboxes start afresh
        if (e.users().find("alice").isPresent()) {
            e.users().delete("alice");
        }
        for (var m : e.mailboxes().list()) {
            if (m.name().split("/").length == 2) {
                e.mailboxes().delete(m.name());
            }
        }
        f = ImapFixture.on(root, e, false, c -> c);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private void append(String mailbox, int n) throws Exception {
        List<byte[]> msgs = new java.util.ArrayList<>();
        for (int i = 1; i <= n; i++) {
            msgs.add(TestStore.message("Message " + i, "Body " + i + "\r\n"));
        }
        f.engine.mailboxes().append(mailbox, TestStore.news(msgs, System.currentTimeMillis(), 0));
    }

    @Test
    void login_select_fetch_store_and_expunge_work_on_a_cassandra_store() throws Exception {
        append("user/alice", 3);
        try (RawImap c = f.login()) {
            List<String> sel = c.ok("SELECT INBOX");
            assertThat(sel).contains("* 3 EXISTS");
            assertThat(RawImap.last(sel)).contains("[READ-WRITE]");
            List<String> fetch = c.ok("FETCH 1:3 (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
            assertThat(String.join("\n", fetch)).contains("Subject: Message 1").contains("Subject: Message 3");
            assertThat(c.ok("STORE 2 +FLAGS (\\Deleted)")).anyMatch(l -> l.startsWith("* 2 FETCH") && l.contains("\\Deleted"));
            assertThat(c.ok("EXPUNGE")).contains("* 2 EXPUNGE");
            assertThat(c.ok("FETCH 1:* (UID)")).filteredOn(l -> l.startsWith("* ")).hasSize(2);
        }
        assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isEqualTo(2);
        assertThat(f.engine.mailboxes().get("user/alice").expunged()).isEqualTo(1);
    }

    @Test
    void subscriptions_through_imap_are_kept_in_cassandra() throws Exception {
        try (RawImap c = f.login()) {
            c.ok("CREATE Work");
            c.ok("SUBSCRIBE Work");
            assertThat(c.ok("LSUB \"\" \"*\"")).anyMatch(l -> l.startsWith("* LSUB") && l.contains("Work"));
        }
        assertThat(f.engine.users().subscriptions("alice")).containsExactly("user/alice/Work");
    }

    @Test
    void rename_answers_no_cannot_on_a_cassandra_store() throws Exception {
        append("user/alice", 1);
        try (RawImap c = f.login()) {
            c.ok("CREATE Old");
            List<String> r = c.command("RENAME Old New");
            assertThat(r).hasSize(1);
            assertThat(RawImap.last(r)).matches("t\\d+ NO \\[CANNOT\\] .*renam.*cassandra.*");
            assertThat(c.ok("LIST \"\" \"*\"")).anyMatch(l -> l.endsWith("\"Old\"")).noneMatch(l -> l.contains("New"));
            c.ok("NOOP"); // the session goes on
        }
        assertThat(f.engine.mailboxes().exists("user/alice/Old")).isTrue();
    }

    @Test
    void lmtp_delivers_into_a_cassandra_store() throws Exception {
        try (LmtpServer lmtp = new LmtpServer(f.engine, LmtpServer.Config.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
            int port = lmtp.start().getPort();
            try (Socket s = new Socket("127.0.0.1", port)) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = s.getOutputStream();
                assertThat(in.readLine()).startsWith("220");
                out.write("LHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
                String l;
                while ((l = in.readLine()).startsWith("250-")) {
                    // extensions
                }
                assertThat(l).startsWith("250 ");
                for (String cmd : List.of("MAIL FROM:<sender@example.com>", "RCPT TO:<alice@example.com>", "RCPT TO:<nobody@example.com>",
                        "DATA")) {
                    out.write((cmd + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String reply = in.readLine();
                    if (cmd.contains("nobody")) {
                        assertThat(reply).startsWith("550");
                    } else if (cmd.equals("DATA")) {
                        assertThat(reply).startsWith("354");
                    } else {
                        assertThat(reply).startsWith("250");
                    }
                }
                out.write("From: sender@example.com\r\nSubject: via LMTP\r\n\r\nhello\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(in.readLine()).as("one reply for alice").startsWith("250");
                out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }
        var snap = f.engine.mailboxes().snapshot("user/alice");
        assertThat(snap.records()).hasSize(1);
        byte[] got = f.engine.mailboxes().fetch("user/alice", snap.records().get(0).uid());
        assertThat(new String(got, StandardCharsets.US_ASCII)).contains("Subject: via LMTP").contains("hello");
    }
}
