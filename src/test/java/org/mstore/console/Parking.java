package org.mstore.console;

import org.mstore.api.QueueEntry;
import org.mstore.engine.Engine;
import org.mstore.purge.TaskRunner;

/**
 * Puts a queue entry in the state its task's fifth failure leaves it in (parked, with the last error), through the
 * queue's own {@code park}, as {@code TaskRunner} does. The engine's tests make tasks fail for real
 * ({@code FailedTasksTest}); the console's tests start from the parked entry.
 */
public final class Parking {
    private Parking() {
    }

    public static QueueEntry park(Engine engine, long recno, String error) {
        QueueEntry e = engine.queue().get(recno).orElseThrow();
        engine.backend().queue().park(new QueueEntry(e.recno(), e.mailbox(), e.action(), e.timestamp(), e.forced(), e.version(),
                null, null, TaskRunner.MAX_ATTEMPTS - 1, error), error);
        QueueEntry parked = engine.queue().get(recno).orElseThrow();
        if (!parked.parked()) {
            throw new IllegalStateException("not parked: " + parked);
        }
        return parked;
    }
}
