package org.mstore.console.dashboard;

import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

import org.mstore.api.Action;
import org.mstore.api.HistoryEntry;
import org.mstore.api.MessageStore;
import org.mstore.api.Outcome;
import org.mstore.console.TaskExecutor;

import javafx.beans.property.LongProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The dashboard's series: queue depth per action over time (sampled from the live counts) and tasks done
 * finished (done, skipped or dropped, as the daemon counts them) per minute (from the history, then from "entry done" events), over the last hour.
 */
public final class DashboardViewModel {
    public static final long WINDOW_MS = 60 * 60_000L;

    /** Queue depth per action at one moment. */
    public record DepthSample(long time, Map<Action, Long> depth) {
    }

    /** Tasks done in the minute starting at {@code minute}. */
    public record MinuteCount(long minute, long done) {
    }

    private final MessageStore engine;
    private final TaskExecutor executor;
    private final Clock clock;
    private final ObservableList<DepthSample> depth = FXCollections.observableArrayList();
    private final ObservableList<MinuteCount> perMinute = FXCollections.observableArrayList();
    private final LongProperty doneLastHour = new SimpleLongProperty();
    private final LongProperty bytesLastHour = new SimpleLongProperty();
    private final javafx.beans.property.ObjectProperty<SpaceReport> space = new javafx.beans.property.SimpleObjectProperty<>();
    private boolean spaceReading;

    public DashboardViewModel(MessageStore engine, TaskExecutor executor) {
        this.engine = engine;
        this.executor = executor;
        this.clock = engine.clock();
    }

    public ObservableList<DepthSample> depth() {
        return depth;
    }

    public ObservableList<MinuteCount> perMinute() {
        return perMinute;
    }

    public LongProperty doneLastHourProperty() {
        return doneLastHour;
    }

    /** Space waiting to be reclaimed and the mailboxes with the most of it; null until read. */
    public javafx.beans.property.ObjectProperty<SpaceReport> spaceProperty() {
        return space;
    }

    /** Reads the space waiting to be reclaimed again (in the background; a read still going is not doubled). */
    public void loadSpace() {
        if (spaceReading) {
            return;
        }
        spaceReading = true;
        executor.execute("Reading the space waiting to be reclaimed", () -> SpaceReport.read(engine), r -> {
            spaceReading = false;
            space.set(r);
        }, e -> spaceReading = false);
    }

    public LongProperty bytesLastHourProperty() {
        return bytesLastHour;
    }

    /**
     * What counts as a finished task: done, skipped or dropped, as the daemon counts its "tasks finished" (an entry an
     * administrator removed or discarded never ran, and is not counted by either).
     */
    public static final java.util.Set<Outcome> FINISHED = java.util.EnumSet.of(Outcome.DONE, Outcome.SKIPPED, Outcome.DROPPED);

    private record HistoryLoad(SortedMap<Long, Long> perMinute, long bytes) {
    }

    private SortedMap<Long, Long> finishedPerMinute(long since) {
        SortedMap<Long, Long> all = new java.util.TreeMap<>();
        for (Outcome o : FINISHED) {
            engine.queue().finishedPerMinute(since, o).forEach((m, n) -> all.merge(m, n, Long::sum));
        }
        return all;
    }

    /** Loads the last hour of finished tasks from the history. */
    public void load() {
        long since = clock.millis() - WINDOW_MS;
        executor.execute("Reading the history", () -> new HistoryLoad(finishedPerMinute(since),
                engine.queue().bytesReclaimedSince(since)), r -> {
                    perMinute.setAll(r.perMinute().entrySet().stream().map(e -> new MinuteCount(e.getKey(), e.getValue())).toList());
                    bytesLastHour.set(r.bytes());
                    doneLastHour.set(r.perMinute().values().stream().mapToLong(Long::longValue).sum());
                }, e -> { });
        loadSpace();
    }

    /** Records the current depth per action (called every few seconds). */
    public void sample(Map<Action, Long> counts) {
        long now = clock.millis();
        depth.add(new DepthSample(now, new EnumMap<>(counts)));
        while (!depth.isEmpty() && depth.get(0).time() < now - WINDOW_MS) {
            depth.remove(0);
        }
        age();
    }

    /**
     * Once a whole minute has left the last hour, re-reads the hour from the history: the counts and the bytes
     * (known only as a total) of tasks done more than an hour ago stop counting, even when nothing else finishes.
     */
    private void age() {
        if (!perMinute.isEmpty() && perMinute.get(0).minute() + 60_000L <= clock.millis() - WINDOW_MS) {
            load();
        }
    }

    /** Entries that left the queue: the finished ones (done, skipped, dropped) count in their minute. */
    public void entriesDone(List<HistoryEntry> entries) {
        for (HistoryEntry h : entries) {
            if (!FINISHED.contains(h.outcome())) {
                continue;
            }
            long minute = h.doneAt().toEpochMilli() / 60_000L * 60_000L;
            int last = perMinute.size() - 1;
            if (last >= 0 && perMinute.get(last).minute() == minute) {
                perMinute.set(last, new MinuteCount(minute, perMinute.get(last).done() + 1));
            } else if (last < 0 || perMinute.get(last).minute() < minute) {
                perMinute.add(new MinuteCount(minute, 1));
            }
            doneLastHour.set(doneLastHour.get() + 1);
            bytesLastHour.set(bytesLastHour.get() + h.bytesReclaimed());
        }
        age();
    }
}
