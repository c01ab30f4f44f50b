package org.mstore.purge;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.store.Mailbox;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's four removal steps, end to end on a real store. */
class RemovalLifecycleTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private List<QueueEntry> queue() {
        return s.engine.queue().entriesAfter(0, 1000);
    }

    @Test
    void clean_is_enqueued_when_expunged_exceeds_cleanupsize() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "10");
        s.append(BOX, 30);
        s.engine.mailboxes().setDeleted(BOX, UidSet.parse("1:10"), true);
        s.engine.mailboxes().expunge(BOX);
        assertThat(queue()).isEmpty();
        assertThat(s.info(BOX).expunged()).isEqualTo(10);

        s.engine.mailboxes().setDeleted(BOX, UidSet.parse("11"), true);
        s.engine.mailboxes().expunge(BOX);
        assertThat(queue()).extracting(QueueEntry::action).containsExactly(Action.CLEAN);
        assertThat(s.info(BOX).expunged()).isEqualTo(11);
    }

    @Test
    void full_cycle_removes_files_after_cleanupage_and_purges_the_cache() throws Exception {
        s.engine.settings().apply(java.util.Map.of(Setting.CLEANUP_SIZE, "5", Setting.PURGE_COUNT, "5", Setting.PURGE_PERCENTAGE, "10"));
        s.append(BOX, 40);
        s.engine.mailboxes().setDeleted(BOX, UidSet.parse("1:20"), true);
        s.engine.mailboxes().expunge(BOX);
        Path dir = s.dir(BOX);
        assertThat(Files.exists(Mailbox.messageFile(dir, 1))).isTrue();

        List<TaskResult> clean = s.engine.daemon().drain();
        assertThat(clean).extracting(r -> r.entry().action()).containsExactly(Action.CLEAN);
        assertThat(queue()).extracting(QueueEntry::action).containsExactly(Action.REMOVE);
        assertThat(s.info(BOX).expunged()).isZero();
        assertThat(Files.exists(dir.resolve("store.exp"))).isFalse();

        // not yet due: store.cleanupage is 1h by default
        s.clock.advance(Duration.ofMinutes(59));
        assertThat(s.engine.daemon().drain()).isEmpty();
        assertThat(Files.exists(Mailbox.messageFile(dir, 1))).isTrue();

        s.clock.advance(Duration.ofMinutes(2));
        List<TaskResult> rest = s.engine.daemon().drain();
        assertThat(rest).extracting(r -> r.entry().action()).containsExactly(Action.REMOVE, Action.PURGE);
        assertThat(Files.exists(Mailbox.messageFile(dir, 1))).isFalse();
        assertThat(Files.exists(Mailbox.messageFile(dir, 21))).isTrue();
        assertThat(s.info(BOX).cacheRecords()).isEqualTo(20);
        assertThat(s.info(BOX).cacheExpunged()).isZero();
        assertThat(queue()).isEmpty();
        // every remaining message still reads back
        for (int uid = 21; uid <= 40; uid++) {
            assertThat(new String(s.engine.mailboxes().fetch(BOX, uid))).contains("Body " + (uid - 1));
        }
    }

    @Test
    void repair_restores_every_message_after_the_index_is_deleted() throws Exception {
        s.append(BOX, 25);
        Files.delete(s.dir(BOX).resolve("store.idx"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 1))
                .hasMessageContaining("Mailbox has an invalid format; repair requested");
        assertThat(s.logLines()).anySatisfy(l -> assertThat(l).contains("Store Critical: Unable to open mailbox user/alice: Mailbox does not exist"));
        assertThat(s.logLines()).anySatisfy(l -> assertThat(l).endsWith("Store Error: user/alice: Mailbox has an invalid format; repair requested"));
        assertThat(queue()).extracting(QueueEntry::action).containsExactly(Action.REPAIR);

        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.logLines()).anySatisfy(l -> assertThat(l).contains(" impurge[").endsWith("General Notice: repairing user/alice"));
        for (int uid = 1; uid <= 25; uid++) {
            assertThat(new String(s.engine.mailboxes().fetch(BOX, uid))).contains("Body " + (uid - 1));
        }
    }
}
