package org.mstore.config;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.mstore.api.InvalidSettingException;
import org.mstore.api.PurgeWindow;
import org.mstore.api.Setting;
import org.mstore.api.SettingsSnapshot;
import org.mstore.db.ChangeLog;
import org.mstore.db.Database;

/**
 * The {@code store.*} settings, persisted in the store's database. Every read goes to the database, so a
 * value set by another process (msconfig beside a running daemon) takes effect at the next task without a
 * restart. Values are validated before anything is saved; a batch is saved all or nothing.
 */
public final class StoreSettings implements org.mstore.backend.SettingsStore {
    /**
     * The copy of the explicitly set values kept outside the database, at the store's root, rewritten (atomically,
     * owner-only) after every change: {@code reconstruct --mboxlist} restores the settings from it when the database
     * itself was lost or damaged. Lines {@code key = value}.
     */
    public static final String MIRROR = "store.settings";
    private static final String MIRROR_LOCK = "store.settings.lck";

    private final Database db;
    private final Clock clock;
    private final java.nio.file.Path root;
    private volatile Runnable onChange = () -> { };

    public StoreSettings(Database db, Clock clock) {
        this(db, clock, null);
    }

    /** Settings that keep their mirror in {@code root} (null: none). */
    public StoreSettings(Database db, Clock clock, java.nio.file.Path root) {
        this.db = db;
        this.clock = clock;
        this.root = root;
    }

    /**
     * Rewrites the mirror from the database. Under a lock file, and reading after taking it, so that of two processes
     * changing settings at once the later writer always writes what both committed.
     */
    public void writeMirror() {
        if (root == null) {
            return;
        }
        java.nio.file.Path lockFile = root.resolve(org.mstore.db.Database.DIR).resolve(MIRROR_LOCK);
        try (java.nio.channels.FileChannel ch = org.mstore.fs.OwnerOnly.open(lockFile, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock ignored = ch.lock()) {
            StringBuilder sb = new StringBuilder("# the store's settings as last saved (a copy; the database holds them)\n");
            for (Map.Entry<Setting, String> e : explicit().entrySet()) {
                sb.append(e.getKey().key()).append(" = ").append(e.getValue()).append('\n');
            }
            org.mstore.fs.OwnerOnly.writeAtomically(root.resolve(MIRROR), sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + root.resolve(MIRROR) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The mirror after a committed change: the change stands whatever happens to the copy. A copy that cannot be
     * written (a full disk) is said once, as a warning; the next change, or {@code reconstruct --mboxlist} on a store that
     * has its database, writes it again from the database.
     */
    private void mirrorAfterCommit() {
        try {
            writeMirror();
        } catch (java.io.UncheckedIOException e) {
            org.slf4j.LoggerFactory.getLogger(StoreSettings.class).warn("the change is saved; {} (the copy of the settings that "
                    + "reconstruct --mboxlist restores is out of date until the next change)", e.getMessage());
        }
    }

    /** True when the mirror exists. */
    public boolean hasMirror() {
        return root != null && java.nio.file.Files.isRegularFile(root.resolve(MIRROR));
    }

    /**
     * The values the mirror holds: each line {@code key = value} whose key is a setting and whose value is valid;
     * the others are skipped (named in {@code skipped}).
     */
    public Map<Setting, String> readMirror(java.util.List<String> skipped) throws java.io.IOException {
        Map<Setting, String> out = new EnumMap<>(Setting.class);
        if (!hasMirror()) {
            return out;
        }
        for (String line : java.nio.file.Files.readAllLines(root.resolve(MIRROR), java.nio.charset.StandardCharsets.UTF_8)) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            if (eq < 0) {
                skipped.add(l);
                continue;
            }
            try {
                Setting s = Setting.byKey(l.substring(0, eq).strip());
                out.put(s, s.validate(l.substring(eq + 1).strip()));
            } catch (RuntimeException e) {
                skipped.add(l);
            }
        }
        return out;
    }

    @Override
    public void onChange(Runnable r) {
        this.onChange = r == null ? () -> { } : r;
    }

    /** Current values of all settings (defaults filled in), in definition order. */
    @Override
    public Map<Setting, String> all() {
        Map<String, String> stored = db.read(c -> {
            Map<String, String> m = new LinkedHashMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT name, setting_value FROM setting"); ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    m.put(rs.getString(1), rs.getString(2));
                }
            }
            return m;
        });
        Map<Setting, String> out = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            out.put(s, stored.getOrDefault(s.key(), s.defaultValue()));
        }
        return out;
    }

