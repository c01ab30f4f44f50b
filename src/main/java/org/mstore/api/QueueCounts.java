package org.mstore.api;

import java.util.Map;

/**
 * The queue's counters read together, tied to the change feed: pending entries per action (every action present),
 * the pending entries a query matches, and {@code seq}, the change-feed sequence the counts are consistent with. A
 * queue event whose change has a sequence at or below {@code seq} is already in these counts; one above it is not. A
 * reader that applies only the events above {@code seq} counts each change once (see {@link StoreEvent.EntriesAdded#seq}).
 */
public record QueueCounts(Map<Action, Long> byAction, long matching, long seq) {
    public QueueCounts {
        byAction = byAction.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.EnumMap<>(byAction));
    }

    /** What {@code q} matches alone, with its sequence: the counts per action were not read ({@link Queue#matching}). */
    public static QueueCounts matchingOnly(long matching, long seq) {
        return new QueueCounts(Map.of(), matching, seq);
    }

    /** True when the counts per action were read (not {@link #matchingOnly}). */
    public boolean perAction() {
        return !byAction.isEmpty();
    }

    /** Pending entries of every action. */
    public long total() {
        return byAction.values().stream().mapToLong(Long::longValue).sum();
    }

    /** True when {@code q} is the whole queue proper (every action, no mailbox text, waiting and running): it matches {@link #total()}. */
    public static boolean unfiltered(QueueQuery q) {
        return !q.filtersActions() && q.mailboxText().isEmpty() && q.states().equals(QueueQuery.PENDING);
    }
}
