package org.mstore.console.queue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

import org.mstore.api.HistoryEntry;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.console.TaskExecutor;

import javafx.beans.property.LongProperty;
import javafx.beans.property.ReadOnlyLongProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.collections.ObservableListBase;

/**
 * The queue table's items: one page of the query's result (at most {@link #PAGE_SIZE} rows), read from the
 * database, which sorts, filters and counts; {@link #totalProperty()} is the query's count, however large.
 * A million entries are two thousand pages: the table never holds more than a page, so it stays quick
 * whatever the queue's size (a TableView's own bookkeeping grows with its item count).
 *
 * <p>Live changes are applied in place when they fall on the page: a new entry is inserted where the sort
 * order puts it, a finished entry is removed. A change before the page shifts the page's rows by one, and
 * a removal on a full page leaves room for the next page's first row: both refresh the page from the
 * database (one query; refreshes asked for while one runs are coalesced into one more).
 *
 * <p>In the console the total is not this page's own count: the view model reads it with the counts per action and
 * moves both by the same events ({@link #countFrom}), so "N pending", "N match" and "rows a–b of N" agree.
 */
public final class QueuePage extends ObservableListBase<QueueEntry> {
    public static final int PAGE_SIZE = 500;

    /** Where rows come from: the database, in production. */
    public interface Source {
        long count(QueueQuery q);

        List<QueueEntry> page(QueueQuery q, long offset, int limit);
    }

    private final Source source;
    private final TaskExecutor executor;
    private final int pageSize;
    /** The count this page keeps itself from its reads and the events, when nothing else counts for it. */
    private final LongProperty own = new SimpleLongProperty(0);
    private final javafx.beans.property.ReadOnlyLongWrapper total = new javafx.beans.property.ReadOnlyLongWrapper(0);
    /** Whether {@link #countFrom} gave the total: this page's loads then read no count of their own to show. */
    private boolean countedElsewhere;
    private final LongProperty pageStart = new SimpleLongProperty(0);
    private QueueQuery query = QueueQuery.all();
    private List<QueueEntry> rows = new ArrayList<>();
    private int generation;
    /** A load is in flight: until it answers, an empty page says nothing about the queue. */
    private final javafx.beans.property.ReadOnlyBooleanWrapper loading = new javafx.beans.property.ReadOnlyBooleanWrapper(false);
    private boolean refreshAgain;
    private boolean firing;
    private Runnable afterChange = () -> { };

    public QueuePage(Source source, TaskExecutor executor) {
        this(source, executor, PAGE_SIZE);
    }

    QueuePage(Source source, TaskExecutor executor, int pageSize) {
        this.source = source;
        this.executor = executor;
        this.pageSize = pageSize;
        total.bind(own);
    }

    /**
     * Takes the total from {@code matching} (the view model's count, read with the counts per action and moved by the
     * same events: the two never drift apart) instead of counting here; a load then counts only to find a page that
     * moved past the end.
     */
    public void countFrom(javafx.beans.value.ObservableLongValue matching) {
        countedElsewhere = true;
        total.bind(matching);
    }

    @Override
    public QueueEntry get(int index) {
        return rows.get(index);
    }

    @Override
    public int size() {
        return rows.size();
    }

    public int pageSize() {
        return pageSize;
    }

    public QueueQuery query() {
        return query;
    }

    /** Entries the query matches in the whole queue. */
    public ReadOnlyLongProperty totalProperty() {
        return total.getReadOnlyProperty();
    }

    /** Whether a read of the page (and its count) is in flight. */
    public javafx.beans.property.ReadOnlyBooleanProperty loadingProperty() {
        return loading.getReadOnlyProperty();
    }

    /** The position of the page's first row in the query's result (0-based). */
    public ReadOnlyLongProperty pageStartProperty() {
        return pageStart;
    }

    /** True while this list is telling its listeners about a change (the view keeps its selection meanwhile). */
    public boolean firing() {
        return firing;
    }

    /** Called after every change has been told (the view restores its selection). */
    public void afterChange(Runnable r) {
        afterChange = r == null ? () -> { } : r;
    }

