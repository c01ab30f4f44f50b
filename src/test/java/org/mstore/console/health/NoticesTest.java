package org.mstore.console.health;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;

import static org.assertj.core.api.Assertions.assertThat;

/** The notifications about self-healing and failed tasks, throttled. */
class NoticesTest {
    static QueueEntry repair(long recno, String mailbox, boolean forced) {
        return new QueueEntry(recno, mailbox, Action.REPAIR, Instant.EPOCH, forced, 1, null, null, 0, null, QueueEntry.State.WAITING);
    }

    static QueueEntry parked(long recno, String mailbox) {
        return new QueueEntry(recno, mailbox, Action.PURGE, Instant.EPOCH, false, 6, null, null, 5, "disk full", QueueEntry.State.FAILED);
    }

    @Test
    void a_burst_of_self_healing_repairs_is_one_notification() {
        Notices n = new Notices();
        List<QueueEntry> burst = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            burst.add(repair(i, "user/u" + i, false));
        }
        n.added(burst.subList(0, 50), 1_000);
        assertThat(n.poll(1_500)).isEmpty(); // still gathering
        n.added(burst.subList(50, 100), 2_000);

        Notices.Notice shown = n.poll(1_000 + Notices.QUIET_MS).orElseThrow();

        assertThat(shown.title()).isEqualTo("Self-healing queued 100 Repairs");
        assertThat(shown.text()).isEqualTo("user/u1, user/u2, user/u3, and 97 more");
        assertThat(n.poll(10_000)).isEmpty();
    }

    @Test
    void an_administrators_forced_repair_is_not_a_notification() {
        Notices n = new Notices();
        n.added(List.of(repair(1, "user/a", true)), 0);
        assertThat(n.poll(60_000)).isEmpty();
    }

    @Test
    void a_parked_task_is_a_failure_notification_with_its_error() {
        Notices n = new Notices();
        n.changed(List.of(parked(7, "user/a")), 0);
        Notices.Notice shown = n.poll(Notices.QUIET_MS).orElseThrow();
        assertThat(shown.failure()).isTrue();
        assertThat(shown.title()).isEqualTo("A task failed");
        assertThat(shown.text()).isEqualTo("Purge user/a (parked after 5 attempts): disk full");
    }

    @Test
    void two_notifications_are_at_least_the_gap_apart() {
        Notices n = new Notices();
        n.added(List.of(repair(1, "user/a", false)), 0);
        assertThat(n.poll(Notices.QUIET_MS)).isPresent();
        n.added(List.of(repair(2, "user/b", false)), Notices.QUIET_MS + 1);
        assertThat(n.poll(Notices.QUIET_MS * 3)).isEmpty();
        assertThat(n.poll(Notices.QUIET_MS + Notices.GAP_MS).orElseThrow().text()).isEqualTo("user/b");
    }
}
