package org.mstore.console.export;

import java.io.IOException;
import java.time.Instant;

import org.mstore.api.HistoryEntry;
import org.mstore.api.QueueEntry;

/**
 * The columns of the console's CSV exports: queue entries (waiting, running, parked) and history rows, each with why, by
 * whom and when the entry was queued (empty for an entry queued before the store kept them).
 */
public final class Rows {
    private Rows() {
    }

    public static final String[] QUEUE_HEADER = {"recno", "mailbox", "action", "state", "timestamp", "due", "forced", "attempts",
            "picked_by", "last_error", "reason", "queued_by", "queued_at"};

    public static final String[] HISTORY_HEADER = {"seq", "recno", "mailbox", "action", "outcome", "queued", "finished",
            "bytes_reclaimed", "attempts", "detail", "last_error", "reason", "queued_by", "queued_at"};

    /** A queue entry's row; {@code due} as the console computes it (null: not known). */
    public static void queue(Csv csv, QueueEntry e, Instant due) throws IOException {
        csv.row(e.recno(), e.mailbox(), e.action().label(), e.state().lower(), e.timestamp(), e.parked() ? null : due, e.forced(),
                e.attempts(), e.pickedBy(), e.lastError(), e.reason(), e.queuedBy(), e.queuedAt());
    }

    public static void history(Csv csv, HistoryEntry h) throws IOException {
        QueueEntry e = h.entry();
        csv.row(h.seq(), e.recno(), e.mailbox(), e.action().label(), h.outcome().name().toLowerCase(java.util.Locale.ROOT),
                e.timestamp(), h.doneAt(), h.bytesReclaimed(), e.attempts(), h.detail(), e.lastError(), e.reason(), e.queuedBy(), e.queuedAt());
    }
}
