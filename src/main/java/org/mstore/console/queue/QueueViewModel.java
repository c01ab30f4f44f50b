package org.mstore.console.queue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.MessageStore;
import org.mstore.api.Outcome;
import org.mstore.api.QueueCounts;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.SettingsSnapshot;
import org.mstore.api.StoreEvent;
import org.mstore.api.TaskResult;
import org.mstore.console.TaskExecutor;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.LongBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * The live queue table's state: the filter (actions, mailbox text), the sort, the rows (a database-backed
 * page, {@link QueuePage}), the counts per action, and the administrator's moves on a selection (run now,
 * remove). Changes arrive as engine events; nothing reloads the whole queue.
 */
public final class QueueViewModel {
    private final MessageStore engine;
    private final TaskExecutor executor;
    private final QueuePage rows;
    private final Map<Action, BooleanProperty> shown = new EnumMap<>(Action.class);
    private final Map<Action, LongProperty> counts = new EnumMap<>(Action.class);
    private final StringProperty mailboxFilter = new SimpleStringProperty("");
    private final ObjectProperty<QueueQuery.Sort> sort = new SimpleObjectProperty<>(QueueQuery.Sort.RECNO);
    private final BooleanProperty ascending = new SimpleBooleanProperty(true);
    private final StringProperty message = new SimpleStringProperty("");
    private final BooleanProperty readOnly = new SimpleBooleanProperty(false);
    private final LongBinding total;
    /** Pending entries the applied filter matches, read with the counts and moved by the same events. */
    private final LongProperty matching = new SimpleLongProperty(0);
    /** The change-feed sequence the counts stand on (-1: none read yet): an event at or below it is already counted. */
    private long countedSeq = -1;
    /**
     * The sequence {@link #matching} stands on, read apart from the counts when the filter changes (Queue.matching:
     * a new filter is counted without counting every action again); -1 until the applied filter's first read.
     */
    private long matchedSeq = -1;
    /** Counts being read; while any is, the events applied meanwhile are kept to be applied again on top of its answer. */
    private int countsInFlight;
    private final List<Delta> since = new ArrayList<>();
    private final ObjectProperty<SettingsSnapshot> settings = new SimpleObjectProperty<>();
    private final ObjectProperty<EntryDetail> detail = new SimpleObjectProperty<>();
    private final ObjectProperty<QueueQuery> applied = new SimpleObjectProperty<>(QueueQuery.all());
    private long detailGeneration;
    private final BooleanProperty paused = new SimpleBooleanProperty(false);
    /** When entries began to come and go since the last read of the counts (-1: none since), and the last time they did. */
    private long activitySince = -1;
    private long lastActivity;

    public QueueViewModel(MessageStore engine, TaskExecutor executor, boolean readOnly) {
        this.engine = engine;
        this.executor = executor;
        this.readOnly.set(readOnly);
        this.rows = new QueuePage(new QueuePage.Source() {
            @Override
            public long count(QueueQuery q) {
                return engine.queue().count(q);
            }

            @Override
            public List<QueueEntry> page(QueueQuery q, long offset, int limit) {
                return engine.queue().page(q, offset, limit);
            }
        }, executor);
        for (Action a : Action.values()) {
            BooleanProperty p = new SimpleBooleanProperty(true);
            p.addListener((o, was, is) -> applyFilter());
            shown.put(a, p);
            counts.put(a, new SimpleLongProperty(0));
        }
        total = Bindings.createLongBinding(() -> counts.values().stream().mapToLong(LongProperty::get).sum(),
                counts.values().toArray(new LongProperty[0]));
        // with no filter the page's total is the sum of the counts: one number, never two reads that disagree
        rows.countFrom(Bindings.createLongBinding(() -> QueueCounts.unfiltered(applied.get()) ? total.get() : matching.get(),
                total, matching, applied));
        sort.addListener((o, was, is) -> applyFilter());
        ascending.addListener((o, was, is) -> applyFilter());
        paused.addListener((o, was, is) -> {
            if (!is) {
                rows.reload();
                refreshCounts();
            }
        });
    }

    public QueuePage rows() {
        return rows;
    }

    /** Whether entries of {@code a} are shown. */
    public BooleanProperty shownProperty(Action a) {
        return shown.get(a);
    }

