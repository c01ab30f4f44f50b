package org.mstore.console.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mstore.console.queue.QueueFixtures.all;
import static org.mstore.console.queue.QueueFixtures.enqueue;
import static org.mstore.console.queue.QueueFixtures.fill;
import static org.mstore.console.queue.QueueFixtures.loaded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;

import javafx.collections.ListChangeListener;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.queue.Action;
import org.mstore.queue.HistoryEntry;
import org.mstore.queue.MaintenanceQueue;
import org.mstore.queue.Outcome;
import org.mstore.queue.QueueEntry;
import org.mstore.queue.QueueQuery;
import org.mstore.testing.TestStore;

/** The queue table's database-backed window list, on a real store with thousands of real entries. */
class QueueRowsTest {
    @TempDir
    Path tmp;
    TestStore s;
    QueueRows rows;
    int changes;
    int sizeFromEvents;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        rows = QueueFixtures.rows(s.engine, new CurrentThreadTaskExecutor());
        // follow the list only through its change events (never through get, which would load rows)
        rows.addListener((ListChangeListener<QueueEntry>) c -> {
            changes++;
            while (c.next()) {
                sizeFromEvents += c.getAddedSize() - c.getRemovedSize();
            }
        });
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private List<QueueEntry> db(QueueQuery q, long offset, int limit) {
        return s.engine.queue().page(q, offset, limit);
    }

    private List<HistoryEntry> removeFromQueue(List<QueueEntry> entries) {
        long seq = s.engine.queue().maxHistorySeq();
        s.engine.removeEntries(entries.stream().map(QueueEntry::recno).toList());
        List<HistoryEntry> done = s.engine.queue().historyAfter(seq, 10_000);
        assertThat(done).hasSize(entries.size()).allSatisfy(h -> assertThat(h.outcome()).isEqualTo(Outcome.REMOVED));
        return done;
    }

    private static QueueQuery sorted(QueueQuery.Sort sort, boolean ascending) {
        return QueueQuery.all().withSort(sort, ascending);
    }

    @Test
    void the_size_is_the_count_of_the_query_in_the_database() {
        fill(s.engine, 5000);
        rows.setQuery(QueueQuery.all());
        assertThat(rows.size()).isEqualTo(5000);

        QueueQuery repairs = QueueQuery.all().withActions(EnumSet.of(Action.REPAIR)).withMailboxText("u01");
        rows.setQuery(repairs);
        assertThat(rows.size()).isEqualTo(s.engine.queue().count(repairs)).isBetween(1, 999);
        assertThat(sizeFromEvents).isEqualTo(rows.size());
    }

    @Test
    void only_a_window_of_rows_is_held_for_five_thousand_entries() {
        fill(s.engine, 5000);
        rows.setQuery(QueueQuery.all());
        assertThat(rows.loadedRows()).isPositive().isLessThanOrEqualTo(QueueRows.WINDOW);
        assertThat(loaded(rows, 0, 100)).isEqualTo(db(QueueQuery.all(), 0, 100));

        rows.get(4000);
        rows.get(2500);
        assertThat(rows.loadedRows()).isPositive().isLessThanOrEqualTo(QueueRows.WINDOW);
    }

    @Test
    void a_row_outside_the_window_reads_as_loading_and_its_window_is_fetched_with_a_change() {
        fill(s.engine, 5000);
        QueueQuery q = sorted(QueueQuery.Sort.MAILBOX, true);
        rows.setQuery(q);
        int before = changes;

        assertThat(rows.get(3000)).isSameAs(QueueRows.LOADING);

        assertThat(changes).isGreaterThan(before);
        assertThat(rows.get(3000)).isEqualTo(db(q, 3000, 1).get(0));
        assertThat(loaded(rows, 2900, 3100)).isEqualTo(db(q, 2900, 200));
        assertThat(rows.size()).isEqualTo(5000);
        assertThat(sizeFromEvents).isEqualTo(5000);
    }

