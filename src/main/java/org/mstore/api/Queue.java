package org.mstore.api;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Consumer;

/** The maintenance queue: what is pending, what an administrator asks of it, and what has left it. */
public interface Queue {
    /** Pending entries (in progress and waiting). */
    long count();

    long count(QueueQuery q);

    /** Pending entries per action (every action present, zero if none). */
    Map<Action, Long> countsByAction();

    /** One page of entries, filtered, sorted and cut where the entries live. */
    List<QueueEntry> page(QueueQuery q, long offset, int limit);

    Optional<QueueEntry> get(long recno);

    /** The pending entry for (mailbox, action), if any. */
    Optional<QueueEntry> find(String mailbox, Action action);

    /** Every pending entry in RecNo order, streamed (a million entries never sit in memory at once). */
    void forEach(Consumer<QueueEntry> sink);

    /** Pending entries with RecNo above {@code recno}, in order. */
    List<QueueEntry> entriesAfter(long recno, int limit);

    /** An administrator's "Repair now", "Clean now", "Purge now": a forced entry, which skips the threshold checks. */
    Enqueued request(String mailbox, Action action);

    /** Queues many tasks at once (waiting pairs are skipped): bulk work, an import, a load test. Returns how many were added. */
    int requestAll(Collection<QueueRequest> requests);

    /** Removes entries that are not in progress (an administrator's decision, kept in the history); returns them. */
    List<QueueEntry> remove(Collection<Long> recnos);

    /** History rows with sequence above {@code seq}, in order. */
    List<HistoryEntry> historyAfter(long seq, int limit);

    /** The newest history rows, newest first. */
    List<HistoryEntry> recentHistory(int limit);

    long maxHistorySeq();

    /** Entries finished with {@code outcome} per minute since {@code since}: minute start (epoch ms) to count. */
    SortedMap<Long, Long> finishedPerMinute(long since, Outcome outcome);

    /** Bytes reclaimed by tasks finished since {@code since} (epoch ms). */
    long bytesReclaimedSince(long since);

    /**
     * The impurge workers draining this queue, whichever host they run on: host, pid, current task and when they
     * claimed it. The classic store reports its one session-lock holder.
     */
    default List<WorkerInfo> workers() {
        return List.of();
    }
}
