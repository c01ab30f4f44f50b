package org.mstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.engine.Engine;
import org.mstore.testing.TestStore;

/**
 * The index lost and the mailbox list put back from a backup older than the newest messages, which were expunged and
 * removed since: the Repair rebuilt the next UID from the message files and the list, and the next append took a UID
 * that had named another message (RFC 3501 §2.3.1.1: a client that cached the old one keeps it). The cache's header
 * keeps the highest UID issued, and the Repair takes it.
 */
class UidHighWaterTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;

    @Test
    void a_uid_is_never_issued_twice_when_the_index_is_lost_and_the_mailbox_list_restored_from_an_older_backup()
            throws Exception {
        TestStore s = TestStore.create(tmp);
        Path backup = tmp.resolve("mboxlist-backup");
        Path dir;
        try (s) {
            s.mailbox(BOX);
            s.append(BOX, 7);
            dir = s.dir(BOX);
        }
        copyTree(s.root.resolve("mboxlist"), backup);
        try (Engine e = s.openAgain()) {
            e.mailboxes().append(BOX, TestStore.news(java.util.List.of(TestStore.message("8", "8\r\n"),
                    TestStore.message("9", "9\r\n"), TestStore.message("10", "10\r\n")), s.clock.millis(), 0));
            e.mailboxes().setDeleted(BOX, org.mstore.api.UidSet.parse("8:10"), true);
            e.mailboxes().expunge(BOX);
            e.queue().request(BOX, Action.CLEAN);
            e.daemon().drain();
            e.queue().request(BOX, Action.REMOVE);
            e.daemon().drain();
            e.queue().request(BOX, Action.PURGE);
            e.daemon().drain();
        }
        assertThat(Mailbox.messageFile(dir, 9)).doesNotExist();
        deleteTree(s.root.resolve("mboxlist"));
        copyTree(backup, s.root.resolve("mboxlist"));
        Files.delete(dir.resolve(MailboxIndex.FILE));

        try (Engine e = s.openAgain()) {
            e.queue().request(BOX, Action.REPAIR);
            e.daemon().drain();
            int[] uids = e.mailboxes().append(BOX, TestStore.news(java.util.List.of(TestStore.message("new", "new\r\n")),
                    s.clock.millis(), 0)).uids();
            assertThat(uids).containsExactly(11);
        }
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> w = Files.walk(from)) {
            for (Path p : w.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    static void deleteTree(Path p) throws Exception {
        try (Stream<Path> w = Files.walk(p)) {
            for (Path f : w.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
