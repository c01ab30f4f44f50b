package org.mstore.console.queue;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.testing.TestStore;

import javafx.collections.ListChangeListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mstore.console.queue.QueueFixtures.all;
import static org.mstore.console.queue.QueueFixtures.enqueue;
import static org.mstore.console.queue.QueueFixtures.fill;

/** The queue table's page of rows, on a real store with thousands of real entries. */
class QueuePageTest {
    static final int PAGE = 50;
    @TempDir
    Path tmp;
    TestStore s;
    QueuePage page;
    int changes;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        page = QueueFixtures.page(s.engine, new CurrentThreadTaskExecutor(), PAGE);
        page.addListener((ListChangeListener<QueueEntry>) c -> changes++);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private List<QueueEntry> db(QueueQuery q, long offset, int limit) {
        return s.engine.queue().page(q, offset, limit);
    }

    private List<HistoryEntry> finish(List<QueueEntry> entries) {
        long seq = s.engine.queue().maxHistorySeq();
        s.engine.queue().remove(entries.stream().map(QueueEntry::recno).toList());
        List<HistoryEntry> done = s.engine.queue().historyAfter(seq, 10_000);
        assertThat(done).hasSize(entries.size()).allSatisfy(h -> assertThat(h.outcome()).isEqualTo(Outcome.REMOVED));
        return done;
    }

    static Stream<Arguments> sorts() {
        return Stream.of(QueueQuery.Sort.values()).flatMap(s -> Stream.of(Arguments.of(s, true), Arguments.of(s, false)));
    }

    @Test
    void the_total_is_the_querys_count_and_the_page_holds_at_most_a_page_of_rows() {
        fill(s.engine, 5000);
        page.setQuery(QueueQuery.all());
        assertThat(page.totalProperty().get()).isEqualTo(5000);
        assertThat(page).hasSize(PAGE);
        assertThat(all(page)).isEqualTo(db(QueueQuery.all(), 0, PAGE));
    }

    @Test
    void next_previous_last_and_go_to_row_show_the_pages_the_database_returns() {
        fill(s.engine, 1234);
        page.setQuery(QueueQuery.all());
        page.nextPage();
        assertThat(page.pageStartProperty().get()).isEqualTo(PAGE);
        assertThat(all(page)).isEqualTo(db(QueueQuery.all(), PAGE, PAGE));
        page.lastPage();
        assertThat(page.pageStartProperty().get()).isEqualTo(1200);
        assertThat(all(page)).isEqualTo(db(QueueQuery.all(), 1200, PAGE)).hasSize(34);
        assertThat(page.hasNext()).isFalse();
        page.previousPage();
        assertThat(page.pageStartProperty().get()).isEqualTo(1150);
        page.showRow(777);
        assertThat(page.pageStartProperty().get()).isEqualTo(750);
        assertThat(all(page)).isEqualTo(db(QueueQuery.all(), 750, PAGE));
        page.showRow(999_999);
        assertThat(page.pageStartProperty().get()).as("clamped to the last page").isEqualTo(1200);
        page.firstPage();
        assertThat(page.hasPrevious()).isFalse();
    }

    @ParameterizedTest(name = "{0} ascending={1}")
    @MethodSource("sorts")
    void a_new_entry_that_falls_on_the_page_is_inserted_where_the_database_order_puts_it(QueueQuery.Sort sort, boolean ascending) {
        fill(s.engine, 200);
        QueueQuery q = QueueQuery.all().withSort(sort, ascending);
        page.setQuery(q);
        page.showRow(100);
        List<QueueEntry> before = all(page);
        // an entry that sorts between two rows of this page
        QueueEntry a = before.get(10);
        QueueEntry e = enqueue(s.engine, a.mailbox() + "x", a.action(), a.timestamp().toEpochMilli());
        int changesBefore = changes;
        page.added(List.of(e));
        assertThat(page.totalProperty().get()).isEqualTo(201);
        long start = page.pageStartProperty().get();
        if (all(page).contains(e)) {
            assertThat(changes).isGreaterThan(changesBefore);
        }
        assertThat(all(page)).as("the page is exactly what the database returns now").isEqualTo(db(q, start, PAGE));
    }

