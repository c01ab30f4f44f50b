package org.mstore.api;

import java.time.Instant;

/**
 * A maintenance-queue entry: (RecNo, mailbox, action, timestamp), plus whether an administrator forced it, and the
 * daemon's bookkeeping: its {@link State}, who picked it, when a failed attempt may be retried, how many attempts
 * failed and the last error; and why, by whom and when it was first queued, kept for its life and in its history row.
 *
 * @param reason   why it was queued, in the seed's terms with the figures of that moment ("Expunged 150 >
 *                 store.cleanupsize 100", a corruption's message, "Repair now by an administrator"); null for an entry
 *                 queued before the store kept reasons
 * @param queuedBy the process that queued it ({@code name[pid]@host}, as claims name their holder); null if unknown
 * @param queuedAt when it was first queued; a Repair's later re-stamp moves {@link #timestamp} only, never this; null
 *                 if unknown
 */
public record QueueEntry(long recno, String mailbox, Action action, Instant timestamp, boolean forced, int version,
                         String pickedBy, Instant notBefore, int attempts, String lastError, State state, String reason,
                         String queuedBy, Instant queuedAt) {
    /**
     * Where an entry is in its life. Waiting and running entries are the queue ({@code imcheck -q}); a failed entry is
     * parked: its task failed {@code attempts} times, it is not picked again until an administrator retries it (or it
     * is discarded).
     */
    public enum State {
        WAITING, RUNNING, FAILED;

        public String lower() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public QueueEntry {
        state = state == null ? (pickedBy != null ? State.RUNNING : State.WAITING) : state;
    }

    /** An entry with no record of why, by whom and when it was queued (made before the store kept them). */
    public QueueEntry(long recno, String mailbox, Action action, Instant timestamp, boolean forced, int version, String pickedBy,
                      Instant notBefore, int attempts, String lastError, State state) {
        this(recno, mailbox, action, timestamp, forced, version, pickedBy, notBefore, attempts, lastError, state, null, null, null);
    }

    /** An entry whose state follows from {@code pickedBy}: running when picked, waiting otherwise. */
    public QueueEntry(long recno, String mailbox, Action action, Instant timestamp, boolean forced, int version, String pickedBy,
                      Instant notBefore, int attempts, String lastError) {
        this(recno, mailbox, action, timestamp, forced, version, pickedBy, notBefore, attempts, lastError, null);
    }

    /** Claimed by an impurge and running. */
    public boolean inProgress() {
        return state == State.RUNNING;
    }

    /** Parked after failing too often: waits for an administrator's retry or discard. */
    public boolean parked() {
        return state == State.FAILED;
    }

    /** Waiting or running: part of the queue proper. */
    public boolean pending() {
        return state != State.FAILED;
    }
}