    static Stream<Arguments> sorts() {
        List<Arguments> out = new ArrayList<>();
        for (QueueQuery.Sort sort : QueueQuery.Sort.values()) {
            out.add(Arguments.of(sort, true));
            out.add(Arguments.of(sort, false));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} ascending={1}")
    @MethodSource("sorts")
    void a_new_entry_is_inserted_where_the_database_order_puts_it(QueueQuery.Sort sort, boolean ascending) {
        fill(s.engine, 300);
        QueueQuery q = sorted(sort, ascending);
        rows.setQuery(q);
        long base = s.engine.context().now();

        List<QueueEntry> added = List.of(
                enqueue(s.engine, "user/u00150x", Action.PURGE, base + 150_500),
                enqueue(s.engine, "user/a-first", Action.REPAIR, base - 1000),
                enqueue(s.engine, "user/z-last", Action.CLEAN, base + 400_000),
                enqueue(s.engine, "user/u00007", Action.REMOVE, base + 7000));
        rows.added(added);

        assertThat(rows.size()).isEqualTo(304);
        assertThat(all(rows)).isEqualTo(db(q, 0, 1000));
        assertThat(sizeFromEvents).isEqualTo(304);
    }

    @ParameterizedTest(name = "{0} ascending={1}")
    @MethodSource("sorts")
    void an_entry_the_load_already_read_is_not_shown_twice_when_its_event_comes_after(QueueQuery.Sort sort, boolean ascending) {
        fill(s.engine, 50);
        QueueEntry e = enqueue(s.engine, "user/u00020x", Action.REPAIR, s.engine.context().now() + 20_500);
        QueueQuery q = sorted(sort, ascending);
        rows.setQuery(q);

        rows.added(List.of(e));

        assertThat(rows.size()).isEqualTo(51);
        assertThat(all(rows)).isEqualTo(db(q, 0, 1000));
        assertThat(sizeFromEvents).isEqualTo(51);
    }

    @Test
    void a_new_entry_that_sorts_after_the_window_grows_the_list_not_the_window() {
        fill(s.engine, 5000);
        QueueQuery q = QueueQuery.all();
        rows.setQuery(q);
        int held = rows.loadedRows();

        QueueEntry e = enqueue(s.engine, "user/new", Action.REPAIR, s.engine.context().now());
        rows.added(List.of(e));

        assertThat(rows.size()).isEqualTo(5001);
        assertThat(rows.loadedRows()).isEqualTo(held);
        assertThat(loaded(rows, 0, held)).isEqualTo(db(q, 0, held));
        rows.get(5000);
        assertThat(rows.get(5000)).isEqualTo(e);
    }

    @Test
    void a_new_entry_that_sorts_before_a_window_further_down_shifts_the_window_by_one() {
        fill(s.engine, 5000);
        QueueQuery q = sorted(QueueQuery.Sort.MAILBOX, true);
        rows.setQuery(q);
        rows.get(2500);
        int start = 2500 - QueueRows.BEFORE;
        assertThat(loaded(rows, start, start + 600)).isEqualTo(db(q, start, 600));

        rows.added(List.of(enqueue(s.engine, "user/a-first", Action.CLEAN, 0)));

        assertThat(rows.size()).isEqualTo(5001);
        assertThat(loaded(rows, start + 1, start + 601)).isEqualTo(db(q, start + 1, 600));
        assertThat(sizeFromEvents).isEqualTo(5001);
    }

    @Test
    void a_finished_entry_leaves_the_list_and_the_list_shrinks() {
        fill(s.engine, 300);
        QueueQuery q = sorted(QueueQuery.Sort.TIMESTAMP, false);
        rows.setQuery(q);
        List<QueueEntry> gone = List.of(rows.get(0), rows.get(17), rows.get(150), rows.get(299));

        rows.done(removeFromQueue(gone));

        assertThat(rows.size()).isEqualTo(296);
        assertThat(all(rows)).isEqualTo(db(q, 0, 1000)).doesNotContainAnyElementsOf(gone);
        assertThat(sizeFromEvents).isEqualTo(296);
    }

    @Test
    void a_finished_entry_before_a_window_further_down_shifts_the_window_back_by_one() {
        fill(s.engine, 5000);
        QueueQuery q = QueueQuery.all();
        rows.setQuery(q);
        QueueEntry early = rows.get(10);
        rows.get(2500);
        int start = 2500 - QueueRows.BEFORE;

        rows.done(removeFromQueue(List.of(early)));

        assertThat(rows.size()).isEqualTo(4999);
        assertThat(loaded(rows, start - 1, start + 599)).isEqualTo(db(q, start - 1, 600));
    }

    @Test
    void entries_that_do_not_pass_the_filter_are_ignored() {
        fill(s.engine, 200);
        QueueQuery repairs = QueueQuery.all().withActions(EnumSet.of(Action.REPAIR));
        rows.setQuery(repairs);
        assertThat(rows.size()).isEqualTo(50);
        int before = changes;

        QueueEntry clean = enqueue(s.engine, "user/new", Action.CLEAN, 0);
        rows.added(List.of(clean));
        QueueEntry purge = s.engine.queue().page(QueueQuery.all().withActions(EnumSet.of(Action.PURGE)), 0, 1).get(0);
        rows.done(removeFromQueue(List.of(purge)));

        assertThat(rows.size()).isEqualTo(50);
        assertThat(changes).isEqualTo(before);
        assertThat(all(rows)).isEqualTo(db(repairs, 0, 1000));
    }

    @Test
    void reconcile_reloads_a_list_whose_size_drifted_from_the_database() {
        fill(s.engine, 100);
        QueueQuery q = QueueQuery.all();
        rows.setQuery(q);
        // entries that came (and one that went) without the list hearing of it
        List<MaintenanceQueue.Request> unseen = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            unseen.add(new MaintenanceQueue.Request("user/unseen" + i, Action.PURGE, 0, false));
        }
        s.engine.queue().enqueueAll(unseen);
        s.engine.removeEntries(List.of(rows.get(3).recno()));
        assertThat(rows.size()).isEqualTo(100);

        rows.reconcile();

        assertThat(rows.size()).isEqualTo(149).isEqualTo(s.engine.queue().count(q));
        assertThat(all(rows)).isEqualTo(db(q, 0, 1000));
        assertThat(sizeFromEvents).isEqualTo(149);
    }

