package org.mstore.api;

import java.nio.file.Path;
import java.time.ZoneId;

/**
 * What store is open, and how.
 *
 * @param root        the store's local directory (its configuration, default log and host-local locks)
 * @param location    where the mail lives, for people: the root for the classic store, the cluster for Cassandra
 * @param backend     {@code classic} or {@code cassandra}
 * @param features    what the backend's maintenance looks like
 * @param readOnly    opened read-only
 * @param processName the name this process logs under
 * @param zone        the time zone of the store's clock
 * @param logFile     the default log
 */
public record StoreInfo(Path root, String location, String backend, Features features, boolean readOnly, String processName,
                        ZoneId zone, Path logFile) {
    /**
     * @param cleanupStep   the classic store's Clean and Remove steps exist (Cassandra goes straight to Purge)
     * @param uniqueRecnos  queue RecNos are unique
     * @param cacheOffsets  message records have cache offsets to show
     * @param mailUsers     the store keeps mail users and protocol sessions, so {@code imapd}, {@code lmtpd},
     *                      {@code user} and {@code sessions} can run on it (both stores do; a
     *                      backend may leave them out, and the commands then refuse in one line)
     */
    public record Features(boolean cleanupStep, boolean uniqueRecnos, boolean cacheOffsets, boolean mailUsers) {
        /**
         * The action that {@code store.cleanupage} defers after the entry's timestamp: the Remove of a Clean's files, or on
         * a store without a cleanup step the Purge that an expunge queues.
         */
        public Action deferredAction() {
            return cleanupStep ? Action.REMOVE : Action.PURGE;
        }

        /**
         * When a waiting entry is (or was) due by the rules, a back-off aside: its timestamp, plus {@code cleanupAge} for
         * the {@link #deferredAction} unless an administrator forced it. A Repair that self-healing re-stamped (a later
         * corruption moves its timestamp forward) was due when it was first queued ({@link QueueEntry#queuedAt}): it keeps
         * its age.
         */
        public java.time.Instant due(QueueEntry e, java.time.Duration cleanupAge) {
            if (e.action() == deferredAction() && !e.forced()) {
                return e.timestamp().plus(cleanupAge);
            }
            return e.queuedAt() != null && e.queuedAt().isBefore(e.timestamp()) ? e.queuedAt() : e.timestamp();
        }
    }

    /**
     * Throws when the store keeps no mail users and sessions ({@link Features#mailUsers}), with a message that a command
     * can show as it is: "not supported on a cassandra store yet ...".
     */
    public void requireMailUsers() {
        if (!features.mailUsers()) {
            throw new UnsupportedOperationException("not supported on a " + backend + " store yet (it keeps no mail users or sessions)");
        }
    }
}
