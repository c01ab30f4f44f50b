package org.mstore.console.queue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

import javafx.collections.ObservableListBase;

import org.mstore.console.TaskExecutor;
import org.mstore.queue.HistoryEntry;
import org.mstore.queue.QueueEntry;
import org.mstore.queue.QueueQuery;

/**
 * The queue table's items: a list as long as the query's result (a million rows if need be) that keeps in
 * memory only a window of rows around what is on screen. Rows outside the window read as {@link #LOADING}
 * while the window is fetched in the background; sorting, filtering and paging happen in the database.
 *
 * <p>Live changes are applied in place: a new entry is inserted where the sort order puts it (exactly, when
 * it falls inside or at the edge of the window; at the window's edge when it falls outside), a finished
 * entry is removed the same way. The list's size therefore follows the queue without reloading it, and the
 * rows on screen stay exact. A periodic {@link #reconcile} corrects any drift from entries that came and went
 * between two looks at the database.
 */
public final class QueueRows extends ObservableListBase<QueueEntry> {
    /** A row that is not loaded yet. */
    public static final QueueEntry LOADING = new QueueEntry(-1, "", null, null, false, 0, null, null, 0, null);
    static final int WINDOW = 600;
    static final int BEFORE = 200;

    /** Where rows come from: the database, in production. */
    public interface Source {
        long count(QueueQuery q);

        List<QueueEntry> page(QueueQuery q, long offset, int limit);
    }

    private final Source source;
    private final TaskExecutor executor;
    private QueueQuery query = QueueQuery.all();
    private int size;
    private int windowStart;
    private List<QueueEntry> window = new ArrayList<>();
    private int generation;
    private int reloads;
    private boolean loading;
    private int wanted = -1;
    private Runnable onLoaded = () -> { };

    public QueueRows(Source source, TaskExecutor executor) {
        this.source = source;
        this.executor = executor;
    }

    public QueueQuery query() {
        return query;
    }

    /** Called on the UI thread after a reload or a window fetch (tests wait on it). */
    public void onLoaded(Runnable r) {
        onLoaded = r == null ? () -> { } : r;
    }