    @Test
    void a_new_entry_on_the_last_page_is_appended_and_one_that_sorts_before_the_page_shifts_it() {
        fill(s.engine, 120);
        page.setQuery(QueueQuery.all());
        page.lastPage();
        assertThat(page).hasSize(20);
        QueueEntry e = enqueue(s.engine, "user/new", Action.REPAIR, s.clock.millis());
        page.added(List.of(e));
        assertThat(page).hasSize(21);
        assertThat(page.get(20)).isEqualTo(e);

        QueueQuery desc = QueueQuery.all().withSort(QueueQuery.Sort.RECNO, false);
        page.setQuery(desc);
        page.nextPage();
        QueueEntry newest = enqueue(s.engine, "user/newest", Action.CLEAN, s.clock.millis());
        page.added(List.of(newest));
        assertThat(page.totalProperty().get()).isEqualTo(122);
        assertThat(all(page)).as("the page moved down by one row").isEqualTo(db(desc, PAGE, PAGE));
    }

    @Test
    void a_finished_entry_leaves_the_page_and_the_next_pages_first_row_takes_its_place() {
        fill(s.engine, 200);
        page.setQuery(QueueQuery.all());
        QueueEntry gone = page.get(7);
        page.done(finish(List.of(gone)));
        assertThat(page.totalProperty().get()).isEqualTo(199);
        assertThat(all(page)).doesNotContain(gone).hasSize(PAGE).isEqualTo(db(QueueQuery.all(), 0, PAGE));
    }

    @Test
    void a_finished_entry_on_an_earlier_page_moves_this_page_up_by_one() {
        fill(s.engine, 200);
        page.setQuery(QueueQuery.all());
        QueueEntry early = db(QueueQuery.all(), 3, 1).get(0);
        page.showRow(120);
        page.done(finish(List.of(early)));
        assertThat(all(page)).isEqualTo(db(QueueQuery.all(), 100, PAGE));
    }

    @Test
    void the_last_entry_of_the_last_page_leaving_shows_the_page_before() {
        fill(s.engine, 101);
        page.setQuery(QueueQuery.all());
        page.lastPage();
        assertThat(page).hasSize(1);
        page.done(finish(List.of(page.get(0))));
        assertThat(page.pageStartProperty().get()).isEqualTo(50);
        assertThat(page).hasSize(PAGE);
    }

    @Test
    void entries_that_do_not_pass_the_filter_are_neither_counted_nor_shown() {
        fill(s.engine, 80);
        QueueQuery repairs = QueueQuery.all().withActions(EnumSet.of(Action.REPAIR));
        page.setQuery(repairs);
        long n = page.totalProperty().get();
        QueueEntry clean = enqueue(s.engine, "user/zz", Action.CLEAN, s.clock.millis());
        page.added(List.of(clean));
        page.done(finish(List.of(clean)));
        assertThat(page.totalProperty().get()).isEqualTo(n);
        assertThat(all(page)).isEqualTo(db(repairs, 0, PAGE));
    }

    @Test
    void an_entry_the_load_already_read_is_not_counted_twice_when_its_event_comes_after() {
        fill(s.engine, 10);
        QueueEntry e = enqueue(s.engine, "user/late", Action.PURGE, s.clock.millis());
        page.setQuery(QueueQuery.all());
        page.added(List.of(e));
        assertThat(page.totalProperty().get()).isEqualTo(11);
        assertThat(all(page)).containsOnlyOnce(e);
    }

    @Test
    void reconcile_reloads_a_page_whose_count_drifted_from_the_database() {
        fill(s.engine, 100);
        page.setQuery(QueueQuery.all());
        // entries that came and went without this page hearing of them
        s.engine.queue().remove(db(QueueQuery.all(), 0, 30).stream().map(QueueEntry::recno).toList());
        assertThat(page.totalProperty().get()).isEqualTo(100);
        page.reconcile();
        assertThat(page.totalProperty().get()).isEqualTo(70);
        assertThat(all(page)).isEqualTo(db(QueueQuery.all(), 0, PAGE));
    }

    @Test
    void reconcile_leaves_a_page_that_matches_the_database_alone() {
        fill(s.engine, 100);
        page.setQuery(QueueQuery.all());
        int before = changes;
        page.reconcile();
        assertThat(changes).isEqualTo(before);
    }

    @Test
    void a_million_entries_are_never_held_in_memory_only_a_page() {
        fill(s.engine, 3000);
        QueuePage big = QueueFixtures.page(s.engine, new CurrentThreadTaskExecutor(), QueuePage.PAGE_SIZE);
        big.setQuery(QueueQuery.all());
        assertThat(big).hasSize(QueuePage.PAGE_SIZE);
        assertThat(big.totalProperty().get()).isEqualTo(3000);
    }
}