    /** Pending entries of {@code a} in the whole queue (not only those shown). */
    public LongProperty countProperty(Action a) {
        return counts.get(a);
    }

    public LongBinding totalProperty() {
        return total;
    }

    public StringProperty mailboxFilterProperty() {
        return mailboxFilter;
    }

    public ObjectProperty<QueueQuery.Sort> sortProperty() {
        return sort;
    }

    public BooleanProperty ascendingProperty() {
        return ascending;
    }

    /**
     * What the table says when it has no row: that the page is being read (the first read of a large queue takes a
     * while, and the toggles already count its entries), that the filter matches nothing, or that the queue is empty.
     */
    public javafx.beans.binding.StringBinding placeholderText() {
        return Bindings.createStringBinding(() -> rows.loadingProperty().get() ? "Reading the queue..."
                : total.get() > 0 ? "No entry matches the filter" : "The maintenance queue is empty",
                rows.loadingProperty(), total);
    }

    /** The outcome of the last move, in words. */
    public StringProperty messageProperty() {
        return message;
    }

    public ReadOnlyBooleanProperty readOnlyProperty() {
        return readOnly;
    }

    /** The settings the Due column and the detail read ({@code store.cleanupage}, the thresholds); null until read. */
    public ObjectProperty<SettingsSnapshot> settingsProperty() {
        return settings;
    }

    /** The selected entry's detail (why, who, due, attempts, last error), or null. */
    public ObjectProperty<EntryDetail> detailProperty() {
        return detail;
    }

    /**
     * Hold still: while paused the rows do not move (entries that come and go are counted, not shown); resuming reads
     * the page again.
     */
    public BooleanProperty pausedProperty() {
        return paused;
    }

    /** Loads counts and the first rows. */
    public void load() {
        applied.set(query());
        rows.setQuery(applied.get());
        refreshCounts();
        loadSettings();
    }

    /** Reads the settings (again: they changed). */
    public void loadSettings() {
        executor.execute("Reading settings", () -> engine.settings().snapshot(), s -> {
            settings.set(s);
            EntryDetail d = detail.get();
            if (d != null && d.entry().recno() > 0) {
                showDetail(d.entry());
            }
        }, e -> { });
    }

    /** When {@code e} is due, by the settings read last. */
    public java.time.Instant due(QueueEntry e) {
        return EntryDetail.due(e, engine.info().features(), settings.get());
    }

    /** Reads the entry afresh with its mailbox's figures and shows its detail (null clears). */
    public void showDetail(QueueEntry e) {
        long gen = ++detailGeneration;
        if (e == null || e.recno() <= 0) {
            detail.set(null);
            return;
        }
        java.time.ZoneId zone = engine.clock().getZone();
        executor.execute("Reading entry " + e.recno(), () -> {
            java.util.Optional<QueueEntry> now = engine.queue().get(e.recno());
            if (now.isEmpty()) {
                return engine.queue().finished(e.recno()).map(h -> EntryDetail.finished(h, zone)).orElse(null);
            }
            SettingsSnapshot s = engine.settings().snapshot();
            return EntryDetail.of(now.get(), engine.mailboxes().find(e.mailbox()).orElse(null), engine.info().features(), s,
                    engine.clock().instant(), zone);
        }, d -> {
            if (gen == detailGeneration) {
                detail.set(d);
            }
        }, x -> {
            if (gen == detailGeneration) {
                detail.set(null);
            }
        });
    }

    /** Applies the current filter and sort (the view debounces the mailbox text). */
    public void applyFilter() {
        QueueQuery q = query();
        QueueQuery was = applied.get();
        if (!q.equals(was)) {
            applied.set(q);
            rows.setQuery(q);
            if (!QueueCounts.unfiltered(q) && !q.withSort(was.sort(), was.ascending()).equals(was)) {
                matchedSeq = -1; // the last filter's sequence says nothing of this one's count
                refreshMatching(); // what the new filter matches (the counts per action stand)
            }
        }
    }

    QueueQuery query() {
        Set<Action> actions = EnumSet.noneOf(Action.class);
        shown.forEach((a, p) -> {
            if (p.get()) {
                actions.add(a);
            }
        });
        return new QueueQuery(actions, mailboxFilter.get(), sort.get(), ascending.get());
    }