    @Override
    public QueueEntry get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        int rel = index - windowStart;
        if (rel >= 0 && rel < window.size()) {
            return window.get(rel);
        }
        fetchAround(index);
        return LOADING;
    }

    @Override
    public int size() {
        return size;
    }

    /** Rows currently held in memory (for tests and the benchmark). */
    public int loadedRows() {
        return window.size();
    }

    /** Replaces the query and reloads the count and the first window. */
    public void setQuery(QueueQuery q) {
        query = q;
        reload();
    }

    /** Reloads the count and the window around {@code keepIndex} (0 for the top). */
    public void reload() {
        reload(0);
    }

    private void reload(int keepIndex) {
        ++generation;
        int reload = ++reloads;
        QueueQuery q = query;
        loading = true;
        executor.execute("Loading the queue", () -> {
            long n = source.count(q);
            int start = (int) Math.max(0, Math.min(keepIndex - BEFORE, n - WINDOW));
            return new Loaded(n, start, source.page(q, start, WINDOW));
        }, l -> {
            loading = false;
            if (reload != reloads) {
                return; // a newer query or reload is on its way (live changes meanwhile don't make this one stale)
            }
            int old = size;
            List<QueueEntry> removed = placeholders(old);
            size = (int) Math.min(Integer.MAX_VALUE - 8, l.count());
            windowStart = l.start();
            window = new ArrayList<>(l.rows());
            beginChange();
            nextReplace(0, size, removed);
            endChange();
            onLoaded.run();
            fetchWanted();
        }, e -> loading = false);
    }

    private record Loaded(long count, int start, List<QueueEntry> rows) {
    }

    private static List<QueueEntry> placeholders(int n) {
        return new PlaceholderList(n);
    }

    /** A read-only list of {@code n} LOADING rows without allocating them. */
    private static final class PlaceholderList extends java.util.AbstractList<QueueEntry> {
        private final int n;

        PlaceholderList(int n) {
            this.n = n;
        }

        @Override
        public QueueEntry get(int index) {
            return LOADING;
        }

        @Override
        public int size() {
            return n;
        }
    }

    private void fetchAround(int index) {
        wanted = index;
        if (loading) {
            return;
        }
        loading = true;
        int gen = generation;
        QueueQuery q = query;
        int start = Math.max(0, index - BEFORE);
        executor.runOnUi(() -> executor.execute("Loading rows", () -> source.page(q, start, WINDOW), rows -> {
            loading = false;
            if (gen != generation) {
                fetchWanted();
                return;
            }
            List<QueueEntry> old = window;
            int oldStart = windowStart;
            windowStart = start;
            window = new ArrayList<>(rows);
            int end = Math.min(size, start + window.size());
            if (end > start) {
                beginChange();
                for (int i = start; i < end; i++) {
                    int rel = i - oldStart;
                    QueueEntry before = rel >= 0 && rel < old.size() ? old.get(rel) : LOADING;
                    if (!before.equals(window.get(i - start))) {
                        nextSet(i, before);
                    }
                }
                endChange();
            }
            onLoaded.run();
            fetchWanted();
        }, e -> loading = false));
    }

    private void fetchWanted() {
        int w = wanted;
        if (w >= 0 && w < size && (w < windowStart || w >= windowStart + window.size())) {
            fetchAround(w);
        } else {
            wanted = -1;
        }
    }

    // ---------------------------------------------------------------- live changes

    /** The comparator that matches the query's ORDER BY (sort column, then RecNo, both in the same direction). */
    static Comparator<QueueEntry> comparator(QueueQuery q) {
        Comparator<QueueEntry> c = switch (q.sort()) {
            case RECNO -> Comparator.comparingLong(QueueEntry::recno);
            case MAILBOX -> Comparator.comparing(QueueEntry::mailbox).thenComparingLong(QueueEntry::recno);
            case TIMESTAMP -> Comparator.comparing(QueueEntry::timestamp).thenComparingLong(QueueEntry::recno);
            case ACTION -> Comparator.<QueueEntry, String>comparing(e -> e.action().label()).thenComparingLong(QueueEntry::recno);
        };
        return q.ascending() ? c : c.reversed();
    }

    /** New entries (in RecNo order): each one that passes the filter is inserted where the order puts it. */
    public void added(List<QueueEntry> entries) {
        Comparator<QueueEntry> cmp = comparator(query);
        boolean any = false;
        for (QueueEntry e : entries) {
            if (!query.matches(e)) {
                continue;
            }
            int index = insertionPoint(e, cmp);
            if (index < 0) {
                continue; // already shown: the load that filled the window read it before its event was handled
            }
            if (!any) {
                beginChange();
                any = true;
            }
            size++;
            nextAdd(index, index + 1);
            if (window.size() > WINDOW) {
                // keep what is held bounded: the window's last row goes back to being a placeholder
                QueueEntry dropped = window.remove(window.size() - 1);
                nextSet(windowStart + window.size(), dropped);
            }
        }
        if (any) {
            generation++;
            endChange();
        }
    }

    private int insertionPoint(QueueEntry e, Comparator<QueueEntry> cmp) {
        int windowEnd = windowStart + window.size();
        if (window.isEmpty()) {
            if (size == 0) {
                window.add(e);
                windowStart = 0;
                return 0;
            }
            return size; // every row is a placeholder (LOADING has no timestamp or action to compare): any place reads the same
        }
        if (cmp.compare(e, window.get(0)) < 0) {
            if (windowStart == 0) {
                window.add(0, e);
                return 0;
            }
            windowStart++;
            return windowStart - 1;
        }
        if (cmp.compare(e, window.get(window.size() - 1)) > 0) {
            if (windowEnd == size) {
                window.add(e);
                return size;
            }
            return windowEnd;
        }
        int pos = Collections.binarySearch(window, e, cmp);
        if (pos >= 0) {
            return -1; // the same RecNo is in the window
        }
        int at = -pos - 1;
        window.add(at, e);
        return windowStart + at;
    }

    /** Entries that left the queue: each one that passed the filter is removed. */
    public void done(List<HistoryEntry> entries) {
        Comparator<QueueEntry> cmp = comparator(query);
        boolean any = false;
        for (HistoryEntry h : entries) {
            QueueEntry e = h.entry();
            if (!query.matches(e) || size == 0) {
                continue;
            }
            int index = removalPoint(e, cmp);
            if (index < 0) {
                continue;
            }
            if (!any) {
                beginChange();
                any = true;
            }
            QueueEntry removed = LOADING;
            if (index < windowStart) {
                windowStart--; // a placeholder before the window: the window moves up by one
            } else if (index < windowStart + window.size()) {
                removed = window.remove(index - windowStart);
            }
            size--;
            nextRemove(index, removed);
        }
        if (any) {
            generation++;
            endChange();
        }
    }

    private int removalPoint(QueueEntry e, Comparator<QueueEntry> cmp) {
        for (int i = 0; i < window.size(); i++) {
            if (window.get(i).recno() == e.recno()) {
                return windowStart + i;
            }
        }
        if (window.isEmpty()) {
            return size - 1;
        }
        if (cmp.compare(e, window.get(0)) < 0) {
            if (windowStart == 0) {
                return -1; // it was not in the list after all (came and went before we counted)
            }
            return windowStart - 1;
        }
        if (cmp.compare(e, window.get(window.size() - 1)) > 0) {
            int end = windowStart + window.size();
            return end < size ? end : -1;
        }
        return -1; // inside the window's range but not in it: it was never in our list
    }

    /** Compares the list with the database's count and reloads if they differ (entries that came and went unseen). */
    public void reconcile() {
        QueueQuery q = query;
        int gen = generation;
        executor.execute("Checking the queue", () -> source.count(q), n -> {
            if (gen == generation && q == query && n != size) {
                reload(windowStart + BEFORE);
            }
        }, e -> { });
    }
}
