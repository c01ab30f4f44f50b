package org.mstore.console.mailboxes;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.MailboxInfo;
import org.mstore.api.OpenOptions;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.UidSet;
import org.mstore.config.StoreSettings;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.console.StepTaskExecutor;
import org.mstore.engine.Engine;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** Users and folders on a real store: listing, search, the moves on the selected mailbox, the check. */
class MailboxesViewModelTest {
    static final String ALICE = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    MailboxesViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(ALICE);
        s.mailbox("user/alice/Sent");
        s.mailbox("user/bob");
        s.mailbox("user/carol/Archive");
        s.append(ALICE, 12);
        vm = new MailboxesViewModel(s.engine, new CurrentThreadTaskExecutor(), false);
        vm.load();
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private static List<String> names(List<MailboxInfo> l) {
        return l.stream().map(MailboxInfo::name).toList();
    }

    private List<QueueEntry> queue() {
        return s.engine.queue().entriesAfter(0, 1000);
    }

    /** Garbles eight bytes in the middle of alice's store.idx: its next open or check finds it corrupt. */
    private void corruptAlicesIndex() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(s.dir(ALICE).resolve("store.idx").toFile(), "rw")) {
            f.seek(f.length() / 2);
            f.write(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x13, 0x37, 0x7f, 0x7f});
        }
    }

    @Test
    void load_lists_every_mailbox_by_name_with_the_thresholds() {
        assertThat(names(vm.mailboxes())).containsExactly("user/alice", "user/alice/Sent", "user/bob", "user/carol",
                "user/carol/Archive");
        assertThat(vm.mailboxes().get(0).messageCount()).isEqualTo(12);
        assertThat(vm.thresholdsProperty().get().cleanupSize()).isEqualTo(100);
    }

    @Test
    void the_search_shows_only_the_mailboxes_whose_name_contains_it() {
        vm.searchProperty().set("  ALICE ");
        assertThat(names(vm.visible())).containsExactly("user/alice", "user/alice/Sent");

        vm.searchProperty().set("archive");
        assertThat(names(vm.visible())).containsExactly("user/carol/Archive");

        vm.searchProperty().set("");
        assertThat(vm.visible()).hasSize(5);
    }

    @ParameterizedTest
    @EnumSource(value = Action.class, names = {"REPAIR", "CLEAN", "PURGE"})
    void a_move_now_runs_a_forced_entry_at_once_and_says_how_it_went(Action action) {
        vm.select(ALICE);

        switch (action) {
            case REPAIR -> vm.repairNow();
            case CLEAN -> vm.cleanNow();
            default -> vm.purgeNow();
        }

        assertThat(queue()).isEmpty();
        HistoryEntry h = s.engine.queue().recentHistory(1).get(0);
        assertThat(h.entry()).extracting(QueueEntry::mailbox, QueueEntry::action, QueueEntry::forced).containsExactly(ALICE, action, true);
        assertThat(h.outcome()).isEqualTo(Outcome.DONE);
        assertThat(vm.messageProperty().get()).startsWith(action.label() + " user/alice: done in ").contains("reclaimed");
    }

    @Test
    void repair_now_runs_at_once_while_the_daemon_sleeps_outside_its_window() throws Exception {
        java.time.LocalTime now = java.time.LocalTime.now(s.clock);
        s.engine.settings().set(Setting.PURGE_WINDOW, now.plusHours(3).withMinute(0) + "-" + now.plusHours(4).withMinute(0));
        s.engine.daemon().start(org.mstore.api.DaemonMode.daemon());
        vm.select(ALICE);

        vm.repairNow();

        assertThat(s.info(ALICE).lastRepair()).isEqualTo(s.clock.instant());
        assertThat(queue()).isEmpty();
        assertThat(vm.messageProperty().get()).startsWith("Repair user/alice: done in ");
    }

    @Test
    void a_move_now_on_a_pending_entry_runs_that_entry() {
        long recno = s.engine.backend().queue().enqueue(ALICE, Action.PURGE, 0, false).recno();
        vm.select(ALICE);

        vm.purgeNow();

        assertThat(queue()).isEmpty();
        assertThat(s.engine.queue().finished(recno).orElseThrow().outcome()).isEqualTo(Outcome.DONE);
    }

    @Test
    void a_move_now_while_another_impurge_holds_the_lock_queues_nothing_and_offers_to_queue_instead() throws Exception {
        vm.select(ALICE);
        try (Engine other = s.openAgain()) {
            other.daemon().start(org.mstore.api.DaemonMode.daemon());

            vm.repairNow();

            assertThat(queue()).isEmpty();
            assertThat(vm.messageProperty().get()).startsWith("Not run now: mstore test (pid ")
                    .contains("holds the purge session lock").endsWith("Queue it instead, to run when the lock is free?");
            assertThat(vm.queueInsteadProperty().get()).isEqualTo(Action.REPAIR);

            vm.queueInstead();

            assertThat(queue()).singleElement().satisfies(e -> assertThat(e.action()).isEqualTo(Action.REPAIR));
            assertThat(vm.queueInsteadProperty().get()).isNull();
        }
    }

    @Test
    void queue_puts_a_forced_entry_in_the_queue_without_running_it() {
        vm.select(ALICE);

        vm.request(Action.PURGE);

        assertThat(queue()).singleElement().satisfies(e -> assertThat(e.forced()).isTrue());
        assertThat(vm.messageProperty().get()).isEqualTo("Purge queued for user/alice (RecNo " + queue().get(0).recno() + ")");
    }

    @Test
    void nothing_selected_queues_nothing() {
        assertThat(vm.actionsDisabledProperty().get()).isTrue();

        vm.repairNow();

        assertThat(queue()).isEmpty();
    }

    @Test
    void check_on_a_healthy_mailbox_reports_no_problems_and_queues_nothing() {
        vm.select(ALICE);

        vm.check();

        assertThat(vm.problems()).isEmpty();
        assertThat(vm.messageProperty().get()).isEqualTo("user/alice: no problems found");
        assertThat(queue()).isEmpty();
    }

    @Test
    void check_on_a_corrupted_index_reports_the_problems_and_queues_a_repair() throws Exception {
        corruptAlicesIndex();
        vm.select(ALICE);

        vm.check();

        assertThat(vm.problems()).isNotEmpty();
        assertThat(vm.messageProperty().get()).startsWith("user/alice: ").endsWith(" found; Repair queued");
        assertThat(queue()).singleElement().satisfies(e -> {
            assertThat(e.mailbox()).isEqualTo(ALICE);
            assertThat(e.action()).isEqualTo(Action.REPAIR);
        });
    }

    @Test
    void a_check_that_finishes_after_another_mailbox_was_selected_is_not_shown_for_that_one() throws Exception {
        corruptAlicesIndex();
        StepTaskExecutor step = new StepTaskExecutor();
        MailboxesViewModel slow = new MailboxesViewModel(s.engine, step, false);
        slow.load();
        step.runPending();
        slow.select(ALICE);

        slow.check();        // the check runs...
        slow.select("user/bob"); // ...the administrator moves on before its result is shown
        step.runPending();

        assertThat(slow.selectedProperty().get().name()).isEqualTo("user/bob");
        assertThat(slow.problems()).as("alice's problems under bob").isEmpty();
    }

    @Test
    void changed_refreshes_the_selected_mailbox() throws Exception {
        vm.select(ALICE);
        s.append(ALICE, 3);

        vm.changed(Set.of(ALICE));

        assertThat(vm.selectedProperty().get().messageCount()).isEqualTo(15);
        assertThat(vm.mailboxes().get(0).messageCount()).isEqualTo(15);
    }

    @Test
    void changed_adds_a_new_mailbox_in_name_order_and_drops_a_deleted_one() throws Exception {
        s.mailbox("user/alice/Drafts");
        vm.select("user/bob");
        s.engine.mailboxes().delete("user/bob");

        vm.changed(Set.of("user/alice/Drafts", "user/bob"));

        assertThat(names(vm.mailboxes())).containsExactly("user/alice", "user/alice/Drafts", "user/alice/Sent", "user/carol",
                "user/carol/Archive");
        assertThat(vm.selectedProperty().get()).isNull();
    }

    @Test
    void the_problems_a_check_found_go_once_the_mailbox_is_repaired_after_it() throws Exception {
        corruptAlicesIndex();
        vm.select(ALICE);
        vm.check();
        assertThat(vm.problems()).isNotEmpty();
        s.clock.advance(java.time.Duration.ofSeconds(1));

        vm.repairNow();
        vm.changed(Set.of(ALICE)); // what the change feed says after the Repair

        assertThat(vm.selectedProperty().get().lastRepair()).isNotNull();
        assertThat(vm.problems()).isEmpty();
    }

    @Test
    void a_check_result_stays_while_the_same_mailbox_is_refreshed() throws Exception {
        vm.select(ALICE);
        vm.check();
        String message = vm.messageProperty().get();

        s.append(ALICE, 1);
        vm.changed(Set.of(ALICE));

        assertThat(vm.messageProperty().get()).isEqualTo(message);
        vm.select("user/bob");
        assertThat(vm.messageProperty().get()).isEmpty();
    }

    @Test
    void read_only_disables_the_actions_and_queues_nothing() throws Exception {
        try (Engine ro = Engine.open(s.root, new OpenOptions(s.clock, "console", false, false, true))) {
            MailboxesViewModel readOnly = new MailboxesViewModel(ro, new CurrentThreadTaskExecutor(), true);
            readOnly.load();
            readOnly.select(ALICE);

            assertThat(readOnly.actionsDisabledProperty().get()).isTrue();
            readOnly.repairNow();
            readOnly.cleanNow();
            readOnly.purgeNow();

            assertThat(queue()).isEmpty();
        }
    }

    private org.mstore.api.SettingsSnapshot thresholds(String count, String percentage, String cleanupSize) {
        s.engine.settings().apply(Map.of(Setting.PURGE_COUNT, count, Setting.PURGE_PERCENTAGE, percentage, Setting.CLEANUP_SIZE, cleanupSize));
        return s.engine.settings().snapshot();
    }

    @Test
    void purge_standing_says_past_when_both_thresholds_are_exceeded_and_below_otherwise() {
        // 3 of the 12 cache records expunged (what a Clean and its Remove leave behind)
        MailboxInfo m = s.info(ALICE).edit().cache(12, 3).build();

        assertThat(MailboxesViewModel.purgeStanding(m, thresholds("2", "20", "100")))
                .isEqualTo("3 of 12 (25.0%) - past the purge thresholds (> 2 and > 20%)");
        assertThat(MailboxesViewModel.purgeStanding(m, thresholds("3", "20", "100")))
                .isEqualTo("3 of 12 (25.0%) - below the purge thresholds (> 3 and > 20%)");
        assertThat(MailboxesViewModel.purgeStanding(m, thresholds("2", "25", "100")))
                .isEqualTo("3 of 12 (25.0%) - below the purge thresholds (> 2 and > 25%)");
        assertThat(MailboxesViewModel.purgeStanding(m, thresholds("2", "12.5", "100")))
                .isEqualTo("3 of 12 (25.0%) - past the purge thresholds (> 2 and > 12.5%)");
    }

    @Test
    void cleanup_standing_says_past_when_expunged_exceeds_cleanupsize_and_within_otherwise() throws Exception {
        s.engine.mailboxes().setDeleted(ALICE, UidSet.parse("1:4"), true);
        s.engine.mailboxes().expunge(ALICE);
        MailboxInfo m = s.info(ALICE);

        assertThat(MailboxesViewModel.cleanupStanding(m, thresholds("500", "5", "3"))).isEqualTo("4 - past store.cleanupsize (3)");
        assertThat(MailboxesViewModel.cleanupStanding(m, thresholds("500", "5", "4"))).isEqualTo("4 - within store.cleanupsize (4)");
        assertThat(MailboxesViewModel.cleanupStanding(null, thresholds("500", "5", "4"))).isEmpty();
    }

    @Test
    void restore_brings_back_the_selected_expunged_messages_through_the_executor_and_says_old_to_new() throws Exception {
        s.engine.mailboxes().setDeleted(ALICE, UidSet.parse("2:3"), true);
        s.engine.mailboxes().expunge(ALICE);
        StepTaskExecutor steps = new StepTaskExecutor();
        MailboxesViewModel v = new MailboxesViewModel(s.engine, steps, false);
        v.load();
        steps.runPending();
        v.select(ALICE);

        v.listExpunged();
        assertThat(v.expunged()).isEmpty(); // the result comes back through the executor, not in the caller's thread
        steps.runPending();
        assertThat(v.expunged()).extracting(org.mstore.api.ExpungedMessage::uid).containsExactly(2, 3);
        assertThat(v.messageProperty().get()).isEqualTo("user/alice: 2 expunged messages, 2 still recoverable");

        v.restore(List.of(3));
        steps.runPending();
        assertThat(v.messageProperty().get()).isEqualTo("Restored 1 message of user/alice: UID 3 -> 13");
        assertThat(v.expunged()).filteredOn(m -> m.uid() == 3).singleElement()
                .satisfies(m -> assertThat(m.recoveredAs()).isEqualTo(13));
        assertThat(v.selectedProperty().get().messageCount()).isEqualTo(11);
    }

    @Test
    void restore_on_a_read_only_console_does_nothing() throws Exception {
        s.engine.mailboxes().setDeleted(ALICE, UidSet.parse("2"), true);
        s.engine.mailboxes().expunge(ALICE);
        MailboxesViewModel ro = new MailboxesViewModel(s.engine, new CurrentThreadTaskExecutor(), true);
        ro.load();
        ro.select(ALICE);
        ro.listExpunged();
        ro.restore(List.of(2));
        assertThat(s.engine.mailboxes().expunged(ALICE).get(0).recoverable()).isTrue();
    }
}
