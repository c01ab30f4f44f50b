package org.mstore.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.MessageRecord;
import org.mstore.api.MessageView;
import org.mstore.api.UidSet;
import org.mstore.mailbox.MailboxService;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** Repair on a mailbox big enough to be read by several threads (many buckets, many chunks of files). */
class RepairTest {
    static final String BOX = "user/bob";
    static final int N = 1500;
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.appendGenerated(BOX, N, 11);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private Map<Integer, MessageView> messages() throws Exception {
        return s.engine.mailboxes().messages(BOX, 0, Integer.MAX_VALUE).stream()
                .collect(Collectors.toMap(v -> v.record().uid(), Function.identity()));
    }

    @Test
    void repair_rebuilds_every_message_of_a_large_mailbox_from_its_files_when_index_and_cache_are_lost() throws Exception {
        Map<Integer, MessageView> before = messages();
        Path dir = s.dir(BOX);
        Files.delete(dir.resolve(MailboxIndex.FILE));
        Files.delete(dir.resolve(CacheFile.FILE));

        s.engine.maintenance().reconstruct(BOX);

        Map<Integer, MessageView> after = messages();
        assertThat(after.keySet()).isEqualTo(before.keySet()).hasSize(N);
        for (int uid : before.keySet()) {
            MessageRecord a = after.get(uid).record();
            MessageRecord b = before.get(uid).record();
            assertThat(a.size()).isEqualTo(b.size());
            assertThat(a.internalDate()).isEqualTo(b.internalDate());
            assertThat(after.get(uid).summary()).isEqualTo(before.get(uid).summary());
        }
        assertThat(s.info(BOX).messageCount()).isEqualTo(N);
        assertThat(s.engine.maintenance().check(BOX).healthy()).isTrue();
    }

    @Test
    void repair_keeps_flags_leaves_out_damaged_files_and_keeps_expunged_messages_expunged() throws Exception {
        s.engine.mailboxes().setFlags(BOX, UidSet.parse("100:199"), Flags.FLAGGED, FlagMode.ADD).size();
        s.engine.mailboxes().setDeleted(BOX, UidSet.parse("700,1400"), true);
        s.engine.mailboxes().expunge(BOX); // in store.exp; the files stay until Remove
        Path dir = s.dir(BOX);
        Path damaged = Mailbox.messageFile(dir, 1000);
        Files.write(damaged, List.of("truncated"));
        Files.delete(dir.resolve(CacheFile.FILE));

        s.engine.maintenance().reconstruct(BOX);

        Map<Integer, MessageView> after = messages();
        assertThat(after).hasSize(N - 3).doesNotContainKeys(700, 1400, 1000);
        assertThat(after.values()).filteredOn(v -> (v.record().flags() & Flags.FLAGGED) != 0).hasSize(100)
                .allSatisfy(v -> assertThat(v.record().uid()).isBetween(100, 199));
        assertThat(s.logLines()).anySatisfy(l -> assertThat(l).contains("UID 1000: message file damaged"));
        assertThat(s.engine.maintenance().check(BOX).healthy()).isTrue();
    }
}
