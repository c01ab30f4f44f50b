package org.mstore.mailbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.MailboxInfo;
import org.mstore.store.ClassicStore;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Deleting a mailbox deletes every mailbox below it wherever its partition is: a sub-mailbox's directory nests under
 * its parent's only when both are in the same partition, and one left in another partition would be listed again,
 * with the deleted mail, by {@code reconstruct --mboxlist}.
 */
class DeleteAcrossPartitionsTest {
    static final String SECONDARY = "secondary";
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        Files.createDirectories(s.root.resolve(ClassicStore.PARTITIONS).resolve(SECONDARY)); // an administrator adds a partition
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private void create(String name, String partition) throws Exception {
        s.engine.mailboxes().create(name, partition);
    }

    /** Every message file and index left anywhere in the store's partitions. */
    private List<Path> storeFilesLeft() throws Exception {
        try (Stream<Path> files = Files.walk(s.root.resolve(ClassicStore.PARTITIONS))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".msg") || f.getFileName().toString().equals("store.idx"))
                    .toList();
        }
    }

    @Test
    void deleting_a_mailbox_deletes_its_sub_mailboxes_in_other_partitions() throws Exception {
        create("user/p1", SECONDARY);
        create("user/p1/G", ClassicStore.DEFAULT_PARTITION);
        create("user/p1/G/H", SECONDARY);
        s.append("user/p1", 1);
        s.append("user/p1/G", 2);
        s.append("user/p1/G/H", 1);

        assertThat(s.engine.mailboxes().delete("user/p1")).containsExactlyInAnyOrder("user/p1", "user/p1/G", "user/p1/G/H");

        assertThat(storeFilesLeft()).isEmpty();
        assertThat(s.engine.mailboxes().list()).isEmpty();
        // the name is free again: storage holds nothing of the deleted mailboxes
        create("user/p1", SECONDARY);
        create("user/p1/G", ClassicStore.DEFAULT_PARTITION);
        assertThat(s.info("user/p1/G").messageCount()).isZero();
    }

    @Test
    void a_delete_waits_for_a_change_under_way_in_a_sub_mailbox_before_its_directory_goes() throws Exception {
        create("user/p1", ClassicStore.DEFAULT_PARTITION);
        create("user/p1/G", SECONDARY);
        s.append("user/p1/G", 2);
        List<Path> before = storeFilesLeft();
        java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        Thread deleter = new Thread(() -> {
            try {
                outcome.set(s.engine.mailboxes().delete("user/p1"));
            } catch (Exception e) {
                outcome.set(e);
            }
        }, "deleter");
        try (AutoCloseable appendUnderWay = s.engine.context().storage().lock(s.info("user/p1/G"))) {
            deleter.start();
            org.mstore.testing.Await.until(java.time.Duration.ofSeconds(20), "the delete to wait for the sub-mailbox's lock",
                    () -> deleter.getState() == Thread.State.TIMED_WAITING || deleter.getState() == Thread.State.TERMINATED);
            assertThat(deleter.getState()).isEqualTo(Thread.State.TIMED_WAITING);
            assertThat(storeFilesLeft()).containsExactlyInAnyOrderElementsOf(before);
        }
        deleter.join(20_000);
        assertThat(outcome.get()).isEqualTo(List.of("user/p1", "user/p1/G"));
        assertThat(storeFilesLeft()).isEmpty();
    }

    @Test
    void deleting_a_folder_deletes_its_sub_folders_in_other_partitions_and_nothing_else() throws Exception {
        create("user/p1", ClassicStore.DEFAULT_PARTITION);
        create("user/p1/A", SECONDARY);
        create("user/p1/A/B", ClassicStore.DEFAULT_PARTITION);
        create("user/p1/Keep", SECONDARY);
        create("user/p2", SECONDARY);
        s.append("user/p1", 2);
        s.append("user/p1/A", 1);
        s.append("user/p1/A/B", 3);
        s.append("user/p1/Keep", 2);
        s.append("user/p2", 1);

        assertThat(s.engine.mailboxes().delete("user/p1/A")).containsExactlyInAnyOrder("user/p1/A", "user/p1/A/B");

        assertThat(Path.of(s.dir("user/p1").toString(), "folders", "A")).doesNotExist();
        assertThat(s.engine.mailboxes().subtree("user/p1")).extracting(MailboxInfo::name)
                .containsExactly("user/p1", "user/p1/Keep");
        // the mailboxes not deleted keep every message
        assertThat(new String(s.engine.mailboxes().fetch("user/p1", 2))).contains("Body 1");
        assertThat(new String(s.engine.mailboxes().fetch("user/p1/Keep", 2))).contains("Body 1");
        assertThat(new String(s.engine.mailboxes().fetch("user/p2", 1))).contains("Body 0");
        assertThat(storeFilesLeft()).hasSize(3 + 3 + 2); // user/p1, user/p1/Keep and user/p2: their messages and indexes
    }

    @Test
    void reconstruct_mboxlist_never_brings_back_a_deleted_sub_mailbox_of_another_partition() throws Exception {
        create("user/p1", SECONDARY);
        create("user/p1/G", ClassicStore.DEFAULT_PARTITION);
        create("user/p1/A", SECONDARY);
        create("user/p1/A/B", ClassicStore.DEFAULT_PARTITION);
        create("user/p2", ClassicStore.DEFAULT_PARTITION);
        s.append("user/p1/G", 1);
        s.append("user/p1/A/B", 2);
        s.append("user/p2", 1);
        s.engine.mailboxes().delete("user/p1/A");
        s.engine.mailboxes().delete("user/p1");

        assertThat(s.engine.maintenance().rebuildMailboxList()).isEqualTo(1);

        assertThat(s.engine.mailboxes().list()).extracting(MailboxInfo::name, MailboxInfo::partition, MailboxInfo::messageCount)
                .containsExactly(tuple("user/p2", ClassicStore.DEFAULT_PARTITION, 1L));
    }
}
