package org.mstore.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.mstore.api.Action;
import org.mstore.api.ActionFigures;
import org.mstore.api.HistoryEntry;
import org.mstore.api.Outcome;
import org.mstore.api.Queue;
import org.mstore.api.SettingsSnapshot;
import org.mstore.api.StoreInfo;
import org.mstore.backend.QueueStore;

/**
 * The figures per action ({@link Queue#figures}): counts and the waiting entry due the longest ago from the queue,
 * throughput and the median wait from the newest history rows. An entry's wait, in both, runs from when it was due — queued, or for the store's
 * deferred action (a Remove; a Purge without a cleanup step) not forced its timestamp plus {@code store.cleanupage},
 * {@link StoreInfo.Features#due} — until it was finished; entries an administrator
 * removed or discarded are not counted.
 */
final class ActionFiguresReport {
    private ActionFiguresReport() {
    }

    static List<ActionFigures> of(QueueStore q, StoreInfo.Features features, SettingsSnapshot s, long now) {
        Map<Action, Long> counts = q.countsByAction();
        Map<Action, Instant> oldest = q.oldestDue(features, s.cleanupAge());
        long windowStart = now - Queue.FIGURES_WINDOW.toMillis();
        List<HistoryEntry> recent = q.recentHistory(Queue.FIGURES_SAMPLE);
        long start = windowStart;
        if (recent.size() >= Queue.FIGURES_SAMPLE) {
            // the sample ends inside the window: the figures are over the stretch it covers
            start = Math.max(start, recent.get(recent.size() - 1).doneAt().toEpochMilli());
        }
        Map<Action, List<Long>> waits = new EnumMap<>(Action.class);
        for (HistoryEntry h : recent) {
            long done = h.doneAt().toEpochMilli();
            if (done < start || h.outcome() == Outcome.REMOVED || h.outcome() == Outcome.DISCARDED) {
                continue;
            }
            Action a = h.entry().action();
            long due = features.due(h.entry(), s.cleanupAge()).toEpochMilli();
            waits.computeIfAbsent(a, k -> new ArrayList<>()).add(Math.max(0, done - due));
        }
        Duration over = Duration.ofMillis(Math.max(0, now - start));
        List<ActionFigures> out = new ArrayList<>();
        for (Action a : Action.values()) {
            List<Long> w = waits.getOrDefault(a, List.of());
            out.add(new ActionFigures(a, s.paused().contains(a), counts.getOrDefault(a, 0L),
                    Optional.ofNullable(oldest.get(a)), over, w.size(), median(w)));
        }
        return out;
    }

    static Optional<Duration> median(List<Long> values) {
        if (values.isEmpty()) {
            return Optional.empty();
        }
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        int n = v.length;
        long m = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return Optional.of(Duration.ofMillis(m));
    }
}
