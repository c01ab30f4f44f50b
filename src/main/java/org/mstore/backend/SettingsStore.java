package org.mstore.backend;

import java.util.Map;

import org.mstore.api.Setting;
import org.mstore.api.SettingsSnapshot;

/** Where the {@code store.*} settings are kept. Every read sees other processes' latest values. */
public interface SettingsStore {
    Map<Setting, String> all();

    Map<Setting, String> explicit();

    SettingsSnapshot snapshot();

    /** Validates every value, then saves all or none; returns the canonical values. */
    Map<Setting, String> setAll(Map<Setting, String> values);

    void reset(Iterable<Setting> settings);

    /** Called after each change made through this object. */
    void onChange(Runnable r);
}
