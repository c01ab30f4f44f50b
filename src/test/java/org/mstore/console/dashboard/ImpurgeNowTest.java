package org.mstore.console.dashboard;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.api.WorkerInfo;
import org.mstore.console.CurrentThreadTaskExecutor;

import static org.assertj.core.api.Assertions.assertThat;

/** What impurge is doing now: the running entries, who runs them and for how long. */
class ImpurgeNowTest {
    static final Instant T0 = Instant.parse("2026-01-01T02:00:00Z");

    static QueueEntry running(long recno, String mailbox, Action a) {
        return new QueueEntry(recno, mailbox, a, T0, false, 2, "impurge[4711]@mailhost", null, 0, null, QueueEntry.State.RUNNING);
    }

    ImpurgeNow now = new ImpurgeNow(null, new CurrentThreadTaskExecutor());

    @Test
    void no_running_entry_is_idle() {
        assertThat(now.describe(List.of(), List.of(), T0)).isEqualTo("idle: no entry is running");
    }

    @Test
    void a_running_entry_says_its_task_mailbox_holder_and_time_since_its_claim() {
        WorkerInfo w = new WorkerInfo("mailhost", 4711, "impurge[4711]@mailhost", 12L, "user/alice", Action.PURGE, T0, T0);
        String text = now.describe(List.of(running(12, "user/alice", Action.PURGE)), List.of(w), T0.plusSeconds(95));
        assertThat(text).startsWith("Purge user/alice (RecNo 12) in ").endsWith(", running for 1 min 35 s");
        assertThat(text).contains("4711");
    }

    @Test
    void without_a_claim_time_the_time_is_counted_from_when_it_was_first_seen_running() {
        QueueEntry e = running(12, "user/alice", Action.CLEAN);
        now.describe(List.of(e), List.of(), T0);
        assertThat(now.describe(List.of(e), List.of(), T0.plusSeconds(4))).endsWith(", running for at least 4.0 s");
    }
}
