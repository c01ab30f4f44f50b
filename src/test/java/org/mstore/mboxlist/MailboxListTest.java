package org.mstore.mboxlist;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.MailboxInfo;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.TaskResult;
import org.mstore.db.Database;
import org.mstore.engine.Engine;
import org.mstore.store.ClassicStore;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxIndex;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/** SPEC §2: one mboxlist row per mailbox, with every field; rebuilt from the partitions when lost. */
class MailboxListTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private long totalSize(String box) throws Exception {
        try (Mailbox mb = s.open(box)) {
            return mb.index().header().totalSize();
        }
    }

    @Test
    void the_mboxlist_has_a_row_per_mailbox_with_every_field() throws Exception {
        Instant t0 = s.clock.instant();
        s.mailbox(BOX);
        MailboxInfo created = s.info(BOX);
        assertThat(created).isEqualTo(new MailboxInfo(BOX, "primary", t0.getEpochSecond(), 1, 0, 0, 0, 0, 0, t0, null, null, null, null));

        s.append(BOX, 10);
        MailboxInfo appended = s.info(BOX);
        assertThat(appended.nextUid()).isEqualTo(11);
        assertThat(appended.messageCount()).isEqualTo(10);
        assertThat(appended.sizeBytes()).isEqualTo(totalSize(BOX)).isPositive();
        assertThat(appended.cacheRecords()).isEqualTo(10);

        s.clock.advance(Duration.ofMinutes(1));
        Instant expungedAt = s.clock.instant();
        s.expunge(BOX, "1:4");
        s.clock.advance(Duration.ofMinutes(1));
        Instant cleanedAt = s.clock.instant();
        s.requestAndDrain(BOX, Action.CLEAN);
        s.clock.advance(Duration.ofMinutes(1));
        s.requestAndDrain(BOX, Action.REMOVE);
        MailboxInfo removed = s.info(BOX);
        assertThat(removed.cacheRecords()).isEqualTo(10);
        assertThat(removed.cacheExpunged()).isEqualTo(4);
        assertThat(removed.cacheExpungedPercent()).isEqualTo(40.0);
        s.clock.advance(Duration.ofMinutes(1));
        Instant purgedAt = s.clock.instant();
        s.requestAndDrain(BOX, Action.PURGE);
        s.clock.advance(Duration.ofMinutes(1));
        Instant repairedAt = s.clock.instant();
        s.requestAndDrain(BOX, Action.REPAIR);
        s.expunge(BOX, "5");

        assertThat(s.info(BOX)).isEqualTo(new MailboxInfo(BOX, "primary", t0.getEpochSecond(), 11, 5, totalSize(BOX), 1, 6, 0, t0,
                repairedAt, cleanedAt, purgedAt, repairedAt));
        assertThat(s.engine.mailboxes().list()).extracting(MailboxInfo::name).containsExactly(BOX);
        assertThat(expungedAt).isBefore(repairedAt);
    }

    @Test
    void every_mailbox_has_its_own_row_and_a_deleted_one_has_none() throws Exception {
        s.mailbox("user/alice/Trash");
        s.mailbox("user/alice/Trash/Old");
        Files.createDirectories(s.root.resolve("partition/second")); // an administrator adds a partition
        s.engine.mailboxes().create("user/bob", "second");
        assertThat(s.engine.mailboxes().list()).extracting(MailboxInfo::name, MailboxInfo::partition).containsExactly(
                tuple("user/alice", "primary"), tuple("user/alice/Trash", "primary"), tuple("user/alice/Trash/Old", "primary"),
                tuple("user/bob", "second"));
        assertThat(s.dir("user/bob")).startsWith(s.root.resolve("partition").resolve("second"));
        s.engine.mailboxes().delete("user/alice/Trash");
        assertThat(s.engine.mailboxes().list()).extracting(MailboxInfo::name).containsExactly("user/alice", "user/bob");
    }

    @Test
    void the_mboxlist_is_rebuilt_from_the_partitions_after_it_is_lost() throws Exception {
        s.mailbox(BOX);
        s.mailbox("user/alice/Sent");
        Files.createDirectories(s.root.resolve("partition/second")); // an administrator adds a partition
        s.engine.mailboxes().create("user/bob", "second");
        s.append(BOX, 12);
        s.append("user/alice/Sent", 3);
        s.append("user/bob", 4);
        s.expunge(BOX, "1:3");
        s.requestAndDrain(BOX, Action.CLEAN);
        s.requestAndDrain(BOX, Action.REMOVE);
        s.expunge(BOX, "4:5"); // two more waiting in store.exp
        s.expunge("user/bob", "4"); // and UID 4 was the last: next UID stays 5
        List<MailboxInfo> before = s.engine.mailboxes().list();
        s.engine.close();
        ClassicStore.deleteRecursively(s.root.resolve(Database.DIR)); // the mboxlist is lost

        try (Engine e = Engine.openForRebuild(s.root, TestStore.options(s.clock))) {
            assertThat(e.mailboxes().list()).isEmpty();
            assertThat(e.maintenance().rebuildMailboxList()).isEqualTo(3);
            assertThat(e.mailboxes().list()).usingRecursiveFieldByFieldElementComparatorOnFields("name", "partition", "uidValidity",
                    "nextUid", "messageCount", "sizeBytes", "expunged", "cacheRecords", "cacheExpunged").isEqualTo(before);
            assertThat(e.mailboxes().get(BOX).expunged()).isEqualTo(2);
            assertThat(e.mailboxes().get(BOX).cacheExpunged()).isEqualTo(3);
            assertThat(e.mailboxes().get("user/bob").nextUid()).isEqualTo(5);
            assertThat(e.queue().count()).isZero();
            // the store works on the rebuilt list
            assertThat(new String(e.mailboxes().fetch(BOX, 12))).contains("Body 11");
        }
    }

    @Test
    void a_mailbox_that_cannot_be_read_is_listed_and_queued_for_repair_by_the_rebuild() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 5);
        long uidValidity = s.info(BOX).uidValidity();
        Files.delete(s.dir(BOX).resolve(MailboxIndex.FILE));
        s.engine.close();
        ClassicStore.deleteRecursively(s.root.resolve(Database.DIR));
        s.clock.advance(Duration.ofMinutes(5));
        try (Engine e = Engine.openForRebuild(s.root, TestStore.options(s.clock))) {
            assertThat(e.maintenance().rebuildMailboxList()).isEqualTo(1);
            assertThat(e.queue().entriesAfter(0, 10)).extracting(QueueEntry::mailbox, QueueEntry::action)
                    .containsExactly(tuple(BOX, Action.REPAIR));
            List<TaskResult> r = e.daemon().drain();
            assertThat(r).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
            assertThat(e.mailboxes().get(BOX).messageCount()).isEqualTo(5);
            assertThat(e.mailboxes().get(BOX).uidValidity()).isEqualTo(uidValidity); // the cache still knew it
        }
    }

    @Test
    void rebuilding_the_mboxlist_requeues_the_work_the_lost_queue_held() throws Exception {
        s.mailbox(BOX);
        s.mailbox("user/bob");
        s.append(BOX, 6);
        s.append("user/bob", 4);
        s.expunge(BOX, "1:2");
        s.requestAndDrain(BOX, Action.CLEAN); // a Remove waits for store.cleanupage
        Instant cleanedAt = s.clock.instant();
        s.engine.settings().set(org.mstore.api.Setting.CLEANUP_SIZE, "1");
        s.expunge("user/bob", "1:3"); // a Clean is due
        assertThat(s.queue()).extracting(QueueEntry::mailbox, QueueEntry::action)
                .containsExactly(tuple(BOX, Action.REMOVE), tuple("user/bob", Action.CLEAN));
        s.engine.close();
        ClassicStore.deleteRecursively(s.root.resolve(Database.DIR)); // the list and the queue are lost with it
        try (Engine e = Engine.openForRebuild(s.root, TestStore.options(s.clock))) {
            e.settings().set(org.mstore.api.Setting.CLEANUP_SIZE, "1");
            e.maintenance().rebuildMailboxList();
            assertThat(e.queue().entriesAfter(0, 10)).extracting(QueueEntry::mailbox, QueueEntry::action, QueueEntry::timestamp)
                    .containsExactlyInAnyOrder(tuple(BOX, Action.REMOVE, cleanedAt), tuple("user/bob", Action.CLEAN, s.clock.instant()));
            s.clock.advance(Duration.ofHours(1));
            assertThat(e.daemon().drain()).extracting(TaskResult::outcome).containsOnly(Outcome.DONE).hasSize(2);
            assertThat(Mailbox.messageFile(((org.mstore.classic.ClassicBackend) e.backend()).directory(e.mailboxes().get(BOX)), 1)).doesNotExist();
        }
    }
}
