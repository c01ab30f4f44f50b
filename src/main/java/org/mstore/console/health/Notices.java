package org.mstore.console.health;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.mstore.api.Action;
import org.mstore.api.QueueEntry;

/**
 * What the console pops up about (ControlsFX {@code Notifications}): self-healing queued a Repair, a task failed.
 * Throttled: what arrives within {@link #QUIET_MS} of the first item is told in one notification, and two
 * notifications are at least {@link #GAP_MS} apart, so a burst of a hundred corrupt mailboxes is one notification.
 */
public final class Notices {
    /** How long to gather a burst before telling it. */
    public static final long QUIET_MS = 1_500;
    /** The least time between two notifications. */
    public static final long GAP_MS = 10_000;

    /** One notification: a title and its lines. */
    public record Notice(String title, String text, boolean failure) {
    }

    private final List<String> repairs = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private long firstAt = -1;
    private long lastShown = Long.MIN_VALUE / 2;

    /** New entries: a Repair the store's rules queued (not an administrator's) is worth telling. */
    public void added(List<QueueEntry> entries, long now) {
        for (QueueEntry e : entries) {
            if (e.action() == Action.REPAIR && !e.forced()) {
                note(repairs, e.mailbox(), now);
            }
        }
    }

    /** Changed entries: one whose task failed (released for a retry, or parked after its last attempt). */
    public void changed(List<QueueEntry> entries, long now) {
        for (QueueEntry e : entries) {
            boolean retrying = e.state() == QueueEntry.State.WAITING && e.attempts() > 0 && e.lastError() != null;
            if (e.parked() || retrying) {
                note(failures, e.action().label() + " " + e.mailbox() + (e.parked() ? " (parked after " + e.attempts() + " attempts)" : "")
                        + (e.lastError() == null ? "" : ": " + e.lastError()), now);
            }
        }
    }

    private void note(List<String> list, String line, long now) {
        list.add(line);
        if (firstAt < 0) {
            firstAt = now;
        }
    }

    /** Called now and then (each second): the notification to show now, if one is due. */
    public Optional<Notice> poll(long now) {
        if (firstAt < 0 || now - firstAt < QUIET_MS || now - lastShown < GAP_MS) {
            return Optional.empty();
        }
        Notice n = summary();
        repairs.clear();
        failures.clear();
        firstAt = -1;
        lastShown = now;
        return Optional.of(n);
    }

    private Notice summary() {
        List<String> lines = new ArrayList<>();
        String title;
        if (!failures.isEmpty()) {
            title = failures.size() == 1 ? "A task failed" : failures.size() + " tasks failed";
            lines.addAll(cut(failures));
        } else {
            title = repairs.size() == 1 ? "Self-healing queued a Repair" : "Self-healing queued " + repairs.size() + " Repairs";
        }
        if (!repairs.isEmpty()) {
            lines.add((failures.isEmpty() ? "" : "Repairs queued: ") + String.join(", ", cut(repairs)));
        }
        return new Notice(title, String.join("\n", lines), !failures.isEmpty());
    }

    private static List<String> cut(List<String> l) {
        if (l.size() <= 3) {
            return List.copyOf(l);
        }
        List<String> out = new ArrayList<>(l.subList(0, 3));
        out.add("and " + (l.size() - 3) + " more");
        return out;
    }
}
