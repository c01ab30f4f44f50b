package org.mstore.console.queue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.DaemonMode;
import org.mstore.api.HistoryEntry;
import org.mstore.api.OpenOptions;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.Setting;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.console.StepTaskExecutor;
import org.mstore.engine.Engine;
import org.mstore.purge.PurgeDaemon;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mstore.console.queue.QueueFixtures.all;
import static org.mstore.console.queue.QueueFixtures.enqueue;
import static org.mstore.console.queue.QueueFixtures.fill;

/** The live queue table's state, on a real store: counts, filter, live events, run now and remove. */
class QueueViewModelTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    QueueViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        vm = new QueueViewModel(s.engine, new CurrentThreadTaskExecutor(), false);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private List<QueueEntry> db(QueueQuery q) {
        return s.engine.queue().page(q, 0, 10_000);
    }

    private long count(Action a) {
        return vm.countProperty(a).get();
    }

    @Test
    void load_counts_the_pending_entries_of_each_action() {
        fill(s.engine, 203);
        vm.load();

        Map<Action, Long> expected = s.engine.queue().countsByAction();
        for (Action a : Action.values()) {
            assertThat(count(a)).as(a.label()).isEqualTo(expected.get(a)).isPositive();
        }
        assertThat(vm.totalProperty().get()).isEqualTo(203);
        assertThat(vm.rows().size()).isEqualTo(203);
    }

    @Test
    void unticking_an_action_shows_exactly_the_entries_of_the_others() {
        fill(s.engine, 200);
        vm.load();

        vm.shownProperty(Action.CLEAN).set(false);
        vm.shownProperty(Action.REMOVE).set(false);

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all().withActions(EnumSet.of(Action.PURGE, Action.REPAIR))))
                .hasSize(100).allSatisfy(e -> assertThat(e.action()).isIn(Action.PURGE, Action.REPAIR));
        // the counts are of the whole queue, not of what is shown
        assertThat(vm.totalProperty().get()).isEqualTo(200);
    }

    @Test
    void unticking_every_action_shows_nothing() {
        fill(s.engine, 40);
        vm.load();

        for (Action a : Action.values()) {
            vm.shownProperty(a).set(false);
        }

        assertThat(vm.rows()).isEmpty();
    }

    @Test
    void typed_mailbox_text_shows_exactly_the_matching_entries_once_applied() {
        fill(s.engine, 500);
        vm.load();

        vm.mailboxFilterProperty().set("U001");
        assertThat(vm.rows().size()).as("not applied yet").isEqualTo(500);
        vm.applyFilter();

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all().withMailboxText("u001")))
                .hasSize(100).allSatisfy(e -> assertThat(e.mailbox()).startsWith("user/u001"));
    }

    @Test
    void a_sort_change_shows_the_database_order() {
        fill(s.engine, 300);
        vm.load();

        vm.sortProperty().set(QueueQuery.Sort.TIMESTAMP);
        vm.ascendingProperty().set(false);

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all().withSort(QueueQuery.Sort.TIMESTAMP, false)));
    }

    @Test
    void new_entries_raise_the_counts_and_join_the_list() {
        fill(s.engine, 20);
        vm.load();
        long before = s.engine.backend().queue().maxRecno();
        enqueue(s.engine, "user/new1", Action.REPAIR, 0);
        enqueue(s.engine, "user/new2", Action.REPAIR, 0);
        enqueue(s.engine, "user/new3", Action.PURGE, 0);

        vm.entriesAdded(s.engine.queue().entriesAfter(before, 100));

        assertThat(count(Action.REPAIR)).isEqualTo(7);
        assertThat(count(Action.PURGE)).isEqualTo(6);
        assertThat(count(Action.CLEAN)).isEqualTo(5);
        assertThat(vm.totalProperty().get()).isEqualTo(23);
        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all()));
    }

    @Test
    void finished_entries_lower_the_counts_and_leave_the_list() {
        fill(s.engine, 20);
        vm.load();
        long seq = s.engine.queue().maxHistorySeq();
        List<QueueEntry> cleans = db(QueueQuery.all().withActions(EnumSet.of(Action.CLEAN))).subList(0, 2);
        s.engine.queue().remove(cleans.stream().map(QueueEntry::recno).toList());

        vm.entriesDone(s.engine.queue().historyAfter(seq, 100));

        assertThat(count(Action.CLEAN)).isEqualTo(3);
        assertThat(vm.totalProperty().get()).isEqualTo(18);
        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all())).doesNotContainAnyElementsOf(cleans);
    }

    @Test
    void run_now_runs_the_selected_entries_at_once_when_the_daemon_is_stopped() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 5);
        s.mailbox("user/bob");
        QueueEntry repair = enqueue(s.engine, BOX, Action.REPAIR, s.engine.context().now());
        QueueEntry other = enqueue(s.engine, "user/bob", Action.REPAIR, s.engine.context().now());
        vm.load();
        assertThat(s.info(BOX).lastRepair()).isNull();

        vm.runNow(List.of(repair));

        assertThat(s.engine.queue().get(repair.recno())).isEmpty();
        assertThat(s.info(BOX).lastRepair()).isEqualTo(s.clock.instant());
        assertThat(s.engine.queue().get(other.recno())).as("not selected").isPresent();
        assertThat(s.engine.queue().recentHistory(1)).extracting(HistoryEntry::outcome).containsExactly(Outcome.DONE);
        assertThat(vm.messageProperty().get()).startsWith("Repair user/alice: done in ")
                .endsWith("; nothing reclaimed (rebuilt index and cache: 5 messages)");
    }

    @Test
    void run_now_hands_the_selected_entries_to_a_running_daemon() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 3);
        s.engine.settings().set(Setting.CLEANUP_AGE, "365d");
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now()); // due only in a year
        s.engine.daemon().start(DaemonMode.daemon());
        vm.load();

        vm.runNow(List.of(remove));

        assertThat(vm.messageProperty().get()).startsWith("Remove user/alice: done in ");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (s.engine.queue().get(remove.recno()).isPresent()) {
            assertThat(System.nanoTime()).as("waited 10 s for the daemon").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(s.engine.queue().recentHistory(1)).extracting(HistoryEntry::outcome).containsExactly(Outcome.DONE);
    }

    @Test
    void run_now_while_another_impurge_holds_the_lock_says_so() throws Exception {
        s.mailbox(BOX);
        s.engine.settings().set(Setting.CLEANUP_AGE, "365d");
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now()); // not due: the other one waits
        try (Engine other = s.openAgain()) {
            other.daemon().start(DaemonMode.daemon());
            vm.load();

            vm.runNow(List.of(remove));

            assertThat(vm.messageProperty().get()).startsWith("Not run now: mstore test (pid ")
                    .contains("holds the purge session lock (\"Could not get purge session lock. Possibly another impurge is running\")")
                    .endsWith("The entry stays queued and runs when the lock is free.");
            assertThat(s.engine.queue().get(remove.recno())).isPresent();
        }
    }

    @Test
    void remove_takes_the_selected_entries_out_and_the_history_says_removed() {
        fill(s.engine, 10);
        vm.load();
        List<QueueEntry> selected = List.of(vm.rows().get(2), vm.rows().get(5));

        vm.remove(selected);

        assertThat(s.engine.queue().count()).isEqualTo(8);
        selected.forEach(e -> assertThat(s.engine.queue().get(e.recno())).isEmpty());
        assertThat(s.engine.queue().recentHistory(2)).allSatisfy(h -> {
            assertThat(h.outcome()).isEqualTo(Outcome.REMOVED);
            assertThat(h.entry().recno()).isIn(selected.get(0).recno(), selected.get(1).recno());
        });
        assertThat(vm.messageProperty().get()).isEqualTo("Removed 2 entries");
    }

    @Test
    void read_only_refuses_run_now_and_remove() throws Exception {
        s.mailbox(BOX);
        QueueEntry repair = enqueue(s.engine, BOX, Action.REPAIR, s.engine.context().now());
        try (Engine ro = Engine.open(s.root, new OpenOptions(s.clock, "console", false, false, true))) {
            QueueViewModel readOnly = new QueueViewModel(ro, new CurrentThreadTaskExecutor(), true);
            readOnly.load();
            assertThat(readOnly.readOnlyProperty().get()).isTrue();

            readOnly.runNow(List.of(repair));
            readOnly.remove(List.of(repair));

            assertThat(s.engine.queue().get(repair.recno())).isPresent();
            assertThat(s.engine.queue().get(repair.recno()).get().forced()).isFalse();
            assertThat(s.engine.queue().maxHistorySeq()).isZero();
            assertThat(s.info(BOX).lastRepair()).isNull();
        }
    }

    @Test
    void an_empty_table_says_the_queue_is_being_read_until_its_first_page_comes_not_that_it_is_empty() {
        fill(s.engine, 30);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        javafx.beans.binding.StringBinding placeholder = live.placeholderText();
        live.load();

        assertThat(live.rows().size()).isZero();
        assertThat(placeholder.get()).isEqualTo("Reading the queue...");
        step.runPending();
        assertThat(live.rows().size()).isEqualTo(30);
        assertThat(placeholder.get()).isNotEqualTo("Reading the queue...");
    }

    @Test
    void an_empty_table_says_the_filter_matches_nothing_when_the_queue_has_entries() {
        fill(s.engine, 30);
        javafx.beans.binding.StringBinding placeholder = vm.placeholderText();
        vm.load();
        vm.mailboxFilterProperty().set("no-such-mailbox");
        vm.applyFilter();

        assertThat(vm.rows().size()).isZero();
        assertThat(placeholder.get()).isEqualTo("No entry matches the filter");
        s.engine.queue().remove(s.engine.queue().page(QueueQuery.all(), 0, 100).stream().map(QueueEntry::recno).toList());
        vm.load();
        assertThat(placeholder.get()).isEqualTo("The maintenance queue is empty");
    }

    @Test
    void a_sort_change_is_shown_even_when_an_entry_arrives_while_the_rows_load() {
        fill(s.engine, 30);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        live.load();
        step.runPending();
        long before = s.engine.backend().queue().maxRecno();

        live.ascendingProperty().set(false);            // the rows are read...
        enqueue(s.engine, "user/new", Action.CLEAN, 0);  // ...an entry is queued...
        live.entriesAdded(s.engine.queue().entriesAfter(before, 10)); // ...and its event is handled first
        step.runPending();
        live.reconcile();                                // the periodic check
        step.runPending();

        assertThat(all(live.rows())).isEqualTo(db(QueueQuery.all().withSort(QueueQuery.Sort.RECNO, false)));
        assertThat(live.totalProperty().get()).isEqualTo(31);
    }

    @Test
    void a_remove_is_due_at_its_timestamp_plus_store_cleanupage() {
        s.engine.settings().set(Setting.CLEANUP_AGE, "2h");
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now());
        QueueEntry clean = enqueue(s.engine, BOX, Action.CLEAN, s.engine.context().now());
        vm.load();

        assertThat(vm.due(remove)).isEqualTo(remove.timestamp().plus(Duration.ofHours(2)));
        assertThat(vm.due(clean)).isEqualTo(clean.timestamp());
    }

    @Test
    void shortening_store_cleanupage_moves_a_removes_due_time_at_once() {
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now());
        vm.load();
        s.engine.settings().set(Setting.CLEANUP_AGE, "10m");

        vm.loadSettings();

        assertThat(vm.due(remove)).isEqualTo(remove.timestamp().plus(Duration.ofMinutes(10)));
    }

    @Test
    void the_detail_of_a_clean_names_the_threshold_it_crossed_with_the_figures() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 150);
        s.expunge(BOX, "1:150"); // Expunged 150 > store.cleanupsize 100: Clean is queued
        QueueEntry clean = s.engine.queue().find(BOX, Action.CLEAN).orElseThrow();
        vm.load();

        vm.showDetail(clean);

        EntryDetail d = vm.detailProperty().get();
        assertThat(d.why()).startsWith("Expunged 150 > store.cleanupsize 100 (queued ")
                .endsWith(" by " + EntryDetail.process(clean.queuedBy()) + ")");
        assertThat(d.who()).isEqualTo("queued by mstore test (pid " + ProcessHandle.current().pid() + ") on "
                + clean.queuedBy().substring(clean.queuedBy().indexOf('@') + 1) + "; not picked yet");
        assertThat(d.state()).isEqualTo("waiting");
        assertThat(d.attempts()).isEqualTo("none failed");
        assertThat(d.dueText()).startsWith("now");
    }

    @Test
    void the_detail_of_an_entry_an_administrator_requested_says_so() throws Exception {
        s.mailbox(BOX);
        long recno = s.engine.queue().request(BOX, Action.PURGE).recno();
        vm.load();

        vm.showDetail(s.engine.queue().get(recno).orElseThrow());

        assertThat(vm.detailProperty().get().why()).startsWith("Purge now by an administrator (queued ");
        assertThat(vm.detailProperty().get().who()).startsWith("requested by an administrator in mstore test (pid ");
    }

    @Test
    void run_now_on_an_entry_the_rules_queued_keeps_the_rule_in_its_detail() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 150);
        s.expunge(BOX, "1:150"); // Expunged 150 > store.cleanupsize 100: Clean is queued
        s.engine.daemon().stop();
        long recno = s.engine.queue().find(BOX, Action.CLEAN).orElseThrow().recno();
        s.engine.queue().request(BOX, Action.CLEAN); // what Run now does to a waiting entry: forces it
        vm.load();

        vm.showDetail(s.engine.queue().get(recno).orElseThrow());

        EntryDetail d = vm.detailProperty().get();
        assertThat(d.entry().forced()).isTrue();
        assertThat(d.why()).startsWith("Expunged 150 > store.cleanupsize 100 (queued ")
                .endsWith("; forced by an administrator: it runs at once, past the threshold checks");
        assertThat(d.who()).endsWith("; forced by an administrator since; not picked yet");
    }

    @Test
    void the_detail_of_a_parked_entry_shows_its_attempts_and_last_error() {
        QueueEntry remove = enqueue(s.engine, BOX, Action.REMOVE, s.engine.context().now());
        org.mstore.console.Parking.park(s.engine, remove.recno(), "cannot delete 3.msg");
        vm.load();

        vm.showDetail(remove);

        EntryDetail d = vm.detailProperty().get();
        assertThat(d.state()).startsWith("failed 5 times: parked");
        assertThat(d.attempts()).isEqualTo("5 failed");
        assertThat(d.lastError()).isEqualTo("cannot delete 3.msg");
        assertThat(d.dueText()).isEqualTo("not until it is retried");
    }

    @Test
    void the_detail_of_an_entry_that_left_the_queue_says_how_it_ended() {
        QueueEntry clean = enqueue(s.engine, "user/nobody", Action.CLEAN, s.engine.context().now());
        vm.load();
        s.engine.daemon().drain();

        vm.showDetail(clean);

        assertThat(vm.detailProperty().get().finished()).startsWith("dropped at ").endsWith(": mailbox no longer exists");
    }

    @Test
    void a_parked_entry_leaves_the_table_and_a_retried_one_comes_back() {
        fill(s.engine, 10);
        vm.load();
        QueueEntry first = vm.rows().get(0);

        QueueEntry parked = org.mstore.console.Parking.park(s.engine, first.recno(), "boom");
        vm.entriesChanged(List.of(parked));

        assertThat(all(vm.rows())).extracting(QueueEntry::recno).doesNotContain(first.recno()).hasSize(9);
        assertThat(vm.totalProperty().get()).isEqualTo(9);

        List<QueueEntry> back = s.engine.queue().retry(List.of(first.recno()));
        vm.entriesChanged(back);

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all())).hasSize(10);
        assertThat(vm.totalProperty().get()).isEqualTo(10);
    }

    @Test
    void while_paused_the_rows_hold_still_and_resuming_shows_what_changed() {
        fill(s.engine, 20);
        vm.load();
        List<QueueEntry> before = all(vm.rows());
        vm.pausedProperty().set(true);

        QueueEntry added = enqueue(s.engine, "user/new", Action.CLEAN, s.engine.context().now());
        vm.entriesAdded(List.of(added));
        s.engine.queue().remove(List.of(before.get(0).recno()));
        vm.entriesDone(s.engine.queue().recentHistory(1));

        assertThat(all(vm.rows())).isEqualTo(before);
        assertThat(vm.totalProperty().get()).as("still counted").isEqualTo(20);

        vm.pausedProperty().set(false);

        assertThat(all(vm.rows())).isEqualTo(db(QueueQuery.all())).contains(added).doesNotContain(before.get(0));
    }

    @Test
    void a_bulk_remove_over_a_filter_removes_exactly_the_matching_entries() {
        fill(s.engine, 1_000);
        vm.load();
        vm.mailboxFilterProperty().set("u001");
        vm.applyFilter();
        List<Long> matching = db(QueueQuery.all().withMailboxText("u001")).stream().map(QueueEntry::recno).toList();
        long[] counted = {-1};
        vm.countMatching(n -> counted[0] = n);
        assertThat(counted[0]).isEqualTo(matching.size()).isGreaterThan(QueuePage.PAGE_SIZE / 10);

        vm.removeAllMatching();

        assertThat(db(QueueQuery.all())).hasSize(1_000 - matching.size())
                .noneSatisfy(e -> assertThat(e.mailbox()).contains("u001"));
        assertThat(vm.messageProperty().get()).isEqualTo("Removed " + matching.size() + " matching entries");
        assertThat(vm.rows()).isEmpty();
    }

    @Test
    void a_count_that_saw_an_entry_before_its_event_came_settles_to_the_database_once_the_queue_is_still() {
        fill(s.engine, 20);
        vm.load();
        long before = s.engine.backend().queue().maxRecno();
        enqueue(s.engine, "user/late", Action.REPAIR, 0);
        vm.refreshCounts(); // a periodic count, read after the commit ...
        vm.entriesAdded(s.engine.queue().entriesAfter(before, 100)); // ... and the entry's event, arriving after it
        assertThat(vm.totalProperty().get()).as("counted twice until the queue settles").isEqualTo(22);

        vm.settle(System.nanoTime());
        assertThat(vm.totalProperty().get()).as("not yet: entries came a moment ago").isEqualTo(22);
        vm.settle(System.nanoTime() + QueueViewModel.SETTLE_NANOS);

        assertThat(vm.totalProperty().get()).isEqualTo(21).isEqualTo(s.engine.queue().count());
        assertThat(vm.rows().totalProperty().get()).isEqualTo(21);
    }

    // ---------------------------------------------------------------- counts tied to the change feed

    /** The store's queue events after feed sequence {@code seq}, as the engine's watcher publishes them (with their sequences). */
    private List<org.mstore.api.StoreEvent> eventsAfter(long seq) {
        return s.engine.backend().changes().after(seq, 1000).stream().filter(c -> c.event() != null)
                .map(c -> org.mstore.api.StoreEvent.sequenced(c.event(), c.seq())).toList();
    }

    static void dispatch(QueueViewModel vm, org.mstore.api.StoreEvent e) {
        if (e instanceof org.mstore.api.StoreEvent.EntriesAdded a) {
            vm.entriesAdded(a);
        } else if (e instanceof org.mstore.api.StoreEvent.EntriesDone d) {
            vm.entriesDone(d);
        } else if (e instanceof org.mstore.api.StoreEvent.EntriesChanged c) {
            vm.entriesChanged(c);
        }
    }

    /** "N pending", "N match" (and "rows a-b of N"), and the status bar's "queue: N" (the view binds it to the total). */
    private static void assertCountersAre(QueueViewModel vm, long n) {
        assertThat(vm.totalProperty().get()).as("pending (and the status bar's queue count)").isEqualTo(n);
        assertThat(vm.rows().totalProperty().get()).as("match").isEqualTo(n);
    }

    @Test
    void an_added_event_that_comes_after_a_count_which_already_saw_its_entry_is_not_counted_twice() {
        fill(s.engine, 20);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        live.load();
        step.runPending();
        long seen = s.engine.backend().changes().maxSeq();

        enqueue(s.engine, "user/late", Action.REPAIR, 0);
        live.refreshCounts(); // a count read after the commit, answered ...
        step.runPending();
        eventsAfter(seen).forEach(e -> dispatch(live, e)); // ... and then the entry's event

        assertCountersAre(live, 21);
        assertThat(live.countProperty(Action.REPAIR).get()).isEqualTo(s.engine.queue().countsByAction().get(Action.REPAIR));
        assertThat(s.engine.queue().count()).isEqualTo(21);
    }

    @Test
    void a_done_event_that_comes_while_a_count_which_missed_it_is_read_is_not_lost() {
        fill(s.engine, 20);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        live.load();
        step.runPending();
        long seen = s.engine.backend().changes().maxSeq();

        live.refreshCounts(); // a count read before the change ...
        s.engine.queue().remove(List.of(s.engine.queue().page(QueueQuery.all(), 0, 1).get(0).recno()));
        enqueue(s.engine, "user/new", Action.CLEAN, 0);
        enqueue(s.engine, "user/new2", Action.PURGE, 0);
        eventsAfter(seen).forEach(e -> dispatch(live, e)); // ... whose events come before its answer
        step.runPending();

        assertCountersAre(live, 21);
        assertThat(s.engine.queue().count()).isEqualTo(21);
        for (Action a : Action.values()) {
            assertThat(live.countProperty(a).get()).as(a.label()).isEqualTo(s.engine.queue().countsByAction().get(a));
        }
    }

    @Test
    void with_a_filter_match_counts_each_change_once_and_never_exceeds_pending() {
        fill(s.engine, 20);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        live.load();
        step.runPending();
        live.mailboxFilterProperty().set("late");
        live.applyFilter();
        step.runPending();
        assertThat(live.rows().totalProperty().get()).isZero();
        long seen = s.engine.backend().changes().maxSeq();

        enqueue(s.engine, "user/late1", Action.REPAIR, 0);
        live.refreshCounts(); // sees late1, answered after late2's event came
        enqueue(s.engine, "user/late2", Action.CLEAN, 0);
        eventsAfter(seen).forEach(e -> dispatch(live, e));
        step.runPending();

        QueueQuery q = QueueQuery.all().withMailboxText("late");
        assertThat(live.rows().totalProperty().get()).as("match").isEqualTo(s.engine.queue().count(q)).isEqualTo(2);
        assertThat(live.totalProperty().get()).as("pending").isEqualTo(s.engine.queue().count()).isEqualTo(22);
        assertThat(all(live.rows())).isEqualTo(db(q));
    }

    @Test
    void a_new_filter_is_counted_alone_and_an_entry_its_read_saw_counts_once_in_match_and_once_in_pending() {
        fill(s.engine, 20);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        live.load();
        step.runPending();
        long seen = s.engine.backend().changes().maxSeq();

        live.mailboxFilterProperty().set("late");
        live.applyFilter(); // reads what "late" matches, alone: the counts per action stand on the load's read
        enqueue(s.engine, "user/late1", Action.REPAIR, 0); // before that read: it sees late1
        step.runPending();
        eventsAfter(seen).forEach(e -> dispatch(live, e)); // late1's event: newer than the counts, not than the match
        step.runPending();

        QueueQuery q = QueueQuery.all().withMailboxText("late");
        assertThat(live.rows().totalProperty().get()).as("match").isEqualTo(s.engine.queue().count(q)).isEqualTo(1);
        assertThat(live.totalProperty().get()).as("pending").isEqualTo(s.engine.queue().count()).isEqualTo(21);
        assertThat(live.countProperty(Action.REPAIR).get()).isEqualTo(s.engine.queue().countsByAction().get(Action.REPAIR));
    }

    @Test
    void what_a_filter_matches_is_read_alone_with_the_sequence_it_includes() {
        fill(s.engine, 20);
        enqueue(s.engine, "user/late1", Action.REPAIR, 0);
        QueueQuery q = QueueQuery.all().withMailboxText("late");
        org.mstore.api.QueueCounts m = s.engine.queue().matching(q);
        assertThat(m.perAction()).isFalse();
        assertThat(m.matching()).isEqualTo(1);
        assertThat(m.seq()).isEqualTo(s.engine.backend().changes().maxSeq());
    }

    @Test
    void a_discarded_parked_entry_is_not_uncounted_from_pending() {
        fill(s.engine, 10);
        StepTaskExecutor step = new StepTaskExecutor();
        QueueViewModel live = new QueueViewModel(s.engine, step, false);
        live.load();
        step.runPending();
        QueueEntry first = live.rows().get(0);
        long seen = s.engine.backend().changes().maxSeq();

        org.mstore.console.Parking.park(s.engine, first.recno(), "boom");
        eventsAfter(seen).forEach(e -> dispatch(live, e)); // parked: counted again
        step.runPending();
        assertCountersAre(live, 9);
        seen = s.engine.backend().changes().maxSeq();
        s.engine.queue().discard(List.of(first.recno()));
        eventsAfter(seen).forEach(e -> dispatch(live, e)); // discarded: it was not pending
        step.runPending();

        assertCountersAre(live, 9);
        assertThat(s.engine.queue().count()).isEqualTo(9);
    }

    /**
     * Reads on a background thread; their answers and what other threads hand to the UI thread queue up for the test
     * thread, which plays the UI thread: counts and engine events interleave as they do in the console.
     */
    static final class BackgroundExecutor implements org.mstore.console.TaskExecutor {
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        final java.util.concurrent.LinkedBlockingQueue<Runnable> ui = new java.util.concurrent.LinkedBlockingQueue<>();
        final java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public <T> void execute(String title, java.util.concurrent.Callable<T> work, java.util.function.Consumer<T> onSuccess,
                java.util.function.Consumer<Throwable> onFailure) {
            busy.incrementAndGet();
            pool.execute(() -> {
                try {
                    T r = work.call();
                    ui.add(() -> {
                        busy.decrementAndGet();
                        onSuccess.accept(r);
                    });
                } catch (Exception e) {
                    ui.add(() -> {
                        busy.decrementAndGet();
                        onFailure.accept(e);
                    });
                }
            });
        }

        @Override
        public void runOnUi(Runnable r) {
            ui.add(r);
        }

        void drain() {
            Runnable r;
            while ((r = ui.poll()) != null) {
                r.run();
            }
        }

        @Override
        public javafx.beans.property.ReadOnlyIntegerProperty runningProperty() {
            return new javafx.beans.property.ReadOnlyIntegerWrapper(0).getReadOnlyProperty();
        }

        @Override
        public javafx.beans.property.ReadOnlyStringProperty currentTitleProperty() {
            return new javafx.beans.property.ReadOnlyStringWrapper("").getReadOnlyProperty();
        }

        @Override
        public void shutdown() {
            pool.shutdownNow();
        }
    }

    @Test
    void under_churn_pending_match_and_the_status_count_agree_with_the_store_whenever_the_churn_pauses() throws Exception {
        fill(s.engine, 2000);
        BackgroundExecutor ex = new BackgroundExecutor();
        Engine console = Engine.open(s.root, new OpenOptions(s.clock, "console", false, true));
        QueueQuery some = QueueQuery.all().withMailboxText("u00");
        java.util.concurrent.Semaphore turn = new java.util.concurrent.Semaphore(1);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> writerFailed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread writer = new Thread(() -> {
            // adds and finishes entries, a few at a time, as simulate and the daemon do
            int n = 0;
            try {
                while (!stop.get()) {
                    turn.acquire();
                    try {
                        List<org.mstore.api.QueueRequest> batch = new java.util.ArrayList<>();
                        for (int i = 0; i < 7; i++, n++) {
                            batch.add(new org.mstore.api.QueueRequest(String.format("user/c%05d", n), Action.values()[n % 4], 0, false));
                        }
                        s.engine.backend().queue().enqueueAll(batch);
                        s.engine.queue().remove(s.engine.queue().page(QueueQuery.all(), 0, 5 + n % 4).stream().map(QueueEntry::recno).toList());
                    } finally {
                        turn.release();
                    }
                    Thread.sleep(2); // a pace, not a time rule
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                writerFailed.set(t);
            }
        }, "churn");
        long[] delivered = {-1};
        try (AutoCloseable sub = console.subscribe(e -> ex.runOnUi(() -> {
            if (e instanceof org.mstore.api.StoreEvent.EntriesAdded a) {
                delivered[0] = Math.max(delivered[0], a.seq(a.entries().size() - 1));
            } else if (e instanceof org.mstore.api.StoreEvent.EntriesDone d) {
                delivered[0] = Math.max(delivered[0], d.seq(d.entries().size() - 1));
            }
        }))) {
            QueueViewModel whole = new QueueViewModel(console, ex, false);
            QueueViewModel filtered = new QueueViewModel(console, ex, false);
            filtered.mailboxFilterProperty().set(some.mailboxText());
            AutoCloseable feed = console.subscribe(e -> ex.runOnUi(() -> {
                dispatch(whole, e);
                dispatch(filtered, e);
            }));
            whole.load();
            filtered.load();
            while (ex.busy.get() > 0 || !ex.ui.isEmpty()) {
                Runnable r = ex.ui.poll(20, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (r != null) {
                    r.run();
                }
            }
            writer.start();
            for (int checkpoint = 0; checkpoint < 3; checkpoint++) {
                long until = System.nanoTime() + 1_000_000_000L;
                while (System.nanoTime() < until) {
                    Runnable r = ex.ui.poll(20, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (r != null) {
                        r.run();
                    }
                    if (ex.busy.get() == 0) {
                        whole.refreshCounts(); // as the periodic check and the recounts do, while entries come and go
                        filtered.refreshCounts();
                    }
                    assertThat(whole.rows().totalProperty().get()).as("no filter: match is pending").isEqualTo(whole.totalProperty().get());
                    assertThat(filtered.rows().totalProperty().get()).as("match never exceeds pending")
                            .isLessThanOrEqualTo(filtered.totalProperty().get());
                }
                turn.acquire(); // the churn pauses
                try {
                    long last = s.engine.backend().changes().maxSeq();
                    long deadline = System.nanoTime() + 5_000_000_000L;
                    while ((delivered[0] < last || ex.busy.get() > 0 || !ex.ui.isEmpty()) && System.nanoTime() < deadline) {
                        Runnable r = ex.ui.poll(20, java.util.concurrent.TimeUnit.MILLISECONDS);
                        if (r != null) {
                            r.run();
                        }
                    }
                    assertThat(delivered[0]).as("every change delivered").isGreaterThanOrEqualTo(last);
                    long pending = s.engine.queue().count();
                    assertThat(whole.totalProperty().get()).as("pending at pause " + checkpoint).isEqualTo(pending);
                    assertThat(whole.rows().totalProperty().get()).as("match at pause " + checkpoint).isEqualTo(pending);
                    Map<Action, Long> byAction = s.engine.queue().countsByAction();
                    for (Action a : Action.values()) {
                        assertThat(whole.countProperty(a).get()).as(a.label() + " at pause " + checkpoint).isEqualTo(byAction.get(a));
                    }
                    assertThat(filtered.totalProperty().get()).as("pending, filtered view").isEqualTo(pending);
                    assertThat(filtered.rows().totalProperty().get()).as("match, filtered view").isEqualTo(s.engine.queue().count(some));
                } finally {
                    turn.release();
                }
            }
            feed.close();
        } finally {
            stop.set(true);
            writer.join(5000);
            ex.shutdown();
            console.close();
        }
        assertThat(writerFailed.get()).isNull();
    }
}