    /**
     * Reads the counts per action and what the applied filter matches, together and with the change-feed sequence they
     * are consistent with ({@link QueueCounts#seq}); the events that came meanwhile and are newer than that are applied
     * again on top, and later events only if newer. So every change is counted once, however the read and the events
     * interleave, and "pending", "match", the page's rows and the status bar's count agree under any churn.
     */
    public void refreshCounts() {
        read("Counting the queue", q -> engine.queue().counts(q));
    }

    /** Reads what the applied filter matches, alone, with its sequence (see {@link #refreshCounts}). */
    private void refreshMatching() {
        read("Counting what the filter matches", q -> engine.queue().matching(q));
    }

    private void read(String title, java.util.function.Function<QueueQuery, QueueCounts> how) {
        QueueQuery q = applied.get();
        countsInFlight++;
        executor.execute(title, () -> how.apply(q), c -> {
            countsInFlight--;
            counted(q, c);
        }, e -> {
            countsInFlight--;
            if (countsInFlight == 0) {
                since.clear();
            }
            message.set("Could not count the queue: " + e.getMessage());
        });
    }

    private void counted(QueueQuery q, QueueCounts c) {
        // else an older read answered late: the counts stand on a newer one
        if (c.perAction() && c.seq() >= countedSeq) {
            Map<Action, Long> n = new EnumMap<>(c.byAction());
            for (Delta d : since) {
                if (d.seq() > c.seq() && d.pending()) {
                    n.merge(d.entry().action(), (long) d.delta(), Long::sum);
                }
            }
            countedSeq = c.seq();
            n.forEach((a, v) -> counts.get(a).set(Math.max(0, v)));
        }
        if (c.seq() >= matchedSeq && q.equals(applied.get())) {
            long m = c.matching();
            for (Delta d : since) {
                if (d.seq() > c.seq() && d.pending() && q.matches(d.entry())) {
                    m += d.delta();
                }
            }
            matchedSeq = c.seq();
            matching.set(Math.max(0, m));
        }
        if (countsInFlight == 0) {
            since.clear();
        }
    }

    /** One entry's change as an event told it: {@code delta} +1 (added) or -1 (left), {@code pending} if it counts. */
    private record Delta(long seq, QueueEntry entry, int delta, boolean pending) {
    }

    /** Counts an event's entry unless the counts already include it (its change is at or below the counts' sequence). */
    private void count(long seq, QueueEntry e, int delta, boolean pending) {
        boolean known = seq != StoreEvent.UNKNOWN;
        if (known && countsInFlight > 0) {
            since.add(new Delta(seq, e, delta, pending));
        }
        if (pending) {
            if (!known || seq > countedSeq) {
                LongProperty c = counts.get(e.action());
                c.set(Math.max(0, c.get() + delta));
            }
            if ((!known || seq > matchedSeq) && applied.get().matches(e)) {
                matching.set(Math.max(0, matching.get() + delta));
            }
        }
    }

    /** Reloads everything (F5). */
    public void refresh() {
        rows.reload();
        refreshCounts();
    }

    /** Periodic check that the counts and the list still match the database. */
    public void reconcile() {
        if (paused.get()) {
            return;
        }
        activitySince = -1;
        rows.reconcile();
        refreshCounts();
    }

    /** How long the queue must have been still before {@link #settle} reads the counts and the list again. */
    static final long SETTLE_NANOS = 2_000_000_000L;

    /**
     * Called every second (the console's ticker) with the time: once entries have stopped coming and going for
     * {@link #SETTLE_NANOS}, the counts and the list are read again. The counts do not drift from the events (each read
     * is tied to the change feed's sequence, see {@link #refreshCounts}); this read catches what no event told: a change
     * the feed dropped (a watcher too far behind), Cassandra's counts read around a change, the rows of the page.
     */
    public void settle(long nowNanos) {
        if (activitySince >= 0 && nowNanos - lastActivity >= SETTLE_NANOS) {
            reconcile();
        }
    }

    private void activity() {
        long now = System.nanoTime();
        if (activitySince < 0) {
            activitySince = now;
        }
        lastActivity = now;
    }

    // ---------------------------------------------------------------- events