    /** Settings whose value was set explicitly (stored), even if equal to the default. */
    @Override
    public Map<Setting, String> explicit() {
        return db.read(c -> {
            Map<Setting, String> m = new EnumMap<>(Setting.class);
            try (PreparedStatement p = c.prepareStatement("SELECT name, setting_value FROM setting"); ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    try {
                        m.put(Setting.byKey(rs.getString(1)), rs.getString(2));
                    } catch (InvalidSettingException ignored) {
                        // a setting a newer release wrote; not ours to interpret
                    }
                }
            }
            return m;
        });
    }

    public String get(Setting s) {
        return all().get(s);
    }

    /** A typed view of all values at one moment: what a task re-checks against. */
    @Override
    public SettingsSnapshot snapshot() {
        Map<Setting, String> v = all();
        return new SettingsSnapshot(Long.parseLong(v.get(Setting.CLEANUP_SIZE)),
                Setting.Durations.parse(v.get(Setting.CLEANUP_AGE)),
                Long.parseLong(v.get(Setting.PURGE_COUNT)),
                Double.parseDouble(v.get(Setting.PURGE_PERCENTAGE)),
                Boolean.parseBoolean(v.get(Setting.PURGE_ENABLE)),
                PurgeWindow.parse(v.get(Setting.PURGE_WINDOW)),
                Boolean.parseBoolean(v.get(Setting.PURGE_EXIT_WHEN_EMPTY)),
                Setting.Actions.parse(v.get(Setting.PURGE_PAUSED)));
    }

    /** Validates and saves one value; returns its canonical form. Nothing is saved if it is refused. */
    public String set(Setting s, String value) {
        return setAll(Map.of(s, value)).get(s);
    }

    /**
     * Validates every value first, then saves them all in one transaction: one bad value saves nothing.
     * Returns the canonical values saved.
     */
    @Override
    public Map<Setting, String> setAll(Map<Setting, String> values) {
        Map<Setting, String> canonical = new EnumMap<>(Setting.class);
        for (Map.Entry<Setting, String> e : values.entrySet()) {
            canonical.put(e.getKey(), e.getKey().validate(e.getValue()));
        }
        long now = clock.millis();
        db.inTransaction(c -> {
            ChangeLog.Pending changes = new ChangeLog.Pending();
            for (Map.Entry<Setting, String> e : canonical.entrySet()) {
                try (PreparedStatement p = c.prepareStatement("MERGE INTO setting(name, setting_value, updated_at) KEY(name) VALUES (?, ?, ?)")) {
                    p.setString(1, e.getKey().key());
                    p.setString(2, e.getValue());
                    p.setLong(3, now);
                    p.executeUpdate();
                }
                changes.setting(e.getKey().key());
            }
            ChangeLog.write(c, changes, now);
            return null;
        });
        mirrorAfterCommit();
        onChange.run();
        return canonical;
    }

    /** Returns settings to their defaults (removes the stored values). */
    @Override
    public void reset(Iterable<Setting> settings) {
        long now = clock.millis();
        db.inTransaction(c -> {
            ChangeLog.Pending changes = new ChangeLog.Pending();
            for (Setting s : settings) {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM setting WHERE name = ?")) {
                    p.setString(1, s.key());
                    p.executeUpdate();
                }
                changes.setting(s.key());
            }
            ChangeLog.write(c, changes, now);
            return null;
        });
        mirrorAfterCommit();
        onChange.run();
    }
}
