package org.mstore.console.history;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.mstore.api.HistoryEntry;
import org.mstore.api.MessageStore;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.console.Format;
import org.mstore.console.TaskExecutor;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * Finished work in lists of its own, as queue consoles keep it (Sidekiq's Retries / Dead, Hangfire's Succeeded / Failed):
 * <b>Done</b> (the task ran), <b>Dropped</b> (left without running, with the reason: skipped by the re-check, the
 * mailbox gone, removed or discarded by an administrator), and <b>Failed</b>: entries parked after failing
 * {@code TaskRunner.MAX_ATTEMPTS} times, with Retry and Discard. Newest first; the lists page in the database.
 */
public final class HistoryViewModel {
    public static final int PAGE = 200;
    /** What the Done list shows. */
    public static final Set<Outcome> DONE = EnumSet.of(Outcome.DONE);
    /** What the Dropped list shows: every entry that left the queue without its task running. */
    public static final Set<Outcome> DROPPED = EnumSet.of(Outcome.SKIPPED, Outcome.DROPPED, Outcome.REMOVED, Outcome.DISCARDED);

    private final MessageStore engine;
    private final TaskExecutor executor;
    private final ObservableList<HistoryEntry> done = FXCollections.observableArrayList();
    private final ObservableList<HistoryEntry> dropped = FXCollections.observableArrayList();
    private final ObservableList<QueueEntry> failed = FXCollections.observableArrayList();
    private final LongProperty doneCount = new SimpleLongProperty();
    private final LongProperty droppedCount = new SimpleLongProperty();
    private final LongProperty failedCount = new SimpleLongProperty();
    private final StringProperty message = new SimpleStringProperty("");
    private final BooleanProperty readOnly = new SimpleBooleanProperty();
    private long seenSeq;
    /** Entries retried or discarded here, with the version they had then: a late "parked" event of theirs is stale. */
    private final java.util.Map<Long, Integer> settled = new java.util.HashMap<>();

    public HistoryViewModel(MessageStore engine, TaskExecutor executor, boolean readOnly) {
        this.engine = engine;
        this.executor = executor;
        this.readOnly.set(readOnly);
    }

    public ObservableList<HistoryEntry> done() {
        return done;
    }

    public ObservableList<HistoryEntry> dropped() {
        return dropped;
    }

    /** Parked entries, in RecNo order. */
    public ObservableList<QueueEntry> failed() {
        return failed;
    }

    public LongProperty doneCountProperty() {
        return doneCount;
    }

    public LongProperty droppedCountProperty() {
        return droppedCount;
    }

    public LongProperty failedCountProperty() {
        return failedCount;
    }

    public StringProperty messageProperty() {
        return message;
    }

    public BooleanProperty readOnlyProperty() {
        return readOnly;
    }

    private record Loaded(long seq, List<HistoryEntry> done, long doneCount, List<HistoryEntry> dropped, long droppedCount,
                          List<QueueEntry> failed, long failedCount) {
    }

    /** Reads the newest page of each list and the counts. */
    public void load() {
        executor.execute("Reading the history", () -> {
            long seq = engine.queue().maxHistorySeq();
            return new Loaded(seq, engine.queue().history(DONE, seq + 1, PAGE), engine.queue().historyCount(DONE),
                    engine.queue().history(DROPPED, seq + 1, PAGE), engine.queue().historyCount(DROPPED),
                    engine.queue().page(QueueQuery.failed(), 0, 10 * PAGE), engine.queue().count(QueueQuery.failed()));
        }, l -> {
            seenSeq = l.seq();
            done.setAll(l.done());
            dropped.setAll(l.dropped());
            failed.setAll(l.failed());
            doneCount.set(l.doneCount());
            droppedCount.set(l.droppedCount());
            failedCount.set(l.failedCount());
        }, e -> message.set("Could not read the history: " + e.getMessage()));
    }

