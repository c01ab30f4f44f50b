package org.mstore.console.mailboxes;

import java.util.Collection;
import java.util.List;
import java.util.Locale;

import org.mstore.api.Action;
import org.mstore.api.CheckReport;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MessageStore;
import org.mstore.api.Enqueued;
import org.mstore.api.SessionLockedException;
import org.mstore.api.TaskResult;
import org.mstore.console.RunReport;
import org.mstore.console.TaskExecutor;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.transformation.FilteredList;

/**
 * Users and folders, searchable; the selected mailbox's metadata against the thresholds; and the moves on
 * it: Repair now, Clean now, Purge now (forced entries) and Check (the full sanity check, which queues a
 * Repair when it finds corruption, as the seed's self-healing does).
 */
public final class MailboxesViewModel {
    private final MessageStore engine;
    private final TaskExecutor executor;
    private final ObservableList<MailboxInfo> mailboxes = FXCollections.observableArrayList();
    private final FilteredList<MailboxInfo> visible = new FilteredList<>(mailboxes, m -> true);
    private final StringProperty search = new SimpleStringProperty("");
    private final ObjectProperty<MailboxInfo> selected = new SimpleObjectProperty<>();
    private final ObjectProperty<org.mstore.api.SettingsSnapshot> thresholds = new SimpleObjectProperty<>();
    private final StringProperty message = new SimpleStringProperty("");
    private final ObservableList<String> problems = FXCollections.observableArrayList();
    /** When the check that found {@link #problems} started. */
    private java.time.Instant problemsCheckedAt;
    private final BooleanProperty readOnly = new SimpleBooleanProperty(false);
    private final BooleanBinding actionsDisabled;
    private final ObjectProperty<Action> queueInstead = new SimpleObjectProperty<>();
    private final ObservableList<org.mstore.api.ExpungedMessage> expunged = FXCollections.observableArrayList();
    private final StringProperty expungedFor = new SimpleStringProperty();
    private java.util.function.Consumer<CheckReport> onChecked = r -> { };
    private final ObjectProperty<org.mstore.api.ReclaimableSpace> reclaimable = new SimpleObjectProperty<>();
    private long reclaimGeneration;

    public MailboxesViewModel(MessageStore engine, TaskExecutor executor, boolean readOnly) {
        this.engine = engine;
        this.executor = executor;
        this.readOnly.set(readOnly);
        search.addListener((o, was, is) -> {
            String t = is == null ? "" : is.strip().toLowerCase(Locale.ROOT);
            visible.setPredicate(m -> t.isEmpty() || m.name().toLowerCase(Locale.ROOT).contains(t));
        });
        actionsDisabled = Bindings.createBooleanBinding(() -> this.readOnly.get() || selected.get() == null, this.readOnly, selected);
        selected.addListener((o, was, is) -> loadReclaimable());
        selected.addListener((o, was, is) -> {
            if (is == null || was == null || !is.name().equals(was.name())) {
                problems.clear();
                message.set("");
                queueInstead.set(null);
                expunged.clear();
                expungedFor.set(null);
            } else if (!problems.isEmpty() && problemsCheckedAt != null && is.lastRepair() != null
                    && is.lastRepair().isAfter(problemsCheckedAt)) {
                problems.clear(); // repaired since the check that found them (here, or by an impurge): Check again to see
            }
        });
    }

    /** Every mailbox, by name. */
    public ObservableList<MailboxInfo> mailboxes() {
        return mailboxes;
    }

    /** The mailboxes whose name contains the search text. */
    public FilteredList<MailboxInfo> visible() {
        return visible;
    }

    public StringProperty searchProperty() {
        return search;
    }

    public ObjectProperty<MailboxInfo> selectedProperty() {
        return selected;
    }

    public ObjectProperty<org.mstore.api.SettingsSnapshot> thresholdsProperty() {
        return thresholds;
    }

    public StringProperty messageProperty() {
        return message;
    }

    /** What the last Check found. */
    public ObservableList<String> problems() {
        return problems;
    }

    public BooleanBinding actionsDisabledProperty() {
        return actionsDisabled;
    }

