package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.testing.TestStore;

/** The seed's rule for a second client: imap.immediateflagupdate decides whether it sees a flag change at once. */
class ImapTwoSessionsTest {
    @TempDir
    Path dir;

    private static void append(ImapFixture f, int n) throws Exception {
        List<byte[]> msgs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            msgs.add(TestStore.message("m" + i, "body " + i + "\r\n"));
        }
        f.engine.mailboxes().append("user/alice", TestStore.news(msgs, System.currentTimeMillis(), 0));
    }

    /** Lines that arrive within {@code millis}. */
    private static List<String> drain(RawImap c, int millis) throws Exception {
        List<String> out = new ArrayList<>();
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            String l = c.poll(100);
            if (l != null) {
                out.add(l);
            }
        }
        return out;
    }

    @Test
    void with_immediateflagupdate_a_flag_change_and_an_expunge_reach_an_idling_session_at_once() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, true, c -> c); RawImap a = f.login(); RawImap b = f.login()) {
            append(f, 3);
            a.ok("SELECT INBOX");
            b.ok("SELECT INBOX");
            b.send("i1 IDLE");
            assertThat(b.readLine()).startsWith("+");
            a.ok("STORE 1 +FLAGS (\\Deleted)");
            assertThat(drain(b, 1500)).contains("* 1 FETCH (UID 1 FLAGS (\\Deleted))");
            a.ok("EXPUNGE");
            assertThat(drain(b, 1500)).contains("* 1 EXPUNGE");
            b.send("DONE");
            assertThat(RawImap.last(b.until("i1"))).startsWith("i1 OK");
            assertThat(b.ok("FETCH 1:* (UID)")).contains("* 1 FETCH (UID 2)", "* 2 FETCH (UID 3)");
        }
    }

    @Test
    void with_immediateflagupdate_a_flag_change_reaches_a_selected_session_between_commands() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, true, c -> c); RawImap a = f.login(); RawImap b = f.login()) {
            append(f, 2);
            a.ok("SELECT INBOX");
            b.ok("SELECT INBOX");
            a.ok("STORE 2 +FLAGS (\\Flagged)");
            assertThat(drain(b, 1000)).contains("* 2 FETCH (UID 2 FLAGS (\\Flagged))");
        }
    }

    @Test
    void without_immediateflagupdate_the_other_session_hears_of_it_at_its_next_command() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c); RawImap a = f.login(); RawImap b = f.login()) {
            append(f, 3);
            a.ok("SELECT INBOX");
            b.ok("SELECT INBOX");
            b.send("i1 IDLE");
            assertThat(b.readLine()).startsWith("+");
            a.ok("STORE 1 +FLAGS (\\Deleted)");
            a.ok("EXPUNGE");
            assertThat(drain(b, 1500)).as("nothing during IDLE").isEmpty();
            b.send("DONE");
            List<String> done = b.until("i1");
            assertThat(done).contains("* 1 EXPUNGE");
            assertThat(RawImap.last(done)).startsWith("i1 OK");
        }
    }

    @Test
    void without_immediateflagupdate_a_flag_change_waits_for_noop() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c); RawImap a = f.login(); RawImap b = f.login()) {
            append(f, 2);
            a.ok("SELECT INBOX");
            b.ok("SELECT INBOX");
            a.ok("STORE 2 +FLAGS (\\Seen)");
            assertThat(drain(b, 800)).isEmpty();
            assertThat(b.ok("NOOP")).contains("* 2 FETCH (UID 2 FLAGS (\\Seen))");
        }
    }

    @Test
    void new_mail_reaches_an_idling_session_whatever_the_setting() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c); RawImap b = f.login()) {
            append(f, 1);
            b.ok("SELECT INBOX");
            b.send("i1 IDLE");
            assertThat(b.readLine()).startsWith("+");
            append(f, 2); // as another process (the CLI, lmtpd) would: heard through the store's change feed
            assertThat(drain(b, 2000)).contains("* 3 EXISTS");
            b.send("DONE");
            assertThat(RawImap.last(b.until("i1"))).startsWith("i1 OK");
        }
    }

    @Test
    void a_change_by_another_process_is_seen_at_the_next_command() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c); RawImap b = f.login()) {
            append(f, 3);
            b.ok("SELECT INBOX");
            try (org.mstore.engine.Engine cli = org.mstore.engine.Engine.open(f.root, org.mstore.api.OpenOptions.cli("imapd"))) {
                cli.mailboxes().setDeleted("user/alice", org.mstore.api.UidSet.parse("2"), true);
                cli.mailboxes().expunge("user/alice");
            }
            Thread.sleep(700); // the change feed is polled every 250 ms
            List<String> r = b.ok("NOOP");
            assertThat(r).contains("* 2 EXPUNGE");
        }
    }

    private static void appendTo(ImapFixture f, String mailbox, int n) throws Exception {
        List<byte[]> msgs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            msgs.add(TestStore.message("m" + i, "body " + i + "\r\n"));
        }
        f.engine.mailboxes().append(mailbox, TestStore.news(msgs, System.currentTimeMillis(), 0));
    }

    // RFC 2180 3.4: a rename keeps the mailbox (its UIDs and UID validity), so the session stays on it under its new name;
    // a deletion ends the session (RFC 2180 3.3). Either is told as what it is.

    @Test
    void a_rename_of_the_selected_mailbox_by_another_process_is_announced_as_a_rename() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c); RawImap b = f.login()) {
            f.engine.mailboxes().create("user/alice/a");
            appendTo(f, "user/alice/a", 2);
            b.ok("SELECT a");
            try (org.mstore.engine.Engine cli = org.mstore.engine.Engine.open(f.root, org.mstore.api.OpenOptions.cli("mboxutil"))) {
                cli.mailboxes().rename("user/alice/a", "user/alice/b");
            }
            Thread.sleep(700); // the change feed is polled every 250 ms
            List<String> r = b.ok("UID FETCH 1:* (UID FLAGS BODY.PEEK[TEXT])");
            assertThat(r).as("the session is told the new name and stays on the same messages, their content included")
                    .contains("* OK The selected mailbox was renamed to \"b\" by another client; it stays selected under its new name",
                            "* 1 FETCH (UID 1 FLAGS () BODY[TEXT] {8}\r\nbody 0\r\n)",
                            "* 2 FETCH (UID 2 FLAGS () BODY[TEXT] {8}\r\nbody 1\r\n)")
                    .noneMatch(l -> l.startsWith("* BYE") || l.contains("deleted"));
            b.ok("STORE 2 +FLAGS (\\Seen)");
            assertThat(f.engine.mailboxes().records("user/alice/b", org.mstore.api.UidSet.parse("2")).get(0).flags()
                    & org.mstore.api.Flags.SEEN).isNotZero();
            assertThat(b.ok("NOOP")).as("said once").hasSize(1);
        }
    }

    @Test
    void a_deletion_of_the_selected_mailbox_by_another_process_is_announced_as_a_deletion() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c); RawImap b = f.login()) {
            f.engine.mailboxes().create("user/alice/a");
            appendTo(f, "user/alice/a", 2);
            b.ok("SELECT a");
            try (org.mstore.engine.Engine cli = org.mstore.engine.Engine.open(f.root, org.mstore.api.OpenOptions.cli("mboxutil"))) {
                cli.mailboxes().delete("user/alice/a");
            }
            Thread.sleep(700);
            List<String> r = b.command("NOOP");
            assertThat(r).containsExactly("* BYE The selected mailbox was deleted", "<closed>");
        }
    }

    @Test
    void an_idling_session_follows_a_rename_of_its_mailbox_by_another_session_and_hears_of_new_mail_in_it() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c); RawImap a = f.login(); RawImap b = f.login()) {
            f.engine.mailboxes().create("user/alice/Work");
            appendTo(f, "user/alice/Work", 2);
            b.ok("SELECT Work");
            b.send("i1 IDLE");
            assertThat(b.readLine()).startsWith("+");
            a.ok("RENAME Work Job");
            assertThat(drain(b, 2000)).containsExactly(
                    "* OK The selected mailbox was renamed to \"Job\" by another client; it stays selected under its new name");
            appendTo(f, "user/alice/Job", 1);
            assertThat(drain(b, 2000)).contains("* 3 EXISTS");
            b.send("DONE");
            assertThat(RawImap.last(b.until("i1"))).startsWith("i1 OK");
            assertThat(b.ok("UID FETCH 3 (UID)")).contains("* 3 FETCH (UID 3)");
        }
    }

    @Test
    void a_deletion_of_the_selected_mailbox_reaches_an_idling_session_at_once() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir, false, c -> c); RawImap a = f.login(); RawImap b = f.login()) {
            f.engine.mailboxes().create("user/alice/Work");
            appendTo(f, "user/alice/Work", 1);
            b.ok("SELECT Work");
            b.send("i1 IDLE");
            assertThat(b.readLine()).startsWith("+");
            a.ok("DELETE Work");
            assertThat(drain(b, 2000)).containsExactly("* BYE The selected mailbox was deleted");
            b.socket.setSoTimeout(3000);
            assertThat(b.in.read()).as("the connection is closed").isEqualTo(-1);
        }
    }
}
