package org.mstore.purge;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.TaskResult;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A task that keeps failing is parked, not retried every hour for ever: after {@link TaskRunner#MAX_ATTEMPTS} failed
 * attempts it waits, with its last error, for an administrator to retry or discard it.
 */
class FailedTasksTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    static final String REMOVE_STEP = "remove.after-cache-marked";

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 10);
        s.expunge(BOX, "1:5");
        s.requestAndDrain(BOX, Action.CLEAN); // queues the Remove of the five files, due in an hour
        // a Remove that cannot finish: the disk refuses a step of it, every time, until the fault is cleared
        org.mstore.fs.CrashPoint.injectFault(REMOVE_STEP);
        s.clock.advance(Duration.ofHours(1));
    }

    @AfterEach
    void tearDown() {
        org.mstore.fs.CrashPoint.clearFaults();
        s.close();
    }

    private QueueEntry remove() {
        return s.engine.queue().page(new QueueQuery(java.util.Set.of(Action.REMOVE), "", QueueQuery.Sort.RECNO, true,
                java.util.EnumSet.allOf(QueueEntry.State.class)), 0, 1).get(0);
    }

    /** Runs what is due, then lets the longest back-off pass. */
    private List<TaskResult> attempt() {
        List<TaskResult> r = s.engine.daemon().drain();
        s.clock.advance(Duration.ofHours(1));
        return r;
    }

    private QueueEntry parkIt() {
        for (int i = 1; i < TaskRunner.MAX_ATTEMPTS; i++) {
            assertThat(attempt()).extracting(TaskResult::finished).containsExactly(false);
        }
        List<TaskResult> last = attempt();
        assertThat(last).singleElement().satisfies(r -> assertThat(r.entry().parked()).isTrue());
        return remove();
    }

    @Test
    void a_task_that_keeps_failing_is_parked_after_5_attempts() {
        for (int i = 1; i < TaskRunner.MAX_ATTEMPTS; i++) {
            assertThat(attempt()).extracting(TaskResult::finished).containsExactly(false);
            assertThat(remove()).extracting(QueueEntry::state, QueueEntry::attempts)
                    .containsExactly(QueueEntry.State.WAITING, i);
        }
        List<TaskResult> fifth = attempt();
        assertThat(fifth).singleElement().satisfies(r -> {
            assertThat(r.finished()).isFalse();
            assertThat(r.entry()).extracting(QueueEntry::state, QueueEntry::attempts).containsExactly(QueueEntry.State.FAILED, 5);
        });
        QueueEntry parked = remove();
        assertThat(parked).extracting(QueueEntry::state, QueueEntry::attempts, QueueEntry::pickedBy, QueueEntry::notBefore)
                .containsExactly(QueueEntry.State.FAILED, 5, null, null);
        assertThat(parked.lastError()).contains("injected fault at " + REMOVE_STEP);
        assertThat(s.engine.queue().count()).isZero();
        assertThat(s.engine.queue().count(QueueQuery.failed())).isEqualTo(1);
    }

    @Test
    void a_parked_entry_is_not_picked() throws Exception {
        QueueEntry parked = parkIt();
        s.clock.advance(Duration.ofDays(2));
        assertThat(s.engine.daemon().drain()).isEmpty();
        assertThat(remove()).extracting(QueueEntry::recno, QueueEntry::state, QueueEntry::attempts)
                .containsExactly(parked.recno(), QueueEntry.State.FAILED, 5);
        assertThat(s.logLines()).anySatisfy(l -> assertThat(l).contains("General Error: Remove of user/alice (RecNo " + parked.recno()
                + ") failed 5 times; parked until an administrator retries or discards it"));
    }

    @Test
    void retry_brings_a_parked_entry_back_and_it_runs() throws Exception {
        QueueEntry parked = parkIt();
        org.mstore.fs.CrashPoint.clearFaults(); // the disk takes writes again
        assertThat(s.engine.queue().retry(List.of(parked.recno()))).extracting(QueueEntry::state, QueueEntry::attempts)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(QueueEntry.State.WAITING, 0));
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(parked.recno(), Outcome.DONE));
        assertThat(s.engine.queue().finished(parked.recno()).orElseThrow().outcome()).isEqualTo(Outcome.DONE);
    }

    @Test
    void discard_records_the_parked_entry_in_the_history() {
        QueueEntry parked = parkIt();
        assertThat(s.engine.queue().discard(List.of(parked.recno()))).extracting(QueueEntry::recno).containsExactly(parked.recno());
        assertThat(s.engine.queue().get(parked.recno())).isEmpty();
        HistoryEntry h = s.engine.queue().finished(parked.recno()).orElseThrow();
        assertThat(h.outcome()).isEqualTo(Outcome.DISCARDED);
        assertThat(h.entry().attempts()).isEqualTo(5);
        assertThat(h.entry().lastError()).contains("injected fault at " + REMOVE_STEP);
    }

    @Test
    void a_task_that_meets_a_damaged_mailbox_waits_for_the_repair_without_counting_an_attempt() throws Exception {
        org.mstore.fs.CrashPoint.clearFaults();
        QueueEntry removal = remove();
        Files.write(s.dir(BOX).resolve("store.idx"), new byte[] {1, 2, 3}); // the index is damaged
        List<TaskResult> r = s.engine.daemon().drain();
        assertThat(r).extracting(x -> x.entry().action(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Action.REMOVE, null), org.assertj.core.groups.Tuple.tuple(Action.REPAIR, Outcome.DONE));
        assertThat(s.engine.queue().get(removal.recno()).orElseThrow())
                .extracting(QueueEntry::state, QueueEntry::attempts, QueueEntry::notBefore)
                .containsExactly(QueueEntry.State.WAITING, 0, s.clock.instant().plusSeconds(1));
        s.clock.advance(Duration.ofSeconds(1));
        assertThat(s.engine.daemon().drain()).extracting(x -> x.entry().recno(), TaskResult::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(removal.recno(), Outcome.DONE));
    }
}
