package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Flags;
import org.mstore.api.UidSet;
import org.mstore.testing.TestStore;

/**
 * A session's own RENAME of the mailbox it has selected: it stays selected under its new name, as when another client
 * renames it (RFC 2180 3.4), and a RENAME of INBOX (which moves INBOX's messages away, RFC 3501 6.3.5) reports them
 * expunged to a session that has INBOX selected.
 */
class ImapOwnRenameTest {
    @TempDir
    Path dir;

    private static void appendTo(ImapFixture f, String mailbox, int n) throws Exception {
        List<byte[]> msgs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            msgs.add(TestStore.message("m" + i, "body " + i + "\r\n"));
        }
        f.engine.mailboxes().append(mailbox, TestStore.news(msgs, System.currentTimeMillis(), 0));
    }

    private static String uidValidity(List<String> select) {
        return select.stream().filter(l -> l.startsWith("* OK [UIDVALIDITY ")).findFirst().orElseThrow().split(" ")[3].replace("]", "");
    }

    @Test
    void a_session_that_renames_its_selected_mailbox_keeps_it_selected() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            f.engine.mailboxes().create("user/alice/Work");
            appendTo(f, "user/alice/Work", 3);
            String validity = uidValidity(c.ok("SELECT Work"));

            List<String> renamed = c.ok("RENAME Work Job");
            assertThat(renamed).as("only the tagged OK: no BYE, no 'renamed by another client'").hasSize(1);
            assertThat(c.ok("STATUS Job (UIDVALIDITY)")).contains("* STATUS \"Job\" (UIDVALIDITY " + validity + ")");
            assertThat(c.ok("UID FETCH 1:* (UID FLAGS BODY.PEEK[TEXT])")).as("the same messages, with their UIDs")
                    .contains("* 1 FETCH (UID 1 FLAGS () BODY[TEXT] {8}\r\nbody 0\r\n)",
                            "* 2 FETCH (UID 2 FLAGS () BODY[TEXT] {8}\r\nbody 1\r\n)",
                            "* 3 FETCH (UID 3 FLAGS () BODY[TEXT] {8}\r\nbody 2\r\n)");
            c.ok("STORE 2 +FLAGS (\\Seen)");
            assertThat(f.engine.mailboxes().records("user/alice/Job", UidSet.parse("2")).get(0).flags() & Flags.SEEN).isNotZero();
            c.ok("STORE 1 +FLAGS (\\Deleted)");
            assertThat(c.ok("EXPUNGE")).contains("* 1 EXPUNGE");
            assertThat(f.engine.mailboxes().get("user/alice/Job").messageCount()).isEqualTo(2);

            appendTo(f, "user/alice/Job", 1);
            Thread.sleep(700); // the change feed is polled every 250 ms
            assertThat(c.ok("NOOP")).as("new mail under the new name reaches the session").contains("* 3 EXISTS");
            assertThat(c.ok("UID FETCH 4 (UID)")).contains("* 3 FETCH (UID 4)");
            assertThat(c.ok("NOOP")).noneMatch(l -> l.contains("renamed"));
        }
    }

    @Test
    void a_session_that_renames_a_parent_of_its_selected_mailbox_keeps_it_selected() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            f.engine.mailboxes().create("user/alice/Work");
            f.engine.mailboxes().create("user/alice/Work/Projects");
            appendTo(f, "user/alice/Work/Projects", 2);
            c.ok("SELECT Work/Projects");

            assertThat(c.ok("RENAME Work Job")).hasSize(1);
            c.ok("STORE 2 +FLAGS (\\Flagged)");
            assertThat(f.engine.mailboxes().records("user/alice/Job/Projects", UidSet.parse("2")).get(0).flags() & Flags.FLAGGED)
                    .isNotZero();
            assertThat(c.ok("FETCH 1:* (UID)")).contains("* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)");
        }
    }

    @Test
    void a_session_that_renames_inbox_while_it_is_selected_sees_its_messages_expunged() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            appendTo(f, "user/alice", 3);
            String validity = uidValidity(c.ok("SELECT INBOX"));

            List<String> renamed = c.ok("RENAME INBOX Old");
            assertThat(renamed).as("INBOX stays selected and empty: its messages moved to Old")
                    .containsExactly("* 3 EXPUNGE", "* 2 EXPUNGE", "* 1 EXPUNGE", RawImap.last(renamed));
            assertThat(f.engine.mailboxes().get("user/alice/Old").messageCount()).isEqualTo(3);
            assertThat(f.engine.mailboxes().get("user/alice").messageCount()).isZero();
            assertThat(c.ok("NOOP")).hasSize(1);

            appendTo(f, "user/alice", 1);
            Thread.sleep(700); // the change feed is polled every 250 ms
            assertThat(c.ok("NOOP")).contains("* 1 EXISTS");
            assertThat(c.ok("UID FETCH 1:* (UID)")).contains("* 1 FETCH (UID 4)");
            assertThat(c.ok("STATUS INBOX (UIDVALIDITY)")).contains("* STATUS \"INBOX\" (UIDVALIDITY " + validity + ")");
        }
    }
}
