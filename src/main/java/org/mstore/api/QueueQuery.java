package org.mstore.api;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a queue table shows: a filter by actions, mailbox text and entry states, and one sort column. Sorting,
 * filtering and paging all happen where the entries live. Without states, a query shows the queue proper: waiting
 * and running entries; {@link #failed()} shows the parked ones.
 */
public record QueueQuery(Set<Action> actions, String mailboxText, Sort sort, boolean ascending, Set<QueueEntry.State> states) {
    public enum Sort {
        RECNO("recno"), MAILBOX("mailbox"), TIMESTAMP("ts"), ACTION("action");

        private final String column;

        Sort(String column) {
            this.column = column;
        }

        /** The column this order sorts on. */
        public String column() {
            return column;
        }
    }

    /** The states of the queue proper: {@code imcheck -q} and the console's queue table. */
    public static final Set<QueueEntry.State> PENDING =
            java.util.Collections.unmodifiableSet(EnumSet.of(QueueEntry.State.WAITING, QueueEntry.State.RUNNING));

    public QueueQuery {
        // null: every action; an empty set: none (nothing passes)
        actions = actions == null ? EnumSet.allOf(Action.class)
                : actions.isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(actions);
        mailboxText = mailboxText == null ? "" : mailboxText.strip();
        sort = sort == null ? Sort.RECNO : sort;
        // null: the queue proper; an empty set: none
        states = states == null ? EnumSet.copyOf(PENDING)
                : states.isEmpty() ? EnumSet.noneOf(QueueEntry.State.class) : EnumSet.copyOf(states);
    }

    /** Waiting and running entries, filtered and sorted. */
    public QueueQuery(Set<Action> actions, String mailboxText, Sort sort, boolean ascending) {
        this(actions, mailboxText, sort, ascending, null);
    }

    /** The queue proper (waiting and running entries) in RecNo order. */
    public static QueueQuery all() {
        return new QueueQuery(null, "", Sort.RECNO, true, null);
    }

    /** The parked entries (failed too often) in RecNo order. */
    public static QueueQuery failed() {
        return new QueueQuery(null, "", Sort.RECNO, true, EnumSet.of(QueueEntry.State.FAILED));
    }

    public boolean filtersActions() {
        return actions.size() < Action.values().length;
    }

    /** True when {@code e} passes this query's filter. */
    public boolean matches(QueueEntry e) {
        return actions.contains(e.action()) && states.contains(e.state())
                && (mailboxText.isEmpty() || e.mailbox().toLowerCase(Locale.ROOT).contains(mailboxText.toLowerCase(Locale.ROOT)));
    }

    public QueueQuery withActions(Set<Action> a) {
        return new QueueQuery(a, mailboxText, sort, ascending, states);
    }

    public QueueQuery withMailboxText(String t) {
        return new QueueQuery(actions, t, sort, ascending, states);
    }

    public QueueQuery withSort(Sort s, boolean asc) {
        return new QueueQuery(actions, mailboxText, s, asc, states);
    }

    public QueueQuery withStates(Set<QueueEntry.State> s) {
        return new QueueQuery(actions, mailboxText, sort, ascending, s);
    }
}
