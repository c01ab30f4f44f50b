package org.mstore.api;

import java.time.Duration;
import java.util.Optional;

/** The {@code store.*} settings at one moment, typed: what a task re-checks against. */
public record SettingsSnapshot(long cleanupSize, Duration cleanupAge, long purgeCount, double purgePercentage, boolean purgeEnable,
                               Optional<PurgeWindow> window, boolean exitWhenEmpty) {
    /** True when the expunged cache records exceed both purge thresholds (count and share). */
    public boolean purgeDue(long cacheRecords, long cacheExpunged) {
        if (cacheExpunged <= purgeCount || cacheRecords == 0) {
            return false;
        }
        return 100.0 * cacheExpunged / cacheRecords > purgePercentage;
    }

    /** True when the Expunged count exceeds store.cleanupsize. */
    public boolean cleanupDue(long expunged) {
        return expunged > cleanupSize;
    }
}
