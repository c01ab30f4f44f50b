package org.mstore.cassandra;

import java.time.Clock;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.mstore.api.InvalidSettingException;
import org.mstore.api.PurgeWindow;
import org.mstore.api.Setting;
import org.mstore.api.SettingsSnapshot;
import org.mstore.backend.SettingsStore;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The {@code store.*} settings in one partition of {@code <prefix>mbox.settings}: every read is one query at the
 * store's consistency (a value another host set is seen at the next task); a change of several values is one logged
 * batch, so all or none of it is kept.
 */
final class CassandraSettings implements SettingsStore {
    private final Cql cql;
    private final Clock clock;
    private final CassandraChanges changes;
    private volatile Runnable onChange = () -> { };

    CassandraSettings(Cql cql, Clock clock, CassandraChanges changes) {
        this.cql = cql;
        this.clock = clock;
        this.changes = changes;
    }

    @Override
    public void onChange(Runnable r) {
        onChange = r == null ? () -> { } : r;
    }

    private Map<String, String> stored() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Row r : cql.execute("SELECT name, value FROM {mbox}.settings WHERE store = 0")) {
            m.put(r.getString(0), r.getString(1));
        }
        return m;
    }

    @Override
    public Map<Setting, String> all() {
        Map<String, String> stored = stored();
        Map<Setting, String> out = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            out.put(s, stored.getOrDefault(s.key(), s.defaultValue()));
        }
        return out;
    }

    @Override
    public Map<Setting, String> explicit() {
        Map<Setting, String> out = new EnumMap<>(Setting.class);
        for (Map.Entry<String, String> e : stored().entrySet()) {
            try {
                out.put(Setting.byKey(e.getKey()), e.getValue());
            } catch (InvalidSettingException ignored) {
                // a setting a newer release wrote
            }
        }
        return out;
    }

    @Override
    public SettingsSnapshot snapshot() {
        Map<Setting, String> v = all();
        return new SettingsSnapshot(Long.parseLong(v.get(Setting.CLEANUP_SIZE)), Setting.Durations.parse(v.get(Setting.CLEANUP_AGE)),
                Long.parseLong(v.get(Setting.PURGE_COUNT)), Double.parseDouble(v.get(Setting.PURGE_PERCENTAGE)),
                Boolean.parseBoolean(v.get(Setting.PURGE_ENABLE)), PurgeWindow.parse(v.get(Setting.PURGE_WINDOW)),
                Boolean.parseBoolean(v.get(Setting.PURGE_EXIT_WHEN_EMPTY)),
                Setting.Actions.parse(v.get(Setting.PURGE_PAUSED)));
    }

    @Override
    public Map<Setting, String> setAll(Map<Setting, String> values) {
        Map<Setting, String> canonical = new EnumMap<>(Setting.class);
        for (Map.Entry<Setting, String> e : values.entrySet()) {
            canonical.put(e.getKey(), e.getKey().validate(e.getValue()));
        }
        long now = clock.millis();
        BatchStatementBuilder b = BatchStatement.builder(DefaultBatchType.LOGGED);
        for (Map.Entry<Setting, String> e : canonical.entrySet()) {
            b.addStatement(cql.bind("INSERT INTO {mbox}.settings (store, name, value, updated_at) VALUES (0, ?, ?, ?)", e.getKey().key(),
                    e.getValue(), now));
        }
        if (!canonical.isEmpty()) {
            cql.execute(b.build());
        }
        for (Setting s : canonical.keySet()) {
            changes.record("setting", s.key());
        }
        onChange.run();
        return canonical;
    }

    @Override
    public void reset(Iterable<Setting> settings) {
        BatchStatementBuilder b = BatchStatement.builder(DefaultBatchType.LOGGED);
        int n = 0;
        for (Setting s : settings) {
            b.addStatement(cql.bind("DELETE FROM {mbox}.settings WHERE store = 0 AND name = ?", s.key()));
            n++;
        }
        if (n > 0) {
            cql.execute(b.build());
        }
        for (Setting s : settings) {
            changes.record("setting", s.key());
        }
        onChange.run();
    }
}