    // ---------------------------------------------------------------- loading

    /** Replaces the query and shows its first page. */
    public void setQuery(QueueQuery q) {
        query = q;
        load(0, true);
    }

    /** Recounts and reloads the current page. */
    public void reload() {
        load(pageStart.get(), true);
    }

    /** Shows the page that holds row {@code offset} (0-based; clamped to the result). */
    public void showRow(long offset) {
        load(Math.max(0, offset) / pageSize * pageSize, false);
    }

    public void firstPage() {
        load(0, false);
    }

    public void previousPage() {
        load(Math.max(0, pageStart.get() - pageSize), false);
    }

    public void nextPage() {
        if (hasNext()) {
            load(pageStart.get() + pageSize, false);
        }
    }

    public void lastPage() {
        load(Long.MAX_VALUE, true);
    }

    public boolean hasPrevious() {
        return pageStart.get() > 0;
    }

    public boolean hasNext() {
        return pageStart.get() + pageSize < total.get();
    }

    private long lastPageStart(long n) {
        return n == 0 ? 0 : (n - 1) / pageSize * pageSize;
    }

    private record Loaded(long count, long start, List<QueueEntry> rows) {
    }

    private void load(long start, boolean recount) {
        int gen = ++generation;
        QueueQuery q = query;
        long knownTotal = total.get();
        loading.set(true);
        executor.execute("Loading the queue", () -> {
            long n = recount && !countedElsewhere ? source.count(q) : knownTotal;
            long s = Math.max(0, Math.min(start, lastPageStart(n)));
            List<QueueEntry> page = source.page(q, s, pageSize);
            if (page.isEmpty() && s > 0) {
                // the result shrank since it was counted: count again and show its last page
                n = source.count(q);
                s = lastPageStart(n);
                page = source.page(q, s, pageSize);
            }
            return new Loaded(n, s, page);
        }, l -> {
            if (gen != generation) {
                return; // a newer load replaces this one
            }
            loading.set(false);
            own.set(Math.max(l.count(), l.start() + l.rows().size()));
            pageStart.set(l.start());
            replaceAll(l.rows());
            if (refreshAgain) {
                refreshAgain = false;
                reload();
            }
        }, e -> {
            if (gen == generation) {
                loading.set(false);
            }
        });
    }

    /** Reloads the current page (and the count) once, or once more after the load in flight. */
    private void refresh() {
        if (loading.get()) {
            refreshAgain = true;
            return;
        }
        reload();
    }

    private void replaceAll(List<QueueEntry> fresh) {
        if (fresh.equals(rows)) {
            return;
        }
        List<QueueEntry> old = rows;
        rows = new ArrayList<>(fresh);
        fire(() -> nextReplace(0, rows.size(), old));
    }

    private void fire(Runnable changes) {
        firing = true;
        try {
            beginChange();
            changes.run();
            endChange();
        } finally {
            firing = false;
        }
        afterChange.run();
    }

    // ---------------------------------------------------------------- live changes

    /**
     * The comparator that matches the query's ORDER BY in {@code MaintenanceQueue.page}: the sort column, then
     * RecNo (the action for the mailbox sort: a pending mailbox has one entry per action), in one direction.
     */
    static Comparator<QueueEntry> comparator(QueueQuery q) {
        Comparator<QueueEntry> c = switch (q.sort()) {
            case RECNO -> Comparator.comparingLong(QueueEntry::recno);
            case MAILBOX -> Comparator.comparing(QueueEntry::mailbox).thenComparing(e -> e.action().label());
            case TIMESTAMP -> Comparator.comparing(QueueEntry::timestamp).thenComparingLong(QueueEntry::recno);
            case ACTION -> Comparator.<QueueEntry, String>comparing(e -> e.action().label()).thenComparingLong(QueueEntry::recno);
        };
        return q.ascending() ? c : c.reversed();
    }

