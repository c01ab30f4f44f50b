package org.mstore.console.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.mstore.api.Action;
import org.mstore.api.MailboxInfo;
import org.mstore.api.QueueEntry;
import org.mstore.api.SettingsSnapshot;
import org.mstore.api.StoreInfo;

/**
 * An entry's detail follows the store's own rules: on a store without a cleanup step (Cassandra) an expunge past
 * store.cleanupsize queues a Purge that waits store.cleanupage, where the classic store defers the Remove.
 */
class EntryDetailTest {
    static final StoreInfo.Features CLASSIC = new StoreInfo.Features(true, true, true, true);
    static final StoreInfo.Features NO_CLEANUP_STEP = new StoreInfo.Features(false, true, false, true);
    static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    static final SettingsSnapshot SETTINGS = new SettingsSnapshot(100, Duration.ofHours(1), 10, 5.0, true, Optional.empty(), false);
    static final MailboxInfo BOX = new MailboxInfo("user/alice", "default", 1, 300, 150, 150_000, 150, 0, 0, T0, T0, null, null, null);

    static QueueEntry entry(Action a) {
        return new QueueEntry(1, "user/alice", a, T0, false, 1, null, null, 0, null);
    }

    @Test
    void a_purge_on_a_store_without_a_cleanup_step_is_due_cleanupage_after_the_expunge_and_names_cleanupsize() {
        EntryDetail d = EntryDetail.of(entry(Action.PURGE), BOX, NO_CLEANUP_STEP, SETTINGS, T0.plus(Duration.ofMinutes(20)), ZoneOffset.UTC);

        assertThat(d.due()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(d.dueText()).endsWith("(in 40 min)");
        assertThat(d.why()).startsWith("Expunged 150 > store.cleanupsize 100. The store has no Clean step")
                .doesNotContain("store.purge.count");
    }

    @Test
    void on_the_classic_store_a_purge_is_due_at_once_and_a_remove_cleanupage_after_its_clean() {
        assertThat(EntryDetail.due(entry(Action.PURGE), CLASSIC, SETTINGS)).isEqualTo(T0);
        assertThat(EntryDetail.due(entry(Action.REMOVE), CLASSIC, SETTINGS)).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(EntryDetail.due(entry(Action.REMOVE), NO_CLEANUP_STEP, SETTINGS)).isEqualTo(T0);
    }
}
