package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.Enqueued;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.TaskResult;
import org.mstore.backend.QueueStore;
import org.mstore.purge.TaskRunner;

/**
 * Parked (failed) entries on the Cassandra store, through the same API as the classic store's {@code FailedTasksTest}:
 * a task that keeps failing is parked after {@link TaskRunner#MAX_ATTEMPTS} attempts, waits for an administrator, and
 * is retried or discarded; the history is read by outcome. The failing task is a forced Repair while the summaries table
 * is gone (reading it fails every time); putting the table back mends it.
 */
@ExtendWith(CassandraFixture.class)
class CassandraFailedTasksTest {
    static final String BOX = "user/carol";
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("failed");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
        s.mailbox(BOX);
        s.append(BOX, 5);
    }

    @AfterEach
    void tearDown() throws Exception {
        mend();
        s.engine.mailboxes().delete(BOX);
        s.close();
    }

    /** Takes the summaries table away: a Repair, which reads it first, then fails every time. */
    private void breakIt() {
        s.backend.ddlForTests("DROP TABLE IF EXISTS {cache}.summaries");
    }

    /** Puts the table back (empty: a Repair rebuilds the summaries from the messages). */
    private void mend() {
        s.backend.ddlForTests(Schema.TABLES.stream().filter(t -> t.contains("{cache}.summaries")).findFirst().orElseThrow());
    }

    /** Runs what is due, then lets the longest back-off pass. */
    private List<TaskResult> attempt() {
        List<TaskResult> r = s.engine.daemon().drain();
        s.clock.advance(Duration.ofHours(1));
        return r;
    }

    /** A forced Repair that fails {@link TaskRunner#MAX_ATTEMPTS} times: returns the parked entry. */
    private QueueEntry parkIt() {
        breakIt();
        long recno = s.engine.queue().request(BOX, Action.REPAIR).recno();
        for (int i = 1; i <= TaskRunner.MAX_ATTEMPTS; i++) {
            assertThat(attempt()).extracting(TaskResult::finished).containsExactly(false);
        }
        return s.engine.queue().get(recno).orElseThrow();
    }

    private List<QueueEntry> parked() {
        List<QueueEntry> out = new java.util.ArrayList<>();
        s.engine.queue().forEach(QueueQuery.failed(), out::add);
        return out;
    }

    @Test
    void a_task_that_fails_max_attempts_times_is_parked_with_its_last_error() {
        breakIt();
        long recno = s.engine.queue().request(BOX, Action.REPAIR).recno();
        for (int i = 1; i < TaskRunner.MAX_ATTEMPTS; i++) {
            assertThat(attempt()).extracting(TaskResult::finished).containsExactly(false);
            assertThat(s.engine.queue().get(recno).orElseThrow()).extracting(QueueEntry::state, QueueEntry::attempts)
                    .containsExactly(QueueEntry.State.WAITING, i);
        }
        List<TaskResult> last = attempt();
        assertThat(last).singleElement().satisfies(r -> assertThat(r.entry()).extracting(QueueEntry::state, QueueEntry::attempts)
                .containsExactly(QueueEntry.State.FAILED, TaskRunner.MAX_ATTEMPTS));
        QueueEntry parked = s.engine.queue().get(recno).orElseThrow();
        assertThat(parked).extracting(QueueEntry::state, QueueEntry::attempts, QueueEntry::pickedBy, QueueEntry::notBefore)
                .containsExactly(QueueEntry.State.FAILED, TaskRunner.MAX_ATTEMPTS, null, null);
        assertThat(parked.lastError()).isNotBlank();
        assertThat(parked()).extracting(QueueEntry::recno).containsExactly(recno);
        assertThat(s.engine.queue().count()).isZero();
        assertThat(s.queue()).isEmpty();
        assertThat(s.engine.queue().count(QueueQuery.failed())).isEqualTo(1);
    }

    @Test
    void a_parked_entry_is_never_claimed() {
        QueueEntry parked = parkIt();
        s.clock.advance(Duration.ofDays(2));
        assertThat(s.engine.daemon().drain()).isEmpty();
        assertThat(s.backend.queue().claim(parked.recno(), s.clock.millis(), "test")).isEmpty();
        assertThat(s.engine.queue().get(parked.recno()).orElseThrow()).extracting(QueueEntry::state, QueueEntry::attempts)
                .containsExactly(QueueEntry.State.FAILED, TaskRunner.MAX_ATTEMPTS);
    }

    @Test
    void retry_brings_a_parked_entry_back_with_no_attempts_and_it_runs() {
        QueueEntry parked = parkIt();
        mend();
        assertThat(s.engine.queue().retry(List.of(parked.recno()))).extracting(QueueEntry::recno, QueueEntry::state, QueueEntry::attempts)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(parked.recno(), QueueEntry.State.WAITING, 0));
        assertThat(parked()).isEmpty();
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(parked.recno(), Outcome.DONE));
        assertThat(s.engine.queue().finished(parked.recno()).orElseThrow().outcome()).isEqualTo(Outcome.DONE);
    }

    @Test
    void discard_records_a_parked_entry_as_discarded() {
        QueueEntry parked = parkIt();
        long before = s.engine.queue().historyCount(EnumSet.of(Outcome.DISCARDED));
        assertThat(s.engine.queue().discard(List.of(parked.recno()))).extracting(QueueEntry::recno).containsExactly(parked.recno());
        assertThat(s.engine.queue().get(parked.recno())).isEmpty();
        assertThat(parked()).isEmpty();
        HistoryEntry h = s.engine.queue().finished(parked.recno()).orElseThrow();
        assertThat(h.outcome()).isEqualTo(Outcome.DISCARDED);
        assertThat(h.entry().attempts()).isEqualTo(TaskRunner.MAX_ATTEMPTS);
        assertThat(h.entry().lastError()).isEqualTo(parked.lastError());
        assertThat(s.engine.queue().historyCount(EnumSet.of(Outcome.DISCARDED))).isEqualTo(before + 1);
    }

    @Test
    void history_by_outcome_lists_only_the_outcomes_asked_for_newest_first() {
        QueueEntry discarded = parkIt();
        s.engine.queue().discard(List.of(discarded.recno()));
        mend();
        long removed = s.engine.queue().request(BOX, Action.PURGE).recno();
        s.engine.queue().remove(List.of(removed));
        long done = s.engine.queue().request(BOX, Action.REPAIR).recno();
        assertThat(s.engine.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);

        List<HistoryEntry> page = s.engine.queue().history(EnumSet.of(Outcome.DISCARDED, Outcome.REMOVED), Long.MAX_VALUE, 100);
        // (the class's keyspaces hold the other tests' history too)
        assertThat(page).filteredOn(h -> h.entry().recno() == removed || h.entry().recno() == discarded.recno())
                .extracting(h -> h.entry().recno(), HistoryEntry::outcome).containsExactly(
                org.assertj.core.groups.Tuple.tuple(removed, Outcome.REMOVED), org.assertj.core.groups.Tuple.tuple(discarded.recno(), Outcome.DISCARDED));
        assertThat(page).extracting(HistoryEntry::outcome).doesNotContain(Outcome.DONE, Outcome.SKIPPED, Outcome.DROPPED);
        assertThat(page).extracting(HistoryEntry::seq).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        // the next page starts below the last row
        assertThat(s.engine.queue().history(EnumSet.of(Outcome.DISCARDED, Outcome.REMOVED), page.get(0).seq(), 100))
                .extracting(HistoryEntry::seq).doesNotContain(page.get(0).seq()).contains(page.get(1).seq());
        assertThat(s.engine.queue().history(EnumSet.of(Outcome.DONE), Long.MAX_VALUE, 100)).extracting(h -> h.entry().recno())
                .contains(done).doesNotContain(removed, discarded.recno());
    }

    @Test
    void a_request_for_a_parked_task_adds_nothing_and_a_forced_one_retries_it() {
        QueueEntry parked = parkIt();
        QueueStore q = s.backend.queue();
        assertThat(q.enqueue(BOX, Action.REPAIR, s.clock.millis(), false)).isEqualTo(new Enqueued(parked.recno(), false));
        assertThat(s.engine.queue().get(parked.recno()).orElseThrow().state()).isEqualTo(QueueEntry.State.FAILED);
        assertThat(q.enqueueAll(List.of(new org.mstore.api.QueueRequest(BOX, Action.REPAIR, s.clock.millis(), false)))).isZero();

        assertThat(q.enqueue(BOX, Action.REPAIR, s.clock.millis(), true)).isEqualTo(new Enqueued(parked.recno(), false));
        assertThat(s.engine.queue().get(parked.recno()).orElseThrow()).extracting(QueueEntry::state, QueueEntry::attempts, QueueEntry::forced)
                .containsExactly(QueueEntry.State.WAITING, 0, true);
    }

    @Test
    void a_task_queued_again_while_it_ran_is_one_task_when_the_run_fails() {
        QueueStore q = s.backend.queue();
        long first = q.enqueue(BOX, Action.PURGE, s.clock.millis(), true).recno();
        QueueEntry running = q.claim(first, s.clock.millis(), "test").orElseThrow();
        // a running entry does not count: the request while it runs adds a waiting one
        Enqueued again = q.enqueue(BOX, Action.PURGE, s.clock.millis(), false);
        assertThat(again.added()).isTrue();
        assertThat(again.recno()).isNotEqualTo(first);

        q.release(running, "it broke", s.clock.millis() + 10_000);
        assertThat(q.get(first)).isEmpty();
        assertThat(q.finished(first).orElseThrow()).satisfies(h -> {
            assertThat(h.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(h.detail()).contains("RecNo " + again.recno() + " carries on");
        });
        assertThat(q.get(again.recno()).orElseThrow()).extracting(QueueEntry::state, QueueEntry::attempts, QueueEntry::lastError,
                QueueEntry::forced).containsExactly(QueueEntry.State.WAITING, 1, "it broke", true);
    }

    @Test
    void a_retry_and_a_discard_of_one_parked_entry_at_once_take_effect_once() throws Exception {
        QueueEntry parked = parkIt();
        try (CassandraTestStore other = CassandraTestStore.join(tmp.resolve("other"), prefix, s.clock)) {
            CyclicBarrier go = new CyclicBarrier(2);
            CompletableFuture<List<QueueEntry>> retried = CompletableFuture.supplyAsync(() -> {
                await(go);
                return s.engine.queue().retry(List.of(parked.recno()));
            });
            CompletableFuture<List<QueueEntry>> discarded = CompletableFuture.supplyAsync(() -> {
                await(go);
                return other.engine.queue().discard(List.of(parked.recno()));
            });
            int effects = retried.get().size() + discarded.get().size();
            assertThat(effects).isEqualTo(1);
            if (discarded.get().isEmpty()) {
                assertThat(s.engine.queue().get(parked.recno()).orElseThrow().state()).isEqualTo(QueueEntry.State.WAITING);
                assertThat(s.engine.queue().finished(parked.recno())).isEmpty();
            } else {
                assertThat(s.engine.queue().get(parked.recno())).isEmpty();
                assertThat(s.engine.queue().finished(parked.recno()).orElseThrow().outcome()).isEqualTo(Outcome.DISCARDED);
            }
        }
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
