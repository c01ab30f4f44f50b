package org.mstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.Flags;
import org.mstore.api.UidSet;
import org.mstore.testing.TestStore;

/**
 * A message file that a Repair found gone and that an administrator then puts back is the message, not the leftover of
 * an expunge: before, the next Repair listed it for Remove and Remove deleted it, though the user never expunged it.
 */
class MessageFileBackTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    Path dir;
    Path file;
    Path away;
    byte[] bytes;

    @BeforeEach
    void aMessageFileTakenAwayAndARepairThatFoundItGone() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 10);
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("7"), Flags.FLAGGED, org.mstore.api.FlagMode.ADD);
        dir = s.dir(BOX);
        file = Mailbox.messageFile(dir, 7);
        bytes = Files.readAllBytes(file);
        away = Files.move(file, tmp.resolve("7.msg.away"));
        assertThat(s.requestAndDrain(BOX, Action.REPAIR).get(0).detail()).contains("1 indexed messages had no file");
        assertThat(s.info(BOX).messageCount()).isEqualTo(9);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void a_message_file_put_back_after_a_repair_found_it_gone_is_taken_in_again_with_its_flags() throws Exception {
        Files.move(away, file);
        s.requestAndDrain(BOX, Action.REPAIR);
        s.engine.settings().set(org.mstore.api.Setting.CLEANUP_AGE, "0s");
        s.clock.advance(Duration.ofHours(2));
        s.engine.daemon().drain(); // a Remove, had the file been taken for an expunged message's

        assertThat(s.engine.mailboxes().fetch(BOX, 7)).isEqualTo(bytes);
        assertThat(s.info(BOX).messageCount()).isEqualTo(10);
        assertThat(s.engine.mailboxes().snapshot(BOX).records().stream().filter(r -> r.uid() == 7).findFirst().orElseThrow().flags()
                & Flags.FLAGGED).isNotZero();
        assertThat(dir.resolve("quarantine").resolve("7.missing")).doesNotExist();
    }

    @Test
    void a_different_file_put_back_in_its_place_is_quarantined_not_served_and_not_deleted() throws Exception {
        Files.write(file, "From: someone@else\r\n\r\nnot the message that was here\r\n".getBytes());
        s.requestAndDrain(BOX, Action.REPAIR);

        assertThat(s.info(BOX).messageCount()).isEqualTo(9);
        assertThat(Mailbox.quarantined(dir)).extracting(Mailbox.Quarantined::uid).containsExactly(7);
    }
}
