package org.mstore.console.health;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import org.mstore.api.Action;
import org.mstore.api.CheckReport;
import org.mstore.api.HistoryEntry;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MessageStore;
import org.mstore.api.Outcome;
import org.mstore.console.Format;
import org.mstore.console.TaskExecutor;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.StringBinding;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * Store-wide health: <b>Check all</b> walks every mailbox with the full sanity check ({@code maintenance().check}, which
 * logs each corruption and queues one Repair per corrupt mailbox, as self-healing does), with progress and Cancel, and
 * keeps what it found; the problems badge counts the mailboxes found with problems (until a Repair of theirs is done)
 * and the Repair entries waiting in the queue.
 */
public final class HealthViewModel {
    private final MessageStore engine;
    private final TaskExecutor executor;
    private final BooleanProperty checking = new SimpleBooleanProperty(false);
    private final DoubleProperty progress = new SimpleDoubleProperty(0);
    private final StringProperty message = new SimpleStringProperty("");
    private final ObservableList<CheckReport> findings = FXCollections.observableArrayList();
    private final IntegerProperty problemMailboxes = new SimpleIntegerProperty(0);
    private final LongProperty repairsWaiting = new SimpleLongProperty(0);
    private final BooleanProperty diskFull = new SimpleBooleanProperty(false);
    private boolean diskReading;
    private final TreeSet<String> withProblems = new TreeSet<>();
    private final StringBinding badge;
    private AtomicBoolean cancel = new AtomicBoolean();

    public HealthViewModel(MessageStore engine, TaskExecutor executor) {
        this.engine = engine;
        this.executor = executor;
        badge = Bindings.createStringBinding(() -> badgeText(diskFull.get(), problemMailboxes.get(), repairsWaiting.get()),
                diskFull, problemMailboxes, repairsWaiting);
    }

    /** The badge's text, the full disk first: "" when there is nothing to show. */
    public static String badgeText(boolean diskFull, int mailboxes, long repairs) {
        List<String> parts = new ArrayList<>();
        if (diskFull) {
            parts.add("the store's disk is full");
        }
        if (mailboxes > 0) {
            parts.add(Format.count(mailboxes) + (mailboxes == 1 ? " mailbox" : " mailboxes") + " with problems");
        }
        if (repairs > 0) {
            parts.add(Format.count(repairs) + (repairs == 1 ? " Repair" : " Repairs") + " waiting");
        }
        return String.join(", ", parts);
    }

    public BooleanProperty checkingProperty() {
        return checking;
    }

    /** 0..1 while Check all runs. */
    public DoubleProperty progressProperty() {
        return progress;
    }

    public StringProperty messageProperty() {
        return message;
    }

    /** What Check all found: one report per mailbox with problems, by name. */
    public ObservableList<CheckReport> findings() {
        return findings;
    }

    /** Mailboxes found with problems whose Repair has not been done since. */
    public IntegerProperty problemMailboxesProperty() {
        return problemMailboxes;
    }

    /** Repair entries in the queue (the session binds it to the queue's count). */
    public LongProperty repairsWaitingProperty() {
        return repairsWaiting;
    }

    /** True when the store's disk has less free space than impurge's reserve holds (read by {@link #checkDisk}). */
    public BooleanProperty diskFullProperty() {
        return diskFull;
    }

    /** Reads whether the store's disk is full, in the background (a read still going is not doubled). */
    public void checkDisk() {
        if (diskReading) {
            return;
        }
        diskReading = true;
        executor.execute("Reading the store's disk", () -> engine.maintenance().disk().map(org.mstore.api.DiskSpace::full).orElse(false), full -> {
            diskReading = false;
            diskFull.set(full);
        }, e -> diskReading = false);
    }

    /** "the store's disk is full, 2 mailboxes with problems, 3 Repairs waiting", or "" */
    public StringBinding badgeProperty() {
        return badge;
    }

