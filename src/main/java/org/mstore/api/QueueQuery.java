package org.mstore.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * What the console's table shows: a filter by actions and mailbox text, and one sort column. Sorting,
 * filtering and paging all happen in the database.
 */
public record QueueQuery(Set<Action> actions, String mailboxText, Sort sort, boolean ascending) {
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

    public QueueQuery {
        // null: every action; an empty set: none (nothing passes)
        actions = actions == null ? EnumSet.allOf(Action.class)
                : actions.isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(actions);
        mailboxText = mailboxText == null ? "" : mailboxText.strip();
        sort = sort == null ? Sort.RECNO : sort;
    }

    public static QueueQuery all() {
        return new QueueQuery(null, "", Sort.RECNO, true);
    }

    public boolean filtersActions() {
        return actions.size() < Action.values().length;
    }

    /** True when {@code e} passes this query's filter. */
    public boolean matches(QueueEntry e) {
        return actions.contains(e.action())
                && (mailboxText.isEmpty() || e.mailbox().toLowerCase(java.util.Locale.ROOT)
                .contains(mailboxText.toLowerCase(java.util.Locale.ROOT)));
    }

    public QueueQuery withActions(Set<Action> a) {
        return new QueueQuery(a, mailboxText, sort, ascending);
    }

    public QueueQuery withMailboxText(String t) {
        return new QueueQuery(actions, t, sort, ascending);
    }

    public QueueQuery withSort(Sort s, boolean asc) {
        return new QueueQuery(actions, mailboxText, s, asc);
    }
}
