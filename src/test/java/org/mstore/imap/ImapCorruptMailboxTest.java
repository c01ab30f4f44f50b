package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.classic.ClassicBackend;
import org.mstore.testing.TestStore;

/** The seed's self-healing met by a client: NO, the two log lines under imapd's name, one Repair, healed, SELECT works. */
class ImapCorruptMailboxTest {
    @TempDir
    Path dir;

    @Test
    void a_missing_index_answers_no_logs_the_seeds_lines_queues_one_repair_and_heals() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            f.engine.mailboxes().append("user/alice", TestStore.news(List.of(TestStore.message("a", "x\r\n"),
                    TestStore.message("b", "y\r\n")), System.currentTimeMillis(), 0));
            Path idx = ((ClassicBackend) f.engine.backend()).directory(f.engine.mailboxes().get("user/alice")).resolve("store.idx");
            Files.delete(idx);

            List<String> r = c.command("SELECT INBOX");
            assertThat(RawImap.last(r)).startsWith("t2 NO").contains("user/alice: Mailbox has an invalid format; repair requested");
            r = c.command("SELECT INBOX"); // a second try queues no second Repair
            assertThat(RawImap.last(r)).contains(" NO ");

            long pid = ProcessHandle.current().pid();
            List<String> log = Files.readAllLines(f.engine.info().logFile());
            assertThat(log).anyMatch(l -> l.matches("\\[.*\\] \\S+ imapd\\[" + pid
                    + "\\]: Store Critical: Unable to open mailbox user/alice: Mailbox does not exist"));
            assertThat(log).anyMatch(l -> l.matches("\\[.*\\] \\S+ imapd\\[" + pid
                    + "\\]: Store Error: user/alice: Mailbox has an invalid format; repair requested"));
            List<QueueEntry> q = f.engine.queue().entriesAfter(0, 100);
            assertThat(q).hasSize(1);
            assertThat(q.get(0).action()).isEqualTo(Action.REPAIR);
            assertThat(q.get(0).mailbox()).isEqualTo("user/alice");

            f.engine.daemon().drain(); // impurge repairs it

            r = c.ok("SELECT INBOX");
            assertThat(r).contains("* 2 EXISTS");
            assertThat(c.ok("FETCH 1:* (UID BODY.PEEK[TEXT])")).anyMatch(l -> l.contains("x"));
        }
    }

    @Test
    void a_damaged_message_met_by_fetch_answers_no_and_queues_a_repair() throws Exception {
        try (ImapFixture f = ImapFixture.start(dir); RawImap c = f.login()) {
            f.engine.mailboxes().append("user/alice", TestStore.news(List.of(TestStore.message("a", "hello\r\n")),
                    System.currentTimeMillis(), 0));
            c.ok("SELECT INBOX");
            Path dirOf = ((ClassicBackend) f.engine.backend()).directory(f.engine.mailboxes().get("user/alice"));
            try (var files = Files.walk(dirOf)) {
                Path msg = files.filter(p -> p.toString().endsWith(".msg")).findFirst().orElseThrow();
                Files.writeString(msg, "short");
            }
            List<String> r = c.command("FETCH 1 BODY[]");
            assertThat(RawImap.last(r)).contains(" NO ").contains("repair requested");
            assertThat(f.engine.queue().find("user/alice", Action.REPAIR)).isPresent();
        }
    }
}