    public void load() {
        executor.execute("Loading mailboxes", engine.mailboxes()::list, list -> {
            String keep = selected.get() == null ? null : selected.get().name();
            mailboxes.setAll(list);
            if (keep != null) {
                select(keep);
            }
        }, e -> message.set("Could not list mailboxes: " + e.getMessage()));
        loadThresholds();
    }

    public void loadThresholds() {
        executor.execute("Reading settings", () -> engine.settings().snapshot(), thresholds::set, e -> { });
    }

    /** Selects a mailbox by name (null clears). */
    public void select(String name) {
        selected.set(name == null ? null : mailboxes.stream().filter(m -> m.name().equals(name)).findFirst().orElse(null));
    }

    /** A mailbox row as read after a change; {@code info} is null when the mailbox is gone. */
    private record Row(String name, MailboxInfo info) {
    }

    /** Some mailboxes changed (here or in another process): re-read just those rows. */
    public void changed(Collection<String> names) {
        List<String> todo = List.copyOf(names);
        executor.execute("Reading mailboxes",
                () -> todo.stream().map(n -> new Row(n, engine.mailboxes().find(n).orElse(null))).toList(), rowsRead -> {
                    for (Row r : rowsRead) {
                        int i = indexOf(r.name());
                        if (r.info() == null && i >= 0) {
                            mailboxes.remove(i);
                        } else if (r.info() != null && i >= 0) {
                            mailboxes.set(i, r.info());
                        } else if (r.info() != null) {
                            int at = 0;
                            while (at < mailboxes.size() && mailboxes.get(at).name().compareTo(r.name()) < 0) {
                                at++;
                            }
                            mailboxes.add(at, r.info());
                        }
                        if (selected.get() != null && selected.get().name().equals(r.name())) {
                            selected.set(r.info());
                        }
                    }
                }, e -> { });
    }

