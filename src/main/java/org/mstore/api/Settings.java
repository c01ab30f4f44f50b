package org.mstore.api;

import java.util.Map;

/** The {@code store.*} settings: validated, persisted in the store, read by the engine without a restart. */
public interface Settings {
    /** Current values of all settings (defaults filled in), in definition order. */
    Map<Setting, String> all();

    /** Settings set explicitly, even when equal to the default. */
    Map<Setting, String> explicit();

    default String get(Setting s) {
        return all().get(s);
    }

    SettingsSnapshot snapshot();

    /** Validates every value, then saves them all or none; returns the canonical values saved. */
    Map<Setting, String> apply(Map<Setting, String> values);

    default String set(Setting s, String value) {
        return apply(Map.of(s, value)).get(s);
    }

    /** Returns settings to their defaults. */
    void reset(Iterable<Setting> settings);
}
