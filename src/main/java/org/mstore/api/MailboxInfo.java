package org.mstore.api;

import java.time.Instant;

/** One row of the mboxlist (SPEC §2). Times are null when the event never happened. */
public record MailboxInfo(String name, String partition, long uidValidity, long nextUid, long messageCount, long sizeBytes,
                          long expunged, long cacheRecords, long cacheExpunged, Instant created, Instant lastExpunge,
                          Instant lastCleanup, Instant lastPurge, Instant lastRepair) {

    /** Expunged cache records as a percentage of all cache records (0 when the cache is empty). */
    public double cacheExpungedPercent() {
        return cacheRecords == 0 ? 0 : 100.0 * cacheExpunged / cacheRecords;
    }

    public Builder edit() {
        return new Builder(this);
    }

    /** A copy with some fields changed. */
    public static final class Builder {
        private String name;
        private String partition;
        private long uidValidity;
        private long nextUid;
        private long messageCount;
        private long sizeBytes;
        private long expunged;
        private long cacheRecords;
        private long cacheExpunged;
        private Instant created;
        private Instant lastExpunge;
        private Instant lastCleanup;
        private Instant lastPurge;
        private Instant lastRepair;

        private Builder(MailboxInfo m) {
            name = m.name;
            partition = m.partition;
            uidValidity = m.uidValidity;
            nextUid = m.nextUid;
            messageCount = m.messageCount;
            sizeBytes = m.sizeBytes;
            expunged = m.expunged;
            cacheRecords = m.cacheRecords;
            cacheExpunged = m.cacheExpunged;
            created = m.created;
            lastExpunge = m.lastExpunge;
            lastCleanup = m.lastCleanup;
            lastPurge = m.lastPurge;
            lastRepair = m.lastRepair;
        }

        public Builder uidValidity(long v) {
            uidValidity = v;
            return this;
        }

        public Builder nextUid(long v) {
            nextUid = v;
            return this;
        }

        public Builder messages(long count, long bytes) {
            messageCount = count;
            sizeBytes = bytes;
            return this;
        }

        public Builder expunged(long v) {
            expunged = v;
            return this;
        }

        public Builder cache(long records, long expungedRecords) {
            cacheRecords = records;
            cacheExpunged = expungedRecords;
            return this;
        }

        public Builder lastExpunge(Instant t) {
            lastExpunge = t;
            return this;
        }

        public Builder lastCleanup(Instant t) {
            lastCleanup = t;
            return this;
        }

        public Builder lastPurge(Instant t) {
            lastPurge = t;
            return this;
        }

        public Builder lastRepair(Instant t) {
            lastRepair = t;
            return this;
        }

        public MailboxInfo build() {
            return new MailboxInfo(name, partition, uidValidity, nextUid, messageCount, sizeBytes, expunged, cacheRecords,
                    cacheExpunged, created, lastExpunge, lastCleanup, lastPurge, lastRepair);
        }
    }

    /** A new mailbox's row. */
    public static MailboxInfo created(String name, String partition, long uidValidity, Instant now) {
        return new MailboxInfo(name, partition, uidValidity, 1, 0, 0, 0, 0, 0, now, null, null, null, null);
    }
}
