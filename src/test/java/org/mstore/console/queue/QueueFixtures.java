package org.mstore.console.queue;

import java.util.ArrayList;
import java.util.List;

import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.console.TaskExecutor;
import org.mstore.engine.Engine;
import org.mstore.queue.MaintenanceQueue;

import static org.assertj.core.api.Assertions.assertThat;

/** Queue contents for the console's queue tests: many real entries whose sort orders all differ. */
final class QueueFixtures {
    private QueueFixtures() {
    }

    /**
     * {@code n} requests whose mailbox, timestamp and action orders all differ from the RecNo order: mailbox
     * {@code user/uNNNNN} and the timestamp follow two different permutations of 0..n-1.
     */
    static List<org.mstore.api.QueueRequest> requests(int n, long baseMillis) {
        List<org.mstore.api.QueueRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long k = (i * 7919L) % n;
            long t = (i * 104729L) % n;
            out.add(new org.mstore.api.QueueRequest(String.format("user/u%05d", k), Action.values()[i % 4], baseMillis + t * 1000, false));
        }
        return out;
    }

    static void fill(Engine engine, int n) {
        int added = engine.backend().queue().enqueueAll(requests(n, engine.context().now()));
        assertThat(added).isEqualTo(n);
    }

    /** Enqueues one entry and returns it as the engine reads it back (what an "entries added" event carries). */
    static QueueEntry enqueue(Engine engine, String mailbox, Action action, long ts) {
        long recno = engine.backend().queue().enqueue(mailbox, action, ts, false).recno();
        return engine.queue().get(recno).orElseThrow();
    }

    /** The database's source of rows, as the queue view model wires it, with pages of {@code pageSize}. */
    static QueuePage page(Engine engine, TaskExecutor executor, int pageSize) {
        return new QueuePage(new QueuePage.Source() {
            @Override
            public long count(QueueQuery q) {
                return engine.queue().count(q);
            }

            @Override
            public List<QueueEntry> page(QueueQuery q, long offset, int limit) {
                return engine.queue().page(q, offset, limit);
            }
        }, executor, pageSize);
    }

    /** Every row of the page. */
    static List<QueueEntry> all(QueuePage page) {
        return new ArrayList<>(page);
    }
}
