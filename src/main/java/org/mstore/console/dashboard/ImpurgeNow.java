package org.mstore.console.dashboard;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import org.mstore.api.MessageStore;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.WorkerInfo;
import org.mstore.console.Format;
import org.mstore.console.TaskExecutor;

import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * What impurge is doing now: the running entries (claimed by any impurge, in this process or another), each with its
 * task, mailbox, who runs it and for how long (from the worker's claim time; else from when the console first saw it
 * running, said as "at least").
 */
public final class ImpurgeNow {
    private final MessageStore engine;
    private final TaskExecutor executor;
    private final StringProperty text = new SimpleStringProperty("");
    private final Map<Long, Instant> firstSeen = new java.util.HashMap<>();
    private boolean reading;

    public ImpurgeNow(MessageStore engine, TaskExecutor executor) {
        this.engine = engine;
        this.executor = executor;
    }

    /** "Purge user/alice (RecNo 12) in impurge[4711]@host, running for 3.2 s", one line per running entry, or "idle". */
    public StringProperty textProperty() {
        return text;
    }

    /** True when the last read found an entry running. */
    public boolean busy() {
        return !firstSeen.isEmpty();
    }

    private record Read(List<QueueEntry> running, List<WorkerInfo> workers, Instant now) {
    }

    /** Reads the running entries again (in the background; a read still going is not doubled). */
    public void refresh() {
        if (reading) {
            return;
        }
        reading = true;
        executor.execute("Reading what impurge is doing", () -> new Read(
                engine.queue().page(QueueQuery.all().withStates(EnumSet.of(QueueEntry.State.RUNNING)), 0, 20), engine.queue().workers(),
                engine.clock().instant()), r -> {
                    reading = false;
                    text.set(describe(r.running(), r.workers(), r.now()));
                }, e -> {
                    reading = false;
                    text.set("not known: " + e.getMessage());
                });
    }

    String describe(List<QueueEntry> running, List<WorkerInfo> workers, Instant now) {
        firstSeen.keySet().retainAll(running.stream().map(QueueEntry::recno).toList());
        if (running.isEmpty()) {
            return "idle: no entry is running";
        }
        List<String> lines = new ArrayList<>();
        for (QueueEntry e : running) {
            Instant claimed = workers.stream().filter(w -> w.recno() != null && w.recno() == e.recno() && w.claimedAt() != null)
                    .map(WorkerInfo::claimedAt).findFirst().orElse(null);
            Instant seen = firstSeen.computeIfAbsent(e.recno(), k -> now);
            String age = claimed != null ? "running for " + Format.duration(Duration.between(claimed, now))
                    : "running for at least " + Format.duration(Duration.between(seen, now));
            lines.add(e.action().label() + " " + e.mailbox() + " (RecNo " + e.recno() + ") in "
                    + org.mstore.console.Holders.describe(e.pickedBy()) + ", " + age);
        }
        return String.join("\n", lines);
    }
}