    /** New entries, their changes' sequences not known (counted whatever the counts saw). */
    public void entriesAdded(List<QueueEntry> entries) {
        entriesAdded(new StoreEvent.EntriesAdded(entries));
    }

    /** New entries: each counts unless the counts already include it; those on the page join it. */
    public void entriesAdded(StoreEvent.EntriesAdded event) {
        activity();
        List<QueueEntry> entries = event.entries();
        if (!paused.get()) {
            rows.added(entries); // first: the page places them by the total before them
        }
        for (int i = 0; i < entries.size(); i++) {
            QueueEntry e = entries.get(i);
            // read back as it is now: one parked since is not pending (its change recounts)
            count(event.seq(i), e, +1, QueueQuery.PENDING.contains(e.state()));
        }
    }

    /** Entries that left the queue, their changes' sequences not known. */
    public void entriesDone(List<HistoryEntry> entries) {
        entriesDone(new StoreEvent.EntriesDone(entries));
    }

    /** Entries that left the queue: each is uncounted unless the counts already saw it go; it leaves the page. */
    public void entriesDone(StoreEvent.EntriesDone event) {
        activity();
        List<HistoryEntry> entries = event.entries();
        if (!paused.get()) {
            rows.done(entries);
        }
        boolean recount = false;
        for (int i = 0; i < entries.size(); i++) {
            HistoryEntry h = entries.get(i);
            if (h.outcome() == Outcome.DISCARDED) {
                recount = true; // it was parked, not pending; whether the counts saw it parked, a read tells
            } else {
                count(event.seq(i), h.entry(), -1, true);
            }
        }
        if (recount) {
            refreshCounts();
        }
        followDetail(entries.stream().map(HistoryEntry::entry).toList());
    }

    /**
     * Pending entries whose state changed: claimed, released for a retry, parked (they leave the table), retried (they come
     * back). Rows on the page are updated in place; a parked or retried entry changes the counts, which are read again.
     */
    public void entriesChanged(List<QueueEntry> entries) {
        entriesChanged(new StoreEvent.EntriesChanged(entries));
    }

    /** As {@link #entriesChanged(List)}; the sequences do not matter here (a parked or retried entry is read again). */
    public void entriesChanged(StoreEvent.EntriesChanged event) {
        List<QueueEntry> entries = event.entries();
        activity();
        boolean recount = entries.stream().anyMatch(e -> e.parked() || (e.state() == QueueEntry.State.WAITING && e.attempts() == 0));
        if (!paused.get()) {
            rows.changed(entries);
        }
        if (recount) {
            refreshCounts();
        }
        followDetail(entries);
    }

    private void followDetail(List<QueueEntry> entries) {
        EntryDetail d = detail.get();
        if (d != null && entries.stream().anyMatch(e -> e.recno() == d.entry().recno())) {
            showDetail(d.entry());
        }
    }

    // ---------------------------------------------------------------- moves

    private static List<Long> recnos(List<QueueEntry> selected) {
        return selected.stream().filter(e -> e != null && e.recno() > 0).map(QueueEntry::recno).distinct().collect(Collectors.toList());
    }

    /**
     * Runs the selected entries now, whatever the window: by the running daemon, or here under the session lock; says
     * how it went (outcome, bytes reclaimed, time). When another process holds the lock the entries stay queued.
     */
    public void runNow(List<QueueEntry> selected) {
        runNowIds(recnos(selected));
    }

    void runNowIds(List<Long> ids) {
        if (readOnly.get() || ids.isEmpty()) {
            return;
        }
        message.set("Running " + ids.size() + (ids.size() == 1 ? " entry" : " entries") + " now...");
        executor.execute("Running " + ids.size() + " entries", () -> {
            long t0 = System.nanoTime();
            List<TaskResult> r = engine.daemon().runNow(ids);
            return new Ran(r, java.time.Duration.ofNanos(System.nanoTime() - t0));
        }, ran -> message.set(org.mstore.console.RunReport.of(ran.results(), ran.took())), e -> message.set(
                e instanceof org.mstore.api.SessionLockedException ? org.mstore.console.RunReport.locked(org.mstore.console.RunReport.holderOf(e),
                        (ids.size() == 1 ? "The entry stays queued and runs" : "The entries stay queued and run") + " when the lock is free.")
                        : "Not run: " + e.getMessage()));
    }

