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
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.SettingsSnapshot;
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
    private final ObjectProperty<SettingsSnapshot> settings = new SimpleObjectProperty<>();
    private final ObjectProperty<EntryDetail> detail = new SimpleObjectProperty<>();
    private QueueQuery applied = QueueQuery.all();
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
        applied = query();
        rows.setQuery(applied);
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
        if (!q.equals(applied)) {
            applied = q;
            rows.setQuery(q);
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

    public void refreshCounts() {
        executor.execute("Counting the queue", () -> engine.queue().countsByAction(), m -> m.forEach((a, n) -> counts.get(a).set(n)),
                e -> message.set("Could not count the queue: " + e.getMessage()));
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
     * {@link #SETTLE_NANOS}, the counts and the list are read again. Counting from events alone drifts when an event
     * arrives after a count that already saw its change (an entry counted twice, "71 pending; 70 match" for a while);
     * a read after the activity settles makes every counter agree within seconds, not at the next periodic check.
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

    public void entriesAdded(List<QueueEntry> entries) {
        activity();
        for (QueueEntry e : entries) {
            counts.get(e.action()).set(counts.get(e.action()).get() + 1);
        }
        if (!paused.get()) {
            rows.added(entries);
        }
    }

    public void entriesDone(List<HistoryEntry> entries) {
        activity();
        for (HistoryEntry h : entries) {
            LongProperty c = counts.get(h.entry().action());
            c.set(Math.max(0, c.get() - 1));
        }
        if (!paused.get()) {
            rows.done(entries);
        }
        followDetail(entries.stream().map(HistoryEntry::entry).toList());
    }

    /**
     * Pending entries whose state changed: claimed, released for a retry, parked (they leave the table), retried (they come
     * back). Rows on the page are updated in place; a parked or retried entry changes the counts, which are read again.
     */
    public void entriesChanged(List<QueueEntry> entries) {
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
        QueueQuery q = applied;
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
        QueueQuery q = applied;
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
        QueueQuery q = applied;
        executor.execute("Reading the matching entries", () -> matchingRecnos(q), this::runNowIds,
                e -> message.set("Not run: " + e.getMessage()));
    }

    // ---------------------------------------------------------------- export, copy as command

    /**
     * Writes every entry the applied filter matches (not only the page shown) to {@code file} as CSV, streamed from the
     * store in the filter's order, in the background; says how many.
     */
    public void exportCsv(java.nio.file.Path file) {
        QueueQuery q = applied;
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
