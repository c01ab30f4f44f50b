package org.mstore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.NoSuchMessageException;
import org.mstore.api.QueueEntry;
import org.mstore.testing.TestStore;

/**
 * An index put back from an older copy (a backup restored by hand) is damage: served as it is, it brought back what was
 * expunged since the copy, and the next append took the UID of a newer message, over its file. The mailbox list, written
 * after storage, knows the newer next UID.
 */
class StaleIndexTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    Path dir;
    byte[] newer;

    @BeforeEach
    void anIndexPutBackFromBeforeTheNewestMessageAndAnExpunge() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 5);
        dir = s.dir(BOX);
        Path copy = Files.copy(dir.resolve("store.idx"), tmp.resolve("store.idx.copy"));
        newer = TestStore.message("arrived after the copy", "A\r\n");
        s.append(BOX, java.util.List.of(newer), 0); // UID 6
        s.expunge(BOX, "2");
        Files.copy(copy, dir.resolve("store.idx"), StandardCopyOption.REPLACE_EXISTING);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void an_index_behind_the_mailbox_list_is_refused_and_a_repair_queued_instead_of_serving_it() throws Exception {
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 2)).isInstanceOf(MailboxFormatException.class)
                .hasMessageContaining("index is older than the mailbox list");
        assertThatThrownBy(() -> s.append(BOX, 1)).isInstanceOf(MailboxFormatException.class);
        assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.REPAIR);
        assertThat(s.engine.maintenance().inspect(BOX).problems()).first().asString().contains("older than the mailbox list");
    }

    @Test
    void its_repair_keeps_the_newer_message_and_what_was_expunged_stays_expunged() throws Exception {
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 1)).isInstanceOf(MailboxFormatException.class);
        s.engine.daemon().drain();

        assertThat(s.engine.mailboxes().fetch(BOX, 6)).isEqualTo(newer);
        assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, 2)).isInstanceOf(NoSuchMessageException.class);
        assertThat(s.info(BOX).messageCount()).isEqualTo(5);
        assertThat(s.engine.mailboxes().expunged(BOX)).extracting(e -> e.uid()).containsExactly(2); // still recoverable
        int[] next = s.append(BOX, 1);
        assertThat(next).containsExactly(7);
        assertThat(new String(s.engine.mailboxes().fetch(BOX, 6), StandardCharsets.UTF_8)).contains("arrived after the copy");
    }
}
