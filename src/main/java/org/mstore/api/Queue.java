package org.mstore.api;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Consumer;

/**
 * The maintenance queue: what is pending, what an administrator asks of it, and what has left it.
 *
 * <p>An entry is <em>waiting</em>, <em>running</em> (claimed by an impurge) or <em>failed</em>: parked after its task
 * failed {@code TaskRunner.MAX_ATTEMPTS} times in a row, not picked again until an administrator {@link #retry retries}
 * or {@link #discard discards} it. The queue proper ({@link #count()}, {@link #forEach(Consumer)}, {@code imcheck -q})
 * is the waiting and running entries; {@link QueueQuery#failed()} lists the parked ones.
 */
public interface Queue {
    /** Pending entries (in progress and waiting). */
    long count();

    /** Entries that pass the query's filter (its states included). */
    long count(QueueQuery q);

    /** Pending entries per action (every action present, zero if none). */
    Map<Action, Long> countsByAction();

    /**
     * Pending entries per action and the pending entries {@code q} matches (the sum of the counts when {@code q} filters
     * nothing), read together with {@link QueueCounts#seq}, the sequence of the store's change feed they are consistent
     * with: the queue events of changes at or below it are in the counts, those above it are not.
     *
     * <p>The classic store (H2) reads the counts and the change log's newest sequence in one snapshot, so this holds
     * exactly. Cassandra has neither multi-row snapshots nor a commit order: there {@code seq} is the feed's newest
     * sequence read just after the counters, and a change whose counter update and feed row land while they are read
     * may be counted twice or not at all (until the next read); a count read when the queue is still is exact.
     */
    QueueCounts counts(QueueQuery q);

    /**
     * What {@code q} matches, alone, with the change-feed sequence it is consistent with, as {@link #counts} reads it
     * ({@link QueueCounts#perAction()} false): a new filter's count without counting every action again, which at a
     * million entries is a pass over the queue of its own.
     */
    QueueCounts matching(QueueQuery q);

    /** One page of entries, filtered, sorted and cut where the entries live. */
    List<QueueEntry> page(QueueQuery q, long offset, int limit);

    /** The entry {@code recno} (waiting, running or parked), with its attempts and last error; empty once it has left the queue. */
    Optional<QueueEntry> get(long recno);

    /** The pending entry for (mailbox, action), if any: the waiting one, else the running one. */
    Optional<QueueEntry> find(String mailbox, Action action);

    /** Every pending entry in RecNo order, streamed (a million entries never sit in memory at once). */
    void forEach(Consumer<QueueEntry> sink);

    /** Every entry that passes the query, in its order, streamed: {@code imcheck -q --failed} uses {@link QueueQuery#failed()}. */
    void forEach(QueueQuery q, Consumer<QueueEntry> sink);

    /** Pending entries with RecNo above {@code recno}, in order. */
    List<QueueEntry> entriesAfter(long recno, int limit);

    /**
     * An administrator's "Repair now", "Clean now", "Purge now": a forced entry, which skips the threshold checks. A parked
     * entry for the same task is retried as forced instead of a new one being added.
     */
    Enqueued request(String mailbox, Action action);

    /** Queues many tasks at once (waiting pairs are skipped): bulk work, an import, a load test. Returns how many were added. */
    int requestAll(Collection<QueueRequest> requests);

    /** Removes waiting entries (an administrator's decision, kept in the history as {@link Outcome#REMOVED}); returns them. */
    List<QueueEntry> remove(Collection<Long> recnos);

    /**
     * Retries parked entries: back to waiting, attempts reset, due at once. A parked entry whose task is already waiting
     * again (queued anew while it ran) is folded into that one: it leaves the queue as {@link Outcome#SKIPPED}, its detail
     * naming the entry that carries on. RecNos that are not parked entries are ignored. Returns the entries now waiting
     * for them.
     */
    List<QueueEntry> retry(Collection<Long> recnos);

    /** Retries every parked entry (see {@link #retry}); returns how many. */
    int retryAll();

    /** Discards parked entries: they leave the queue, recorded in the history as {@link Outcome#DISCARDED}; returns them. */
    List<QueueEntry> discard(Collection<Long> recnos);

    /** Discards every parked entry; returns how many. */
    int discardAll();

    /** History rows with sequence above {@code seq}, in order. */
    List<HistoryEntry> historyAfter(long seq, int limit);

    /** The newest history rows, newest first. */
    List<HistoryEntry> recentHistory(int limit);

    /**
     * One page of the history, newest first: rows with sequence below {@code beforeSeq} ({@code Long.MAX_VALUE} for the
     * newest) whose outcome is one of {@code outcomes}. The next page starts below the last row's sequence.
     */
    List<HistoryEntry> history(Set<Outcome> outcomes, long beforeSeq, int limit);

    /** History rows whose outcome is one of {@code outcomes}. */
    long historyCount(Set<Outcome> outcomes);

    /** How the entry {@code recno} left the queue (with its attempts and last error), if it has. */
    Optional<HistoryEntry> finished(long recno);

    long maxHistorySeq();

    /** Entries finished with {@code outcome} per minute since {@code since}: minute start (epoch ms) to count. */
    SortedMap<Long, Long> finishedPerMinute(long since, Outcome outcome);

    /**
     * Per action, in the order of {@link Action}: paused or not, entries in the queue, the oldest waiting, and over the
     * last {@link #FIGURES_WINDOW} (or the stretch the newest {@link #FIGURES_SAMPLE} finished entries cover, if shorter)
     * how many it finished and the median wait from due to finished.
     */
    List<ActionFigures> figures();

    /** The stretch of time {@link #figures} takes throughput and waits over. */
    java.time.Duration FIGURES_WINDOW = java.time.Duration.ofMinutes(15);

    /** The most finished entries {@link #figures} reads. */
    int FIGURES_SAMPLE = 10_000;

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
