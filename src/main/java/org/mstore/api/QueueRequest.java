package org.mstore.api;

/**
 * A task to queue: for a mailbox, an action, its timestamp (epoch ms) and whether an administrator forced it; why it is
 * queued ({@link QueueEntry#reason}) and the process that queues it ({@link QueueEntry#queuedBy}), null if not said.
 */
public record QueueRequest(String mailbox, Action action, long ts, boolean forced, String reason, String queuedBy) {
    /** The longest reason kept (as an entry's last error is cut). */
    public static final int REASON_MAX = 1000;

    public QueueRequest {
        reason = cut(reason);
    }

    /** A request that gives no reason and no process. */
    public QueueRequest(String mailbox, Action action, long ts, boolean forced) {
        this(mailbox, action, ts, forced, null, null);
    }

    /** {@code reason} cut to {@link #REASON_MAX} characters. */
    public static String cut(String reason) {
        return reason == null || reason.length() <= REASON_MAX ? reason : reason.substring(0, REASON_MAX);
    }

    /** The name a process of this program queues under: {@code name[pid]@host}, the form claims name their holder by. */
    public static String process(String name) {
        return name + "[" + ProcessHandle.current().pid() + "]@" + Host.NAME;
    }

    private static final class Host {
        static final String NAME = name();

        private static String name() {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException | RuntimeException e) {
                return "localhost";
            }
        }
    }

    /** "Repair now by an administrator": the reason of an administrator's Repair, Clean or Purge now. */
    public static String adminReason(Action action) {
        return action.label() + " now by an administrator";
    }

    /** "Expunged 150 > store.cleanupsize 100": the Clean rule (or, without a cleanup step, the Purge rule) met. */
    public static String cleanupReason(long expunged, long cleanupSize) {
        return "Expunged " + expunged + " > store.cleanupsize " + cleanupSize;
    }

    /** "Expunged cache records 40 > store.purge.count 10 and 12.5% > store.purge.percentage 10%": the Purge rule met. */
    public static String purgeReason(long cacheRecords, long cacheExpunged, long purgeCount, double purgePercentage) {
        double pct = cacheRecords == 0 ? 0 : 100.0 * cacheExpunged / cacheRecords;
        return String.format(java.util.Locale.ROOT, "Expunged cache records %d > store.purge.count %d and %.1f%% > store.purge.percentage %s%%",
                cacheExpunged, purgeCount, pct, percent(purgePercentage));
    }

    private static String percent(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