    private record Ran(List<TaskResult> results, java.time.Duration took) {
    }

    /** Removes the selected entries from the queue. */
    public void remove(List<QueueEntry> selected) {
        List<Long> ids = recnos(selected);
        if (readOnly.get() || ids.isEmpty()) {
            return;
        }
        executor.execute("Removing " + ids.size() + " entries", () -> engine.queue().remove(ids),
                removed -> message.set("Removed " + removed.size() + " entries"
                        + (removed.size() < ids.size() ? " (" + (ids.size() - removed.size() + " were in progress or gone)") : "")),
                e -> message.set(e.getMessage()));
    }

    /** How many entries the applied filter matches in the whole queue (for the bulk moves' confirmation). */
    public void countMatching(java.util.function.Consumer<Long> then) {
        QueueQuery q = applied.get();
        executor.execute("Counting the matching entries", () -> engine.queue().count(q), then::accept,
                e -> message.set("Could not count: " + e.getMessage()));
    }

    private List<Long> matchingRecnos(QueueQuery q) {
        List<Long> ids = new ArrayList<>();
        engine.queue().forEach(q, e -> ids.add(e.recno()));
        return ids;
    }

    /** Removes every waiting entry the filter matches (not only the page shown); says how many. */
    public void removeAllMatching() {
        if (readOnly.get()) {
            return;
        }
        QueueQuery q = applied.get();
        executor.execute("Removing the matching entries", () -> engine.queue().remove(matchingRecnos(q)), removed -> {
            message.set("Removed " + org.mstore.console.Format.count(removed.size()) + " matching entries");
            refresh();
        }, e -> message.set("Not removed: " + e.getMessage()));
    }

    /** Runs every entry the filter matches now (see {@link #runNow}). */
    public void runAllMatching() {
        if (readOnly.get()) {
            return;
        }
        QueueQuery q = applied.get();
        executor.execute("Reading the matching entries", () -> matchingRecnos(q), this::runNowIds,
                e -> message.set("Not run: " + e.getMessage()));
    }

    // ---------------------------------------------------------------- export, copy as command

    /**
     * Writes every entry the applied filter matches (not only the page shown) to {@code file} as CSV, streamed from the
     * store in the filter's order, in the background; says how many.
     */
    public void exportCsv(java.nio.file.Path file) {
        QueueQuery q = applied.get();
        message.set("Exporting the matching entries to " + file.getFileName() + "...");
        executor.execute("Exporting the queue", () -> {
            SettingsSnapshot s = engine.settings().snapshot();
            return org.mstore.console.export.Csv.toFile(file, csv -> {
                csv.row((Object[]) org.mstore.console.export.Rows.QUEUE_HEADER);
                java.io.IOException[] failed = new java.io.IOException[1];
                engine.queue().forEach(q, e -> {
                    if (failed[0] == null) {
                        try {
                            org.mstore.console.export.Rows.queue(csv, e, EntryDetail.due(e, engine.info().features(), s));
                        } catch (java.io.IOException x) {
                            failed[0] = x;
                        }
                    }
                });
                if (failed[0] != null) {
                    throw failed[0];
                }
            });
        }, n -> message.set("Exported " + org.mstore.console.Format.count(n) + (n == 1 ? " entry" : " entries") + " to " + file),
                e -> message.set("Not exported: " + e.getMessage()));
    }

    /** The {@code mstore} command line that does what Run now does for the selection (null when nothing is selected). */
    public org.mstore.console.export.Commands.Line runNowCommand(List<QueueEntry> selected) {
        List<QueueEntry> sel = selected.stream().filter(e -> e != null && e.recno() > 0).toList();
        return sel.isEmpty() ? null : org.mstore.console.export.Commands.runNow(sel, engine.info().root());
    }

    /** The mailboxes of a selection (for "repair the selection"). */
    public static List<String> mailboxes(List<QueueEntry> selected) {
        List<String> out = new ArrayList<>();
        for (QueueEntry e : selected) {
            if (e != null && e.recno() > 0 && !out.contains(e.mailbox())) {
                out.add(e.mailbox());
            }
        }
        return out;
    }
}