    /** New entries (in RecNo order): each that passes the filter counts, and is shown if it falls on this page. */
    public void added(List<QueueEntry> entries) {
        Comparator<QueueEntry> cmp = comparator(query);
        List<Runnable> changes = new ArrayList<>();
        boolean shifted = false;
        for (QueueEntry e : entries) {
            if (!query.matches(e) || indexOf(e.recno()) >= 0) {
                continue; // filtered out, or already read by the load that raced with this event
            }
            boolean lastPage = pageStart.get() + rows.size() >= total.get();
            own.set(own.get() + 1);
            int pos = Collections.binarySearch(rows, e, cmp);
            int at = pos >= 0 ? pos : -pos - 1;
            if (at == 0 && pageStart.get() > 0) {
                shifted = true; // it belongs before this page: every row here moves down by one
            } else if (at == rows.size() && !(lastPage && rows.size() < pageSize)) {
                continue; // it belongs to a later page
            } else {
                rows.add(at, e);
                changes.add(() -> nextAdd(at, at + 1));
                if (rows.size() > pageSize) {
                    int end = rows.size() - 1;
                    QueueEntry out = rows.remove(end);
                    changes.add(() -> nextRemove(end, out));
                }
            }
        }
        if (!changes.isEmpty()) {
            fire(() -> changes.forEach(Runnable::run));
        }
        if (shifted) {
            refresh();
        }
    }

    /** Entries that left the queue: each that passed the filter is uncounted, and removed if it is on this page. */
    public void done(List<HistoryEntry> entries) {
        Comparator<QueueEntry> cmp = comparator(query);
        List<Runnable> changes = new ArrayList<>();
        boolean refill = false;
        for (HistoryEntry h : entries) {
            QueueEntry e = h.entry();
            if (!query.matches(e)) {
                continue;
            }
            own.set(Math.max(0, own.get() - 1));
            int i = indexOf(e.recno());
            if (i >= 0) {
                QueueEntry out = rows.remove(i);
                changes.add(() -> nextRemove(i, out));
                refill |= pageStart.get() + rows.size() < total.get();
            } else if (!rows.isEmpty() && pageStart.get() > 0 && cmp.compare(e, rows.get(0)) < 0) {
                refill = true; // it was on an earlier page: every row here moves up by one
            }
        }
        if (!changes.isEmpty()) {
            fire(() -> changes.forEach(Runnable::run));
        }
        if (refill || (rows.isEmpty() && pageStart.get() > 0)) {
            refresh();
        }
    }

    /**
     * Pending entries whose state changed: replaced in place when on the page and still matching; removed when they no
     * longer match (parked); a matching entry not on the page that may have come back (retried: waiting, no attempts)
     * refreshes the page.
     */
    public void changed(List<QueueEntry> entries) {
        List<Runnable> changes = new ArrayList<>();
        boolean again = false;
        for (QueueEntry e : entries) {
            int i = indexOf(e.recno());
            if (query.matches(e)) {
                if (i >= 0) {
                    QueueEntry old = rows.set(i, e);
                    changes.add(() -> nextSet(i, old));
                } else if (e.state() == QueueEntry.State.WAITING && e.attempts() == 0) {
                    again = true;
                }
            } else if (i >= 0) {
                QueueEntry out = rows.remove(i);
                own.set(Math.max(0, own.get() - 1));
                changes.add(() -> nextRemove(i, out));
                again |= pageStart.get() + rows.size() < total.get();
            }
        }
        if (!changes.isEmpty()) {
            fire(() -> changes.forEach(Runnable::run));
        }
        if (again) {
            refresh();
        }
    }

    private int indexOf(long recno) {
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).recno() == recno) {
                return i;
            }
        }
        return -1;
    }

    /** Compares the count with the database and reloads the page if they differ (changes that came and went unseen). */
    public void reconcile() {
        QueueQuery q = query;
        int gen = generation;
        executor.execute("Checking the queue", () -> source.count(q), n -> {
            if (gen == generation && q == query && n != own.get()) { // the rows' own tally, whoever counts for the total
                refresh();
            }
        }, e -> { });
    }
}
