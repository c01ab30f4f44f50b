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

    static QueueEntry queued(Action a, boolean forced, Instant ts, String reason, String by, Instant at) {
        return new QueueEntry(1, "user/alice", a, ts, forced, 1, null, null, 0, null, QueueEntry.State.WAITING, reason, by, at);
    }

    @Test
    void run_now_keeps_the_reason_an_entry_was_queued_for_and_says_it_was_forced() {
        QueueEntry e = queued(Action.CLEAN, true, T0, "Expunged 150 > store.cleanupsize 100", "impurge[123]@mail1", T0);
        EntryDetail d = EntryDetail.of(e, BOX, CLASSIC, SETTINGS, T0.plus(Duration.ofMinutes(5)), ZoneOffset.UTC);

        assertThat(d.why()).startsWith("Expunged 150 > store.cleanupsize 100 (queued ")
                .contains("by a command-line impurge (pid 123) on mail1)")
                .endsWith("; forced by an administrator: it runs at once, past the threshold checks");
        assertThat(d.who()).isEqualTo("queued by a command-line impurge (pid 123) on mail1; forced by an administrator since; not picked yet");
    }

    @Test
    void the_stored_reason_is_kept_and_figures_now_that_no_longer_meet_the_rule_are_said_too() {
        MailboxInfo cleaned = new MailboxInfo("user/alice", "default", 1, 300, 150, 150_000, 40, 0, 0, T0, T0, null, null, null);
        EntryDetail d = EntryDetail.of(queued(Action.CLEAN, false, T0, "Expunged 150 > store.cleanupsize 100", "imapd[9]@mail1", T0),
                cleaned, CLASSIC, SETTINGS, T0, ZoneOffset.UTC);

        assertThat(d.why()).startsWith("Expunged 150 > store.cleanupsize 100 (queued ")
                .endsWith(". Now: Expunged 40 (now within) store.cleanupsize 100: impurge will skip it");
        assertThat(d.who()).isEqualTo("queued by mstore imapd (pid 9) on mail1; not picked yet");
    }

    @Test
    void an_administrators_request_is_not_said_to_be_forced_twice() {
        EntryDetail d = EntryDetail.of(queued(Action.REPAIR, true, T0, "Repair now by an administrator", "console[55]@desk", T0), BOX,
                CLASSIC, SETTINGS, T0, ZoneOffset.UTC);

        assertThat(d.why()).startsWith("Repair now by an administrator (queued ").doesNotContain("forced");
    }

    @Test
    void an_entry_queued_before_the_store_kept_reasons_gets_one_worked_out_from_the_figures_now_and_marked_so() {
        EntryDetail d = EntryDetail.of(entry(Action.CLEAN), BOX, CLASSIC, SETTINGS, T0, ZoneOffset.UTC);

        assertThat(d.why()).isEqualTo("Expunged 150 > store.cleanupsize 100 (worked out from the mailbox's figures now: the store kept "
                + "no reason for this entry)");
        assertThat(d.who()).isEqualTo("queued by the store's rules; not picked yet");
    }

    @Test
    void a_finished_entrys_detail_shows_why_it_was_queued() {
        QueueEntry e = queued(Action.REPAIR, false, T0.plus(Duration.ofHours(1)), "Mailbox has an invalid format: index record 2: bad checksum",
                "imapd[9]@mail1", T0);
        EntryDetail d = EntryDetail.finished(new org.mstore.api.HistoryEntry(7, e, org.mstore.api.Outcome.DONE, "repaired", T0.plus(
                Duration.ofHours(2)), 0), ZoneOffset.UTC);

        assertThat(d.why()).startsWith("Mailbox has an invalid format: index record 2: bad checksum (queued ");
        assertThat(d.who()).isEqualTo("queued by mstore imapd (pid 9) on mail1");
    }

    @Test
    void a_re_stamped_repair_is_due_since_it_was_first_queued() {
        QueueEntry e = queued(Action.REPAIR, false, T0.plus(Duration.ofHours(1)), "Mailbox has an invalid format: x", "imapd[9]@mail1", T0);
        assertThat(EntryDetail.due(e, CLASSIC, SETTINGS)).isEqualTo(T0);
    }
}