    /** Reads the next (older) page of the Done or Dropped list. */
    public void loadMore(boolean ofDone) {
        ObservableList<HistoryEntry> list = ofDone ? done : dropped;
        long before = list.isEmpty() ? Long.MAX_VALUE : list.get(list.size() - 1).seq();
        Set<Outcome> outcomes = ofDone ? DONE : DROPPED;
        executor.execute("Reading the history", () -> engine.queue().history(outcomes, before, PAGE), more -> {
            long last = list.isEmpty() ? Long.MAX_VALUE : list.get(list.size() - 1).seq();
            more.stream().filter(h -> h.seq() < last).forEach(list::add);
        }, e -> message.set("Could not read the history: " + e.getMessage()));
    }

    // ---------------------------------------------------------------- events

    /** Entries that left the queue: each goes to the top of its list (those already read are not counted twice). */
    public void entriesDone(List<HistoryEntry> entries) {
        List<HistoryEntry> newest = new ArrayList<>(entries);
        newest.sort((a, b) -> Long.compare(b.seq(), a.seq()));
        List<HistoryEntry> toDone = new ArrayList<>();
        List<HistoryEntry> toDropped = new ArrayList<>();
        for (HistoryEntry h : newest) {
            if (h.seq() <= seenSeq) {
                continue;
            }
            if (DONE.contains(h.outcome())) {
                toDone.add(h);
            } else {
                toDropped.add(h);
            }
            removeFailed(h.entry().recno());
        }
        seenSeq = Math.max(seenSeq, entries.stream().mapToLong(HistoryEntry::seq).max().orElse(seenSeq));
        done.addAll(0, toDone);
        dropped.addAll(0, toDropped);
        doneCount.set(doneCount.get() + toDone.size());
        droppedCount.set(droppedCount.get() + toDropped.size());
    }

    /** Pending entries whose state changed: a parked one joins the Failed list, a retried one leaves it. */
    public void entriesChanged(List<QueueEntry> entries) {
        for (QueueEntry e : entries) {
            int i = indexOfFailed(e.recno());
            Integer gone = settled.get(e.recno());
            if (e.parked() && gone != null && e.version() <= gone) {
                continue; // told before the retry or discard that settled it
            }
            if (e.parked()) {
                if (i >= 0) {
                    failed.set(i, e);
                } else {
                    int at = 0;
                    while (at < failed.size() && failed.get(at).recno() < e.recno()) {
                        at++;
                    }
                    failed.add(at, e);
                    failedCount.set(failedCount.get() + 1);
                }
            } else {
                removeFailed(e.recno());
            }
        }
    }

    private void removeFailed(long recno) {
        int i = indexOfFailed(recno);
        if (i >= 0) {
            failed.remove(i);
            failedCount.set(Math.max(0, failedCount.get() - 1));
        }
    }