    /** Walks every mailbox with the full check, in the background; progress and findings arrive as it goes. */
    public void checkAll() {
        if (checking.get()) {
            return;
        }
        AtomicBoolean stop = new AtomicBoolean();
        cancel = stop;
        checking.set(true);
        progress.set(0);
        findings.clear();
        message.set("Listing the mailboxes...");
        long t0 = System.nanoTime();
        executor.execute("Checking every mailbox", () -> {
            List<MailboxInfo> all = engine.mailboxes().list();
            int done = 0;
            int repairs = 0;
            List<CheckReport> found = new ArrayList<>();
            long[] lastPost = {System.nanoTime() - 1_000_000_000L};
            for (MailboxInfo m : all) {
                if (stop.get()) {
                    break;
                }
                CheckReport r;
                try {
                    r = engine.maintenance().check(m.name());
                } catch (org.mstore.api.NoSuchMailboxException gone) {
                    r = new CheckReport(m.name(), List.of(), false); // deleted while we walked: nothing to check
                } catch (Exception x) {
                    r = new CheckReport(m.name(), List.of("could not be checked: " + x.getMessage()), false);
                }
                done++;
                if (r.repairQueued()) {
                    repairs++;
                }
                if (!r.healthy()) {
                    found.add(r);
                }
                CheckReport report = r;
                int n = done;
                long t = System.nanoTime();
                if (report.healthy() && n < all.size() && t - lastPost[0] < 100_000_000L) {
                    continue; // progress told at most ten times a second; a finding at once
                }
                lastPost[0] = t;
                executor.runOnUi(() -> {
                    progress.set(all.isEmpty() ? 1 : (double) n / all.size());
                    message.set("Checking: " + Format.count(n) + " of " + Format.count(all.size()) + " mailboxes done...");
                    if (!report.healthy()) {
                        findings.add(report);
                        withProblems.add(report.mailbox());
                        problemMailboxes.set(withProblems.size());
                    }
                });
            }
            return new Walk(all.size(), done, found.size(), repairs, stop.get());
        }, w -> {
            checking.set(false);
            progress.set(w.total() == 0 ? 1 : (double) w.checked() / w.total());
            message.set((w.cancelled() ? "Cancelled after " + Format.count(w.checked()) + " of " + Format.count(w.total()) + " mailboxes: "
                    : "Checked " + Format.count(w.checked()) + (w.checked() == 1 ? " mailbox" : " mailboxes") + " in "
                    + Format.duration(java.time.Duration.ofNanos(System.nanoTime() - t0)) + ": ")
                    + (w.unhealthy() == 0 ? "no problems found"
                    : Format.count(w.unhealthy()) + (w.unhealthy() == 1 ? " mailbox" : " mailboxes") + " with problems; "
                    + Format.count(w.repairs()) + (w.repairs() == 1 ? " Repair" : " Repairs") + " queued"));
        }, e -> {
            checking.set(false);
            message.set("Check all stopped: " + e.getMessage());
        });
    }

    private record Walk(int total, int checked, int unhealthy, int repairs, boolean cancelled) {
    }

    /** Stops Check all after the mailbox it is checking. */
    public void cancel() {
        cancel.set(true);
    }

    /** A single mailbox's check (the Mailboxes view's Check) counts too. */
    public void checked(CheckReport r) {
        boolean changed = r.healthy() ? withProblems.remove(r.mailbox()) : withProblems.add(r.mailbox());
        if (changed) {
            problemMailboxes.set(withProblems.size());
        }
    }

    /** A Repair done clears its mailbox's problems. */
    public void entriesDone(List<HistoryEntry> entries) {
        boolean changed = false;
        for (HistoryEntry h : entries) {
            if (h.entry().action() == Action.REPAIR && h.outcome() == Outcome.DONE) {
                changed |= withProblems.remove(h.entry().mailbox());
                findings.removeIf(r -> r.mailbox().equals(h.entry().mailbox()));
            }
        }
        if (changed) {
            problemMailboxes.set(withProblems.size());
        }
    }
}
