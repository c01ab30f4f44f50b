package org.mstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.UidSet;
import org.mstore.testing.TestStore;

/**
 * One UID claimed twice, by two index records that both check out or by two message files, is settled by the bytes of
 * the message: the file that matches what was recorded keeps the UID, and an intact message is never quarantined.
 * Before, the last record read decided alone, so an intact message checked against another message's record was
 * quarantined; and of two files only the last listed was looked at.
 */
class DuplicateUidRepairTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    Path dir;
    byte[] five;
    byte[] six;

    @BeforeEach
    void tenMessagesTheFifthFlagged() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 10);
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("5"), Flags.FLAGGED, FlagMode.ADD);
        dir = s.dir(BOX);
        five = Files.readAllBytes(Mailbox.messageFile(dir, 5));
        six = Files.readAllBytes(Mailbox.messageFile(dir, 6));
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void an_intact_message_is_not_quarantined_when_a_second_index_record_with_a_valid_checksum_claims_its_uid() throws Exception {
        // the record of UID 6 rewritten to say UID 5, its own checksum made right again: two records of UID 5
        Path idx = dir.resolve(MailboxIndex.FILE);
        byte[] b = Files.readAllBytes(idx);
        int sixth = MailboxIndex.HEADER_SIZE + 5 * MailboxIndex.RECORD_SIZE;
        ByteBuffer buf = ByteBuffer.wrap(b);
        assertThat(buf.getInt(sixth)).isEqualTo(6);
        buf.putInt(sixth, 5);
        CRC32C crc = new CRC32C();
        crc.update(b, sixth, MailboxIndex.RECORD_SIZE - 4);
        buf.putInt(sixth + MailboxIndex.RECORD_SIZE - 4, (int) crc.getValue());
        Files.write(idx, b);

        s.requestAndDrain(BOX, Action.REPAIR);

        assertThat(Mailbox.quarantined(dir)).isEmpty();
        assertThat(s.engine.mailboxes().fetch(BOX, 5)).isEqualTo(five);
        assertThat(s.engine.mailboxes().fetch(BOX, 6)).isEqualTo(six);
        assertThat(s.info(BOX).messageCount()).isEqualTo(10);
        assertThat(s.engine.mailboxes().snapshot(BOX).records().stream().filter(r -> r.uid() == 5).findFirst().orElseThrow().flags()
                & Flags.FLAGGED).isNotZero();
        assertThat(s.logLines()).anyMatch(l -> l.contains("UID 5: 2 index records named it differently"));
    }

    @Test
    void of_two_different_message_files_claiming_one_uid_the_recorded_one_keeps_it_and_the_other_gets_a_new_uid() throws Exception {
        byte[] other = TestStore.message("another message under the same UID", "Other\r\n");
        Files.write(Mailbox.messageFile(dir, 5).resolveSibling("05.msg"), other);

        s.requestAndDrain(BOX, Action.REPAIR);

        assertThat(Mailbox.quarantined(dir)).isEmpty();
        assertThat(s.engine.mailboxes().fetch(BOX, 5)).isEqualTo(five);
        assertThat(s.engine.mailboxes().fetch(BOX, 11)).isEqualTo(other);
        assertThat(s.info(BOX).messageCount()).isEqualTo(11);
        assertThat(s.logLines()).anyMatch(l -> l.contains("UID 5: two different messages claimed it") && l.contains("now UID 11"));
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
        assertThat(s.append(BOX, 1)).containsExactly(12);
    }

    @Test
    void a_byte_for_byte_copy_of_a_message_file_under_another_spelling_is_moved_aside_not_served_twice() throws Exception {
        Path copy = Mailbox.messageFile(dir, 5).resolveSibling("005.msg");
        Files.write(copy, five);

        s.requestAndDrain(BOX, Action.REPAIR);

        assertThat(Mailbox.quarantined(dir)).isEmpty();
        assertThat(s.engine.mailboxes().fetch(BOX, 5)).isEqualTo(five);
        assertThat(s.info(BOX).messageCount()).isEqualTo(10);
        assertThat(copy).doesNotExist();
        assertThat(copy.resolveSibling("005.msg.damaged-1")).hasBinaryContent(five);
    }

    @Test
    void the_full_check_reports_a_second_file_that_claims_a_uid_under_another_spelling_until_a_repair_settles_it() throws Exception {
        Path copy = Mailbox.messageFile(dir, 5).resolveSibling("005.msg");
        Files.write(copy, six);

        assertThat(s.engine.maintenance().inspect(BOX).problems()).singleElement().asString().contains("005.msg")
                .contains("otherwise than UID 5's file");

        s.requestAndDrain(BOX, Action.REPAIR);
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
        assertThat(s.engine.mailboxes().fetch(BOX, 5)).isEqualTo(five);
    }

    @Test
    void a_message_file_under_another_spelling_of_its_name_is_renamed_to_its_own_and_served() throws Exception {
        Path file = Mailbox.messageFile(dir, 5);
        Files.move(file, file.resolveSibling("05.msg"));

        s.requestAndDrain(BOX, Action.REPAIR);

        assertThat(s.engine.mailboxes().fetch(BOX, 5)).isEqualTo(five);
        assertThat(s.info(BOX).messageCount()).isEqualTo(10);
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
    }
}
