package org.mstore.backend;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Consumer;

import org.mstore.api.Action;
import org.mstore.api.Enqueued;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.QueueRequest;
import org.mstore.api.StoreInfo;

/**
 * The maintenance queue (SPEC §4) outside a transaction: queueing, the daemon's claims, an administrator's changes,
 * reading and the history.
 *
 * <h2>The contract every backend keeps</h2>
 * <ul>
 *   <li>An entry is {@link QueueEntry.State#WAITING waiting}, {@link QueueEntry.State#RUNNING running} (claimed) or
 *       {@link QueueEntry.State#FAILED failed} (parked). Every change of state increments its {@link QueueEntry#version}:
 *       a claim, a completion or a release made with an older version does nothing and says so.</li>
 *   <li>At most one entry per (mailbox, action) is waiting; a running or parked one does not count (see
 *       {@link MetaTx#enqueue}).</li>
 *   <li>An entry leaves the queue only in the transaction that records its outcome in the history
 *       ({@link MetaTx#complete}, {@link #remove}, {@link #discard}, {@link MetaTx#dropEntries}).</li>
 *   <li>Claiming is conditional (on the version), never a lock held while the task runs; a claim whose holder died is
 *       voided by {@link #resetClaims} when the next impurge takes the session lock.</li>
 *   <li>Every change here and in {@link MetaTx} is announced on the backend's {@link ChangeFeed} in commit order.</li>
 *   <li>A pick costs the same at any depth: the work is found by the order it is due in, never by scanning the queue.</li>
 * </ul>
 */
public interface QueueStore {
    /**
     * Queues a task (see {@link MetaTx#enqueue}), recording {@code reason} and {@code queuedBy} with the time it is first
     * queued; a request folded into an entry already there leaves that entry's reason, process and time as they were.
     */
    Enqueued enqueue(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy);

    /** Queues a task without saying why or by whom (bulk tools, tests). */
    default Enqueued enqueue(String mailbox, Action action, long ts, boolean forced) {
        return enqueue(mailbox, action, ts, forced, null, null);
    }

    /** Queues many requests at once (pairs already waiting or parked are skipped); returns the number added. */
    int enqueueAll(Collection<QueueRequest> requests);

    /**
     * Queues (not forced) the Clean and Purge tasks that the mailbox list's counts call for and that are not waiting,
     * each with the figures that call for it as its reason; returns the number added.
     */
    int sweep(long cleanupSize, long purgeCount, double purgePercentage, long now, String queuedBy);

    /**
     * Claims up to {@code max} due waiting entries for {@code owner}, in the order they are due: Repair first (by RecNo),
     * then Clean, Purge and forced entries (by RecNo) interleaved by RecNo with the due Remove entries (by their due
     * time). A Remove is due once its timestamp plus {@code cleanupAgeMillis} (the current {@code store.cleanupage}) has
     * passed, or at once if forced; an entry released after a failure is due at its {@link QueueEntry#notBefore}. The
     * entries are returned claimed (running, version incremented); one another process claimed or changed meanwhile is
     * left out.
     */
    default List<QueueEntry> claimDue(long now, long cleanupAgeMillis, String owner, int max) {
        return claimDue(now, cleanupAgeMillis, owner, max, Set.of());
    }

    /**
     * As {@link #claimDue(long, long, String, int)}, leaving the entries of the {@code paused} actions waiting
     * ({@code store.purge.paused}); a pick costs the same whatever is paused and however many entries it holds back.
     */
    List<QueueEntry> claimDue(long now, long cleanupAgeMillis, String owner, int max, Set<Action> paused);

    /** Claims the next due entry (see {@link #claimDue}). */
    default Optional<QueueEntry> pickNext(long now, long cleanupAgeMillis, String owner) {
        return claimDue(now, cleanupAgeMillis, owner, 1).stream().findFirst();
    }

    /** Claims one waiting entry (an administrator's "run now"); empty if it is gone, running or parked. */
    Optional<QueueEntry> claim(long recno, long now, String owner);

    /** When the next waiting entry not yet due becomes due (a Remove waiting for its age, or a back-off), if any. */
    default Optional<Instant> nextDueTime(long now, long cleanupAgeMillis) {
        return nextDueTime(now, cleanupAgeMillis, Set.of());
    }

    /** When the next waiting entry of an action not {@code paused} becomes due, if any. */
    Optional<Instant> nextDueTime(long now, long cleanupAgeMillis, Set<Action> paused);

