package org.mstore.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.ActionFigures;
import org.mstore.api.HistoryEntry;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueRequest;
import org.mstore.api.Setting;
import org.mstore.api.TaskResult;
import org.mstore.store.MailboxIndex;
import org.mstore.testing.Disk;
import org.mstore.testing.TestStore;

/**
 * Issue 7, item 2: an entry keeps why it was queued (with the figures of that moment), the process that queued it and
 * when it was first queued, for its life and in its history row; forcing it and a Repair's re-stamp change none of them.
 */
class EntryReasonTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.mailbox("user/bob");
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private MaintenanceQueue q() {
        return (MaintenanceQueue) s.engine.backend().queue();
    }

    @Test
    void run_now_keeps_the_reason_an_entry_was_queued_for() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "2");
        s.append(BOX, 5);
        Instant queued = s.clock.instant();
        s.expunge(BOX, "1:3"); // Expunged 3 > store.cleanupsize 2: the expunge queues a Clean
        QueueEntry clean = q().find(BOX, Action.CLEAN).orElseThrow();
        assertThat(clean.reason()).isEqualTo("Expunged 3 > store.cleanupsize 2");
        assertThat(clean.queuedBy()).isEqualTo(QueueRequest.process("test"));
        assertThat(clean.queuedAt()).isEqualTo(queued);

        s.clock.advance(Duration.ofMinutes(10));
        s.engine.queue().request(BOX, Action.CLEAN); // Clean now on the waiting entry: forced, the reason stays
        QueueEntry forced = q().get(clean.recno()).orElseThrow();
        assertThat(forced.forced()).isTrue();
        assertThat(forced).extracting(QueueEntry::reason, QueueEntry::queuedBy, QueueEntry::queuedAt)
                .containsExactly("Expunged 3 > store.cleanupsize 2", QueueRequest.process("test"), queued);

        List<TaskResult> r = s.engine.daemon().runNow(List.of(clean.recno()));
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        HistoryEntry h = s.engine.queue().finished(clean.recno()).orElseThrow();
        assertThat(h.entry().forced()).isTrue();
        assertThat(h.entry()).extracting(QueueEntry::reason, QueueEntry::queuedBy, QueueEntry::queuedAt)
                .containsExactly("Expunged 3 > store.cleanupsize 2", QueueRequest.process("test"), queued);
        // the Remove that the Clean queued says so
        assertThat(q().find(BOX, Action.REMOVE).orElseThrow().reason()).startsWith("a Clean renamed store.exp to store.exp.");
    }

    @Test
    void an_administrators_request_is_its_reason() {
        s.engine.queue().request("user/bob", Action.PURGE);
        assertThat(q().find("user/bob", Action.PURGE).orElseThrow().reason()).isEqualTo("Purge now by an administrator");
    }

    @Test
    void the_reason_of_a_self_healing_repair_names_the_corruption() throws Exception {
        s.append(BOX, 3);
        Disk.flipByte(s.dir(BOX).resolve(MailboxIndex.FILE), MailboxIndex.HEADER_SIZE + MailboxIndex.RECORD_SIZE + 5);
        String found = null;
        try {
            s.engine.mailboxes().fetch(BOX, 1);
        } catch (MailboxFormatException e) {
            found = e.getMessage();
        }
        assertThat(found).isNotNull();
        QueueEntry repair = q().find(BOX, Action.REPAIR).orElseThrow();
        assertThat(repair.reason()).startsWith("Mailbox has an invalid format: ");
        // what the open found wrong, as the exception (and the log line) says it
        String detail = repair.reason().substring("Mailbox has an invalid format: ".length());
        assertThat(detail).isNotBlank().isNotEqualTo("null");
        assertThat(found).contains(detail);
    }

    @Test
    void a_re_stamped_repair_keeps_when_it_was_first_queued() throws Exception {
        s.append(BOX, 3);
        Disk.flipByte(s.dir(BOX).resolve(MailboxIndex.FILE), MailboxIndex.HEADER_SIZE + MailboxIndex.RECORD_SIZE + 5);
        Instant first = s.clock.instant();
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 1)).isInstanceOf(MailboxFormatException.class);
        s.clock.advance(Duration.ofHours(1));
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 1)).isInstanceOf(MailboxFormatException.class);

        QueueEntry repair = q().find(BOX, Action.REPAIR).orElseThrow();
        assertThat(repair.timestamp()).isEqualTo(s.clock.instant()); // re-stamped: impurge skips it only if repaired after this
        assertThat(repair.queuedAt()).isEqualTo(first);
        // the Purge daemon view's "oldest waiting" counts from when it was first queued: an hour, not a moment
        ActionFigures f = s.engine.queue().figures().stream().filter(a -> a.action() == Action.REPAIR).findFirst().orElseThrow();
        assertThat(f.oldestDue()).contains(first);
        assertThat(q().oldestDue(s.engine.info().features(), Duration.ofHours(1))).containsEntry(Action.REPAIR, first);
    }
}