    private int indexOf(String name) {
        for (int i = 0; i < mailboxes.size(); i++) {
            if (mailboxes.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- moves

    public void repairNow() {
        runNow(Action.REPAIR);
    }

    public void cleanNow() {
        runNow(Action.CLEAN);
    }

    public void purgeNow() {
        runNow(Action.PURGE);
    }

    /** A move the session lock kept from running now, which the administrator may queue instead; null when none. */
    public ObjectProperty<Action> queueInsteadProperty() {
        return queueInstead;
    }

    private record Ran(List<TaskResult> results, java.time.Duration took) {
    }

    /**
     * "Repair now", "Clean now", "Purge now": a forced entry run at once (also outside the off-peak window), by the
     * daemon here or under the session lock; the result (outcome, bytes, time) is said here. When another process holds
     * the lock nothing is queued: the administrator is offered to queue it instead.
     */
    public void runNow(Action action) {
        MailboxInfo m = selected.get();
        if (m == null || readOnly.get()) {
            return;
        }
        String name = m.name();
        queueInstead.set(null);
        message.set(action + " " + name + " now...");
        executor.execute(action + " " + name + " now", () -> {
            if (!engine.daemon().running()) {
                java.util.Optional<String> holder = engine.daemon().lockHolder();
                if (holder.isPresent()) {
                    throw new SessionLockedException(holder.get());
                }
            }
            long t0 = System.nanoTime();
            Enqueued q = engine.queue().request(name, action);
            List<TaskResult> r = engine.daemon().runNow(List.of(q.recno()));
            return new Ran(r, java.time.Duration.ofNanos(System.nanoTime() - t0));
        }, ran -> message.set(RunReport.of(ran.results(), ran.took())), e -> {
            if (e instanceof SessionLockedException) {
                queueInstead.set(action);
                message.set(RunReport.locked(RunReport.holderOf(e), "Queue it instead, to run when the lock is free?"));
            } else {
                message.set(action + " " + name + " failed: " + e.getMessage());
            }
        });
    }

    /** Queues the move the session lock kept from running now. */
    public void queueInstead() {
        Action a = queueInstead.get();
        queueInstead.set(null);
        if (a != null) {
            request(a);
        }
    }

    /** Queues a forced task for the selected mailbox. */
    public void request(Action action) {
        MailboxInfo m = selected.get();
        if (m != null) {
            request(m.name(), action);
        }
    }

    /** Queues a forced task for the named mailbox (the queue view's "repair the selection"). */
    public void request(String name, Action action) {
        if (readOnly.get()) {
            return;
        }
        executor.execute(action + " " + name, () -> engine.queue().request(name, action), r -> message.set(
                r.added() ? action + " queued for " + name + " (RecNo " + r.recno() + ")"
                        : action + " was already queued for " + name + " (RecNo " + r.recno() + "); it is now forced"),
                e -> message.set(e.getMessage()));
    }

    /** The selected mailbox's expunged bytes still on disk (read from its expunge lists); null while read or none selected. */
    public ObjectProperty<org.mstore.api.ReclaimableSpace> reclaimableProperty() {
        return reclaimable;
    }

    private void loadReclaimable() {
        long gen = ++reclaimGeneration;
        MailboxInfo m = selected.get();
        if (m == null) {
            reclaimable.set(null);
            return;
        }
        executor.execute("Reading " + m.name() + "'s expunge lists", () -> engine.maintenance().reclaimable(m.name()), r -> {
            if (gen == reclaimGeneration) {
                reclaimable.set(r);
            }
        }, e -> {
            if (gen == reclaimGeneration) {
                reclaimable.set(org.mstore.api.ReclaimableSpace.unknown(m.name()));
            }
        });
    }

    /** The selected mailbox's space waiting to be reclaimed, in words: what Clean + Remove and Purge would free. */
    public static String reclaimableText(MailboxInfo m, org.mstore.api.ReclaimableSpace r) {
        if (m == null) {
            return "";
        }
        if (r == null) {
            return "reading...";
        }
        String cache = Long.toString(m.cacheExpunged()) + " expunged cache records for Purge (their bytes are not counted)";
        if (r.totalBytes() < 0) {
            return m.expunged() + " expunged messages (bytes not known for this store); " + cache;
        }
        return org.mstore.console.Format.bytes(r.totalBytes()) + " of expunged messages still on disk: "
                + org.mstore.console.Format.bytes(r.expungedBytes()) + " in " + m.expunged() + " expunged since the last Clean, "
                + org.mstore.console.Format.bytes(r.awaitingRemoveBytes()) + " in " + r.awaitingRemoveMessages() + " waiting for Remove"
                + (r.awaitingRemoveLists() > 1 ? " (" + r.awaitingRemoveLists() + " lists)" : "") + "; " + cache;
    }

    /** Told each check's report (the problems badge counts them). */
    public void setOnChecked(java.util.function.Consumer<CheckReport> c) {
        onChecked = c == null ? r -> { } : c;
    }

    /** The full sanity check of the selected mailbox. */
    public void check() {
        MailboxInfo m = selected.get();
        if (m == null) {
            return;
        }
        message.set("Checking " + m.name() + "...");
        executor.execute("Checking " + m.name(), () -> {
            java.time.Instant at = engine.clock().instant();
            return java.util.Map.entry(at, engine.maintenance().check(m.name()));
        }, (java.util.Map.Entry<java.time.Instant, CheckReport> checked) -> {
            CheckReport r = checked.getValue();
            onChecked.accept(r);
            if (selected.get() != null && selected.get().name().equals(m.name())) {
                problems.setAll(r.problems()); // not under another mailbox selected meanwhile (the message names this one)
                problemsCheckedAt = checked.getKey();
            }
            if (r.healthy()) {
                message.set(m.name() + ": no problems found");
            } else {
                message.set(m.name() + ": " + r.problems().size() + " problem" + (r.problems().size() == 1 ? "" : "s") + " found"
                        + (r.repairQueued() ? "; Repair queued" : ""));
            }
        }, e -> message.set(e.getMessage()));
    }

    // ---------------------------------------------------------------- recovery of expunged messages

    /** The selected mailbox's expunged messages, as last listed ({@link #listExpunged}); empty until then. */
    public ObservableList<org.mstore.api.ExpungedMessage> expunged() {
        return expunged;
    }

    /** The mailbox {@link #expunged()} was listed for; null when not listed. */
    public StringProperty expungedForProperty() {
        return expungedFor;
    }

    /** Lists the selected mailbox's expunged messages, in the background. */
    public void listExpunged() {
        MailboxInfo m = selected.get();
        if (m != null) {
            listExpunged(m.name(), true);
        }
    }

    private void listExpunged(String name, boolean say) {
        executor.execute("Listing expunged messages of " + name, () -> engine.mailboxes().expunged(name), list -> {
            if (selected.get() != null && selected.get().name().equals(name)) {
                expunged.setAll(list);
                expungedFor.set(name);
                if (!say) {
                    return; // a restore's own report stays
                }
                long can = list.stream().filter(org.mstore.api.ExpungedMessage::recoverable).count();
                message.set(name + ": " + list.size() + " expunged message" + (list.size() == 1 ? "" : "s") + ", " + can
                        + " still recoverable");
            }
        }, e -> message.set("Could not list the expunged messages of " + name + ": " + e.getMessage()));
    }

    /**
     * Restores expunged messages of the selected mailbox (by old UID) as new messages, in the background; says which
     * old UID came back as which new one, then lists the expunged messages again.
     */
    public void restore(List<Integer> oldUids) {
        MailboxInfo m = selected.get();
        if (m == null || readOnly.get() || oldUids.isEmpty()) {
            return;
        }
        String name = m.name();
        StringBuilder set = new StringBuilder();
        for (int u : oldUids) {
            set.append(set.isEmpty() ? "" : ",").append(u);
        }
        message.set("Restoring " + oldUids.size() + " message" + (oldUids.size() == 1 ? "" : "s") + " of " + name + "...");
        executor.execute("Restoring expunged messages of " + name,
                () -> engine.mailboxes().unexpunge(name, org.mstore.api.UidSet.parse(set.toString())), r -> {
                    StringBuilder b = new StringBuilder("Restored " + r.count() + " message" + (r.count() == 1 ? "" : "s") + " of " + name
                            + ": ");
                    for (int i = 0; i < r.count(); i++) {
                        b.append(i == 0 ? "" : ", ").append("UID ").append(r.oldUids()[i]).append(" -> ").append(r.newUids()[i]);
                    }
                    changed(List.of(name));
                    listExpunged(name, false);
                    message.set(b.toString());
                }, e -> message.set("Restore failed: " + e.getMessage()));
    }

    /** "Copy as command" for the selected mailbox: Repair now, Check, or show it; null when none is selected. */
    public org.mstore.console.export.Commands.Line command(String move) {
        MailboxInfo m = selected.get();
        if (m == null) {
            return null;
        }
        java.nio.file.Path root = engine.info().root();
        return switch (move) {
            case "repair" -> new org.mstore.console.export.Commands.Line(org.mstore.console.export.Commands.reconstruct(m.name(), root), "");
            case "check" -> new org.mstore.console.export.Commands.Line(org.mstore.console.export.Commands.check(m.name(), root),
                    "reconstruct -n reports the problems; Check here also queues a Repair, as impurge's self-healing does");
            default -> new org.mstore.console.export.Commands.Line(org.mstore.console.export.Commands.show(m.name(), root), "");
        };
    }

    /** The expunged share of the cache against {@code store.purge.percentage}, in words. */
    public static String purgeStanding(MailboxInfo m, org.mstore.api.SettingsSnapshot s) {
        if (m == null) {
            return "";
        }
        String share = String.format(Locale.ROOT, "%d of %d (%.1f%%)", m.cacheExpunged(), m.cacheRecords(), m.cacheExpungedPercent());
        if (s == null) {
            return share;
        }
        boolean due = s.purgeDue(m.cacheRecords(), m.cacheExpunged());
        return share + (due ? " - past" : " - below") + " the purge thresholds (> " + s.purgeCount() + " and > "
                + trim(s.purgePercentage()) + "%)";
    }

    /** Expunged against {@code store.cleanupsize}, in words. */
    public static String cleanupStanding(MailboxInfo m, org.mstore.api.SettingsSnapshot s) {
        if (m == null) {
            return "";
        }
        if (s == null) {
            return Long.toString(m.expunged());
        }
        return m.expunged() + (s.cleanupDue(m.expunged()) ? " - past" : " - within") + " store.cleanupsize (" + s.cleanupSize() + ")";
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
