package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Setting;
import org.mstore.api.UidSet;
import org.mstore.cli.Main;
import org.mstore.lmtp.LmtpServer;
import org.mstore.testing.TestStore;

/**
 * Clients no one here wrote, driven by scripts in {@code src/test/resources/clients}: Python's imaplib (the seed's
 * lifecycle), Python's smtplib.LMTP (delivery) and mbsync (isync: a two-way sync with a Maildir). Each test is
 * skipped only when its tool is absent ({@code .ci/run} installs them).
 */
class ImapRealClientsTest {
    @TempDir
    Path dir;

    record Run(int exit, String out) {
    }

    private static boolean has(String tool) {
        try {
            Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static Path script(String name) throws Exception {
        return Path.of(ImapRealClientsTest.class.getResource("/clients/" + name).toURI());
    }

    private static Run run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** {@code mstore <args>} in this JVM, as the administrator would type it. */
    private static String mstore(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(rc).as(String.join(" ", args) + ": " + err).isZero();
        return out.toString();
    }

    @Test
    void python_imaplib_deletes_101_messages_expunges_and_clean_appears_in_imcheck() throws Exception {
        Assumptions.assumeTrue(has("python3"), "python3 is not installed");
        try (ImapFixture f = ImapFixture.start(dir)) {
            Run r = run(List.of("python3", script("imaplib_lifecycle.py").toString(), "127.0.0.1", Integer.toString(f.port()), "alice",
                    ImapFixture.PASSWORD, "120", "101"));
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).contains("lifecycle ok: appended 120, expunged 101");
            assertThat(f.engine.mailboxes().get("user/alice").expunged()).isEqualTo(101);
            String q = mstore("imcheck", "-q", "--store", f.root.toString());
            assertThat(q.lines()).anyMatch(l -> l.matches("\\d+\\s+user/alice\\s+\\d{14} Clean"));
            String m = mstore("imcheck", "-m", "user/alice", "--store", f.root.toString());
            assertThat(m).containsPattern("Expunged\\s*:?\\s*101");
        }
    }

    @Test
    void python_smtplib_lmtp_delivers_with_a_reply_per_recipient() throws Exception {
        Assumptions.assumeTrue(has("python3"), "python3 is not installed");
        try (ImapFixture f = ImapFixture.start(dir)) {
            f.engine.mailboxes().create("user/alice/lists");
            f.engine.users().add("bob", "bobs password".toCharArray());
            try (LmtpServer lmtp = new LmtpServer(f.engine,
                    LmtpServer.Config.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))) {
                int port = lmtp.start().getPort();
                Run r = run(List.of("python3", script("lmtp_deliver.py").toString(), "127.0.0.1", Integer.toString(port),
                        "alice@example.com", "alice+lists@example.com", "alice+nofolder@example.com", "nobody@example.com", "bob@example.com"));
                assertThat(r.exit()).as(r.out()).isZero();
                assertThat(r.out()).contains("alice@example.com delivered", "alice+lists@example.com delivered",
                        "alice+nofolder@example.com delivered", "nobody@example.com refused 550", "bob@example.com delivered");
            }
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isEqualTo(2); // alice, alice+nofolder
            assertThat(f.engine.mailboxes().get("user/alice/lists").messageCount()).isEqualTo(1);
            assertThat(f.engine.mailboxes().get("user/bob").messageCount()).isEqualTo(1);
            String body = new String(f.engine.mailboxes().fetch("user/alice/lists", 1), StandardCharsets.UTF_8);
            assertThat(body).startsWith("Return-Path: <sender@example.com>\r\nReceived: from ")
                    .contains("Subject: via LMTP").contains("\r\n.leading dot line\r\n");
        }
    }

    @Test
    void mbsync_synchronises_a_mailbox_both_ways_with_a_maildir() throws Exception {
        Assumptions.assumeTrue(has("mbsync"), "mbsync (isync) is not installed");
        try (ImapFixture f = ImapFixture.start(dir)) {
            f.engine.settings().set(Setting.CLEANUP_SIZE, "1000");
            List<byte[]> msgs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                msgs.add(TestStore.message("server " + i, "on the server " + i + "\r\n"));
            }
            f.engine.mailboxes().append("user/alice", TestStore.news(msgs, System.currentTimeMillis(), 0));
            f.engine.mailboxes().create("user/alice/Work");
            f.engine.mailboxes().append("user/alice/Work", TestStore.news(List.of(TestStore.message("work", "w\r\n")),
                    System.currentTimeMillis(), 0));
            Path work = dir.resolve("mbsync");
            List<String> sync = List.of("bash", script("mbsync_roundtrip.sh").toString(), "127.0.0.1", Integer.toString(f.port()), "alice",
                    ImapFixture.PASSWORD, work.toString());

            Run r = run(sync);
            assertThat(r.exit()).as(r.out()).isZero();
            Path inbox = work.resolve("maildir/INBOX");
            assertThat(mails(inbox)).hasSize(3);
            assertThat(mails(work.resolve("maildir/Work"))).hasSize(1);

            // near side: a new message, one read, one deleted
            List<Path> local = mails(inbox);
            Files.writeString(inbox.resolve("new").resolve("1700000000.local1.host"),
                    "From: me@example.com\r\nSubject: from the maildir\r\n\r\nwritten locally\r\n");
            Path read = local.get(0);
            Files.move(read, inbox.resolve("cur").resolve(read.getFileName().toString().replaceAll(":2,.*$", "") + ":2,S"));
            Files.delete(local.get(1));
            // far side: a new message
            f.engine.mailboxes().append("user/alice", TestStore.news(List.of(TestStore.message("server new", "late\r\n")),
                    System.currentTimeMillis(), 0));

            r = run(sync);
            assertThat(r.exit()).as(r.out()).isZero();
            var snap = f.engine.mailboxes().snapshot("user/alice");
            assertThat(snap.records()).hasSize(4); // 3 - 1 deleted + 1 from the maildir + 1 from the server
            assertThat(snap.records().stream().filter(x -> x.seen())).hasSize(1);
            assertThat(f.engine.mailboxes().get("user/alice").expunged()).isEqualTo(1);
            List<String> subjects = new ArrayList<>();
            f.engine.mailboxes().fetch("user/alice", UidSet.parse("1:*"), (rec, b) -> subjects.add(new String(b, StandardCharsets.UTF_8)));
            assertThat(String.join("\n", subjects)).contains("Subject: from the maildir");
            assertThat(mails(inbox)).hasSize(4);
            assertThat(mails(inbox).stream().map(ImapRealClientsTest::read)).anyMatch(s -> s.contains("Subject: server new"));
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Path> mails(Path maildir) throws Exception {
        List<Path> out = new ArrayList<>();
        for (String sub : new String[] {"cur", "new"}) {
            Path d = maildir.resolve(sub);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    s.sorted().forEach(out::add);
                }
            }
        }
        return out;
    }
}