    @Test
    void reconcile_leaves_a_list_that_matches_the_database_alone() {
        fill(s.engine, 100);
        rows.setQuery(QueueQuery.all());
        int before = changes;

        rows.reconcile();

        assertThat(changes).isEqualTo(before);
    }

    @ParameterizedTest(name = "ascending={0}")
    @ValueSource(booleans = {true, false})
    void entries_arriving_live_keep_the_rows_held_in_memory_bounded(boolean ascending) {
        fill(s.engine, 10);
        QueueQuery q = sorted(QueueQuery.Sort.RECNO, ascending);
        rows.setQuery(q);

        long last = s.engine.queue().maxRecno();
        for (int batch = 0; batch < 6; batch++) {
            List<MaintenanceQueue.Request> more = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                more.add(new MaintenanceQueue.Request("user/live" + batch + "-" + i, Action.CLEAN, 0, false));
            }
            s.engine.queue().enqueueAll(more);
            List<QueueEntry> news = s.engine.queue().entriesAfter(last, 5000);
            last = news.get(news.size() - 1).recno();
            rows.added(news);
        }

        assertThat(rows.size()).isEqualTo(6010);
        assertThat(rows.loadedRows()).isLessThanOrEqualTo(QueueRows.WINDOW);
        assertThat(loaded(rows, 0, 100)).isEqualTo(db(q, 0, 100));
        assertThat(sizeFromEvents).isEqualTo(6010);
    }

    @ParameterizedTest(name = "{0} ascending={1}")
    @MethodSource("sorts")
    void an_entry_arriving_after_every_loaded_row_left_is_still_counted(QueueQuery.Sort sort, boolean ascending) {
        fill(s.engine, 700);
        QueueQuery q = sorted(sort, ascending);
        rows.setQuery(q);
        int held = rows.loadedRows();
        // the daemon finishes every row the window holds (the top of the list, where the user looks)
        rows.done(removeFromQueue(loaded(rows, 0, held)));
        assertThat(rows.loadedRows()).isZero();

        rows.added(List.of(enqueue(s.engine, "user/new", Action.REPAIR, s.engine.context().now())));

        assertThat(rows.size()).isEqualTo(701 - held).isEqualTo(s.engine.queue().count(q));
        rows.get(0);
        assertThat(all(rows)).isEqualTo(db(q, 0, 1000));
        assertThat(sizeFromEvents).isEqualTo(rows.size());
    }
}