    /**
     * Per action, when its waiting entry that has been due the longest became due ({@link StoreInfo.Features#due}: its
     * timestamp, for the store's deferred action not forced its timestamp plus {@code cleanupAge}, possibly still to
     * come); an action with none waiting is absent. Cheap at any depth: the queue's own order finds it, not a scan. This
     * default reads each action's oldest entry by timestamp (a forced entry younger than it may be due before it), a
     * Repair's by RecNo: a Repair that self-healing re-stamped has a later timestamp but was due when first queued
     * ({@link QueueEntry#queuedAt}), and RecNos follow the order entries were first queued in.
     */
    default Map<Action, Instant> oldestDue(StoreInfo.Features features, java.time.Duration cleanupAge) {
        Map<Action, Instant> out = new java.util.EnumMap<>(Action.class);
        for (Action a : Action.values()) {
            QueueQuery.Sort order = a == Action.REPAIR ? QueueQuery.Sort.RECNO : QueueQuery.Sort.TIMESTAMP;
            QueueQuery q = new QueueQuery(Set.of(a), "", order, true, Set.of(QueueEntry.State.WAITING));
            page(q, 0, 1).stream().findFirst().ifPresent(e -> out.put(a, features.due(e, cleanupAge)));
        }
        return out;
    }

    /**
     * A claimed entry's task failed: attempts + 1, the error kept, waiting again but not due before {@code notBefore}.
     * When the same (mailbox, action) was queued again while it ran, the two are one task: this entry is folded into the
     * waiting one (which takes the attempts, the error and the back-off) and leaves the queue as {@link Outcome#SKIPPED}.
     * The same holds wherever an entry goes back to waiting ({@link #postpone}, {@link #unclaim}, {@link #resetClaims},
     * {@link #retry}).
     */
    void release(QueueEntry picked, String error, long notBefore);

    /**
     * Gives a claimed entry back without counting a failed attempt: its task waits on another one (a Repair of its
     * mailbox) and is due again at {@code notBefore}; {@code reason} is kept as its last error.
     */
    void postpone(QueueEntry picked, String reason, long notBefore);

    /** A claimed entry's task failed for the last time: attempts + 1, the error kept, parked (failed) until retried. */
    void park(QueueEntry picked, String error);

    /** Gives claimed entries back untouched (claimed in a batch, not run: the daemon is stopping). */
    void unclaim(Collection<QueueEntry> picked);

    /** Clears every claim (a daemon that takes the session lock: a crashed holder's claims are void); returns how many. */
    int resetClaims();

    /** Removes waiting entries, recording {@code outcome}; returns them. */
    List<QueueEntry> remove(Collection<Long> recnos, Outcome outcome, String detail, long now);

    /** Marks waiting entries forced and due now; returns how many were found. */
    int force(Collection<Long> recnos);

    /**
     * Parked entries back to waiting, attempts reset, due at once. One whose (mailbox, action) is waiting again leaves
     * the queue instead, recorded as {@link Outcome#SKIPPED} (folded into the waiting one, which its detail names).
     * Returns the entries now waiting for the given ones.
     */
    List<QueueEntry> retry(Collection<Long> recnos, long now);

    /** Retries every parked entry; returns how many. */
    int retryAll(long now);

    /** Parked entries leave the queue, recorded as {@link Outcome#DISCARDED} with {@code detail}; returns them. */
    List<QueueEntry> discard(Collection<Long> recnos, String detail, long now);

    /** Discards every parked entry; returns how many. */
    int discardAll(String detail, long now);

    /** Any entry by RecNo: waiting, running or parked. */
    Optional<QueueEntry> get(long recno);

    /** The waiting entry for (mailbox, action), else the running one. */
    Optional<QueueEntry> find(String mailbox, Action action);

    /** Waiting and running entries. */
    long count();

    long count(QueueQuery q);

    /** Waiting and running entries per action. */
    Map<Action, Long> countsByAction();

    /**
     * The pending entries per action and those {@code q} matches, with the sequence of this backend's {@link ChangeFeed}
     * they are consistent with (see {@link org.mstore.api.Queue#counts}).
     */
    org.mstore.api.QueueCounts counts(QueueQuery q);

    /** What {@code q} matches, with its sequence (see {@link org.mstore.api.Queue#matching}); by default read with the rest. */
    default org.mstore.api.QueueCounts matching(QueueQuery q) {
        org.mstore.api.QueueCounts c = counts(q);
        return org.mstore.api.QueueCounts.matchingOnly(c.matching(), c.seq());
    }

    /** Waiting and running entries in RecNo order, streamed. */
    void forEach(Consumer<QueueEntry> sink);

    /** The entries a query matches, in its order, streamed from one read (never the whole result in memory). */
    void forEach(QueueQuery q, Consumer<QueueEntry> sink);

    /** Waiting and running entries with RecNo above {@code recno}, in order. */
    List<QueueEntry> entriesAfter(long recno, int limit);

    long maxRecno();

    List<QueueEntry> page(QueueQuery q, long offset, int limit);

    List<HistoryEntry> historyAfter(long seq, int limit);

    List<HistoryEntry> recentHistory(int limit);

    /** History rows below {@code beforeSeq} with one of {@code outcomes}, newest first. */
    List<HistoryEntry> history(Set<Outcome> outcomes, long beforeSeq, int limit);

    long historyCount(Set<Outcome> outcomes);

    /** The history row of the entry {@code recno}, if it has left the queue. */
    Optional<HistoryEntry> finished(long recno);

    long maxHistorySeq();

    SortedMap<Long, Long> finishedPerMinute(long since, Outcome outcome);

    long bytesReclaimedSince(long since);

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
