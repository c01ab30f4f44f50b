package org.mstore.backend;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Consumer;

import org.mstore.api.Action;
import org.mstore.api.Enqueued;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;

/**
 * The maintenance queue (SPEC §4) outside a transaction: queueing, the daemon's claims, an administrator's changes,
 * reading and the history. An entry is deleted only by {@link MetaTx#complete} (with the task's effect) or by
 * {@link #remove}.
 */
public interface QueueStore {
    Enqueued enqueue(String mailbox, Action action, long ts, boolean forced);

    /** Queues many requests at once (waiting pairs are skipped); returns the number added. */
    int enqueueAll(Collection<org.mstore.api.QueueRequest> requests);

    /**
     * Queues (not forced) the Clean and Purge tasks that the mailbox list's counts call for and that are not waiting;
     * returns the number added.
     */
    int sweep(long cleanupSize, long purgeCount, double purgePercentage, long now);

    /**
     * Claims the next due entry for {@code owner}: Repair first, then Clean, Purge and due Remove entries in RecNo
     * order. A Remove is due once its timestamp plus {@code cleanupAgeMillis} has passed, or at once if forced.
     */
    Optional<QueueEntry> pickNext(long now, long cleanupAgeMillis, String owner);

    /** Claims one entry (an administrator's "run now"); empty if it is gone or already claimed. */
    Optional<QueueEntry> claim(long recno, long now, String owner);

    /** When the next entry not yet due becomes due, if any. */
    Optional<Instant> nextDueTime(long now, long cleanupAgeMillis);

    /** Gives a claimed entry back after a failure; due again at {@code notBefore}. */
    void release(QueueEntry picked, String error, long notBefore);

    /** Clears every claim (a daemon that takes the session lock: a crashed holder's claims are void). */
    int resetClaims();

    /** Removes entries not in progress, recording {@code outcome}; returns them. */
    List<QueueEntry> remove(Collection<Long> recnos, Outcome outcome, String detail, long now);

    /** Marks entries forced and due now; returns how many were found. */
    int force(Collection<Long> recnos);

    Optional<QueueEntry> get(long recno);

    Optional<QueueEntry> find(String mailbox, Action action);

    long count();

    long count(QueueQuery q);

    Map<Action, Long> countsByAction();

    void forEach(Consumer<QueueEntry> sink);

    List<QueueEntry> entriesAfter(long recno, int limit);

    long maxRecno();

    List<QueueEntry> page(QueueQuery q, long offset, int limit);

    List<HistoryEntry> historyAfter(long seq, int limit);

    List<HistoryEntry> recentHistory(int limit);

    long maxHistorySeq();

    SortedMap<Long, Long> finishedPerMinute(long since, Outcome outcome);

    long bytesReclaimedSince(long since);

    /** Deletes history older than {@code before}. */
    int pruneHistory(long before);

    /** Called after each change made through this object. */
    void onChange(Runnable r);

    /**
     * The workers that share this queue, as the queue itself knows them (claims with leases); empty where the queue
     * has one worker per store, whom the purge session lock names (the engine then reports that holder).
     */
    default List<org.mstore.api.WorkerInfo> workers() {
        return List.of();
    }

    /** Tells listeners the queue changed (after a transaction that changed it). */
    void notifyChanged();
}
