package org.mstore.mailbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.MailboxInfo;
import org.mstore.api.Outcome;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.engine.Engine;
import org.mstore.engine.SampleStore;
import org.mstore.testing.SettableClock;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The first change to a mailbox written by version 1 of the formats rewrites its cache without the expunged records
 * (docs/store-format.md). The mailbox list's cache counts follow that rewrite, and a Purge that meets such a mailbox
 * reports what the rewrite reclaimed. The committed sample store was written by version 1: its {@code Lists} folder of
 * user0002 holds expunged cache records.
 */
class FirstFormatUpgradeCountsTest {
    static final String BOX = "user/user0002/Lists";
    @TempDir
    Path tmp;
    Engine engine;
    MailboxInfo before;

    @BeforeEach
    void setUp() throws Exception {
        Path root = tmp.resolve("store");
        SampleStore.copy(Path.of("sample-store").toAbsolutePath(), root);
        Files.deleteIfExists(root.resolve(SampleStore.MARKER)); // a store of its own, not the sample's working copy
        engine = Engine.open(root, TestStore.options(SettableClock.fixed()));
        before = engine.mailboxes().get(BOX);
        assertThat(before.cacheExpunged()).as("the sample's %s holds expunged cache records", BOX).isPositive();
        assertThat(before.cacheRecords()).isGreaterThan(before.messageCount());
    }

    @AfterEach
    void tearDown() throws Exception {
        engine.close();
    }

    @Test
    void an_append_to_a_first_format_mailbox_leaves_the_lists_cache_counts_as_its_upgrade_left_the_cache() throws Exception {
        engine.mailboxes().append(BOX, TestStore.news(List.of(TestStore.message("New", "body\r\n")), 0, 0), true);

        MailboxInfo after = engine.mailboxes().get(BOX);
        assertThat(after.messageCount()).isEqualTo(before.messageCount() + 1);
        assertThat(after.cacheRecords()).isEqualTo(after.messageCount());
        assertThat(after.cacheExpunged()).isZero();
    }

    @Test
    void a_flag_change_to_a_first_format_mailbox_leaves_the_lists_cache_counts_as_its_upgrade_left_the_cache() throws Exception {
        int uid = engine.mailboxes().records(BOX, UidSet.parse("1:*")).get(0).uid();
        engine.mailboxes().setFlags(BOX, UidSet.parse(Integer.toString(uid)), Flags.FLAGGED, FlagMode.ADD);

        MailboxInfo after = engine.mailboxes().get(BOX);
        assertThat(after.cacheRecords()).isEqualTo(before.messageCount());
        assertThat(after.cacheExpunged()).isZero();
    }

    @Test
    void a_purge_of_a_first_format_mailbox_reports_what_its_upgrade_reclaimed() throws Exception {
        engine.queue().request(BOX, Action.PURGE);

        List<TaskResult> ran = engine.daemon().drain(); // the sample's own due entries too

        assertThat(ran).filteredOn(r -> r.entry().mailbox().equals(BOX) && r.entry().action() == Action.PURGE).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.DONE);
            assertThat(r.detail()).startsWith("cache rewritten: " + before.cacheRecords() + " -> " + before.messageCount() + " records");
            assertThat(r.bytesReclaimed()).isPositive();
        });
        MailboxInfo after = engine.mailboxes().get(BOX);
        assertThat(after.cacheRecords()).isEqualTo(before.messageCount());
        assertThat(after.cacheExpunged()).isZero();
    }
}