    private int indexOfFailed(long recno) {
        for (int i = 0; i < failed.size(); i++) {
            if (failed.get(i).recno() == recno) {
                return i;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- moves

    private static List<Long> recnos(List<QueueEntry> selected) {
        return selected.stream().filter(e -> e != null && e.parked()).map(QueueEntry::recno).distinct().toList();
    }

    /** Retries the selected parked entries: back to waiting, attempts reset, due at once. */
    public void retry(List<QueueEntry> selected) {
        List<Long> ids = recnos(selected);
        if (readOnly.get() || ids.isEmpty()) {
            return;
        }
        List<QueueEntry> before = List.copyOf(selected);
        executor.execute("Retrying " + ids.size() + " entries", () -> engine.queue().retry(ids), back -> {
            before.forEach(e -> settled.merge(e.recno(), e.version(), Math::max));
            ids.forEach(this::removeFailed);
            message.set("Retried " + plural(back.size(), "entry", "entries") + ": waiting again in the queue"
                    + (back.size() < ids.size() ? " (" + (ids.size() - back.size()) + " had already left the Failed list)" : ""));
        }, e -> message.set("Not retried: " + e.getMessage()));
    }

    /** Discards the selected parked entries: they leave the queue, recorded as discarded. */
    public void discard(List<QueueEntry> selected) {
        List<Long> ids = recnos(selected);
        if (readOnly.get() || ids.isEmpty()) {
            return;
        }
        executor.execute("Discarding " + ids.size() + " entries", () -> engine.queue().discard(ids), gone -> {
            gone.forEach(e -> settled.merge(e.recno(), e.version(), Math::max));
            ids.forEach(this::removeFailed);
            message.set("Discarded " + plural(gone.size(), "entry", "entries") + "; they are in the Dropped list");
        }, e -> message.set("Not discarded: " + e.getMessage()));
    }

    /** Retries every parked entry. */
    public void retryAll() {
        if (readOnly.get()) {
            return;
        }
        executor.execute("Retrying every failed entry", () -> engine.queue().retryAll(), n -> {
            message.set("Retried " + plural(n, "entry", "entries") + ": waiting again in the queue");
            load();
        }, e -> message.set("Not retried: " + e.getMessage()));
    }

    /** Discards every parked entry. */
    public void discardAll() {
        if (readOnly.get()) {
            return;
        }
        executor.execute("Discarding every failed entry", () -> engine.queue().discardAll(), n -> {
            message.set("Discarded " + plural(n, "entry", "entries") + "; they are in the Dropped list");
            load();
        }, e -> message.set("Not discarded: " + e.getMessage()));
    }

    // ---------------------------------------------------------------- export, copy as command

    /** The history's lists. */
    public enum List3 {
        FAILED, DONE, DROPPED
    }

    /**
     * Writes a whole list (every page, not only those read) to {@code file} as CSV, newest first for Done and Dropped,
     * in RecNo order for Failed; in the background.
     */
    public void exportCsv(List3 which, java.nio.file.Path file) {
        message.set("Exporting the " + which.name().toLowerCase(java.util.Locale.ROOT) + " list to " + file.getFileName() + "...");
        executor.execute("Exporting the history", () -> org.mstore.console.export.Csv.toFile(file, csv -> {
            if (which == List3.FAILED) {
                csv.row((Object[]) org.mstore.console.export.Rows.QUEUE_HEADER);
                java.io.IOException[] failedIo = new java.io.IOException[1];
                engine.queue().forEach(QueueQuery.failed(), e -> {
                    if (failedIo[0] == null) {
                        try {
                            org.mstore.console.export.Rows.queue(csv, e, null);
                        } catch (java.io.IOException x) {
                            failedIo[0] = x;
                        }
                    }
                });
                if (failedIo[0] != null) {
                    throw failedIo[0];
                }
                return;
            }
            csv.row((Object[]) org.mstore.console.export.Rows.HISTORY_HEADER);
            Set<Outcome> outcomes = which == List3.DONE ? DONE : DROPPED;
            long before = Long.MAX_VALUE;
            while (true) {
                List<HistoryEntry> page = engine.queue().history(outcomes, before, 1000);
                for (HistoryEntry h : page) {
                    org.mstore.console.export.Rows.history(csv, h);
                }
                if (page.size() < 1000) {
                    break;
                }
                before = page.get(page.size() - 1).seq();
            }
        }), n -> message.set("Exported " + plural(n, "entry", "entries") + " to " + file), e -> message.set("Not exported: " + e.getMessage()));
    }

    /** {@code mstore impurge --retry RECNO,...}: what Retry does for the selection (null when nothing parked is selected). */
    public org.mstore.console.export.Commands.Line retryCommand(List<QueueEntry> selected) {
        List<QueueEntry> p = selected.stream().filter(e -> e != null && e.parked()).toList();
        return p.isEmpty() ? null : org.mstore.console.export.Commands.retry(p, engine.info().root());
    }

    /** {@code mstore impurge --discard RECNO,...}: what Discard does for the selection. */
    public org.mstore.console.export.Commands.Line discardCommand(List<QueueEntry> selected) {
        List<QueueEntry> p = selected.stream().filter(e -> e != null && e.parked()).toList();
        return p.isEmpty() ? null : org.mstore.console.export.Commands.discard(p, engine.info().root());
    }

    static String plural(long n, String one, String many) {
        return Format.count(n) + " " + (n == 1 ? one : many);
    }

    /** The reason shown beside a dropped entry. */
    public static String reason(HistoryEntry h) {
        String base = switch (h.outcome()) {
            case DONE -> "done";
            case SKIPPED -> "skipped";
            case DROPPED -> "dropped";
            case REMOVED -> "removed by an administrator";
            case DISCARDED -> "discarded by an administrator after failing";
        };
        return h.detail() == null || h.detail().isEmpty() ? base : base + ": " + h.detail();
    }
}
