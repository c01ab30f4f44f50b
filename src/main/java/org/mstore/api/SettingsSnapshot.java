package org.mstore.api;

import java.time.Duration;
import java.util.Optional;

/** The {@code store.*} settings at one moment, typed: what a task re-checks against, and the actions impurge leaves waiting. */
public record SettingsSnapshot(long cleanupSize, Duration cleanupAge, long purgeCount, double purgePercentage, boolean purgeEnable,
                               Optional<PurgeWindow> window, boolean exitWhenEmpty, java.util.Set<Action> paused) {
    public SettingsSnapshot {
        paused = paused.isEmpty() ? java.util.Set.of() : java.util.Collections.unmodifiableSet(java.util.EnumSet.copyOf(paused));
    }

    /** With no action paused. */
    public SettingsSnapshot(long cleanupSize, Duration cleanupAge, long purgeCount, double purgePercentage, boolean purgeEnable,
                            Optional<PurgeWindow> window, boolean exitWhenEmpty) {
        this(cleanupSize, cleanupAge, purgeCount, purgePercentage, purgeEnable, window, exitWhenEmpty, java.util.Set.of());
    }

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
