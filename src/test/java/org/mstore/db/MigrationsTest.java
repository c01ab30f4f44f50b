package org.mstore.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Migrations apply by the number in their name, whichever are missing, so branches that each add one merge cleanly; the
 * owner applies them before it serves anyone; one cut short by a crash is finished at the next open; and a process of
 * this release never changes a schema that an older release's process is serving.
 */
class MigrationsTest {
    static {
        Loopback.bind(); // these tests use H2 directly: its server must still load bound to 127.0.0.1, as Database does
    }

    @TempDir
    Path dir;

    private static List<Integer> applied(Database db) {
        return db.read(c -> {
            List<Integer> out = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
                while (rs.next()) {
                    out.add(rs.getInt(1));
                }
            }
            return out;
        });
    }

    @Test
    void a_store_that_lacks_a_migration_gets_it_when_opened() throws Exception {
        try (Database db = Database.open(dir, true)) {
            assertThat(applied(db)).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(Database.versionOf("db/V3__sessions.sql")).isEqualTo(3);
            db.administer(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("DROP TABLE server_session");
                    s.execute("DROP TABLE subscription");
                    s.execute("DELETE FROM schema_version WHERE version = 3");
                }
                return null;
            });
        }
        try (Database db = Database.open(dir, false)) {
            assertThat(applied(db)).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(db.schemaVersion()).isEqualTo(6);
            db.read(c -> {
                try (Statement s = c.createStatement()) {
                    s.executeQuery("SELECT COUNT(*) FROM server_session").close();
                }
                return null;
            });
        }
    }

    @Test
    void a_store_of_schema_3_gets_its_purge_and_forced_remove_entries_into_lanes_of_their_own() throws Exception {
        try (Database db = Database.open(dir, true)) {
            db.administer(c -> {
                try (Statement s = c.createStatement()) {
                    // as schema 3 kept them: Clean, Purge and forced entries in lane 1, Removes by timestamp in lane 2
                    s.execute("INSERT INTO maintenance_queue(queue_name, mailbox, action, ts, forced, lane) VALUES "
                            + "('cleanup', 'user/a', 'Clean', 1, FALSE, 1), ('cleanup', 'user/a', 'Purge', 2, FALSE, 1), "
                            + "('removal', 'user/a', 'Remove', 3, TRUE, 1), ('removal', 'user/b', 'Remove', 4, FALSE, 2), "
                            + "('repair', 'user/a', 'Repair', 5, FALSE, 0)");
                    s.execute("DELETE FROM schema_version WHERE version = 4");
                }
                return null;
            });
        }
        try (Database db = Database.open(dir, false)) {
            List<String> lanes = db.read(c -> {
                List<String> out = new ArrayList<>();
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT mailbox, action, lane, pick_key FROM maintenance_queue ORDER BY recno")) {
                    while (rs.next()) {
                        out.add(rs.getString(1) + " " + rs.getString(2) + " lane " + rs.getInt(3) + " key " + rs.getLong(4));
                    }
                }
                return out;
            });
            assertThat(lanes).containsExactly("user/a Clean lane 1 key 1", "user/a Purge lane 4 key 2", "user/a Remove lane 5 key 3",
                    "user/b Remove lane 2 key 4", "user/a Repair lane 0 key 5");
        }
    }

    /**
     * A store of an older schema, as an older release left it: the secret, the admin user, the migrations before
     * {@code version} and the first {@code statements} statements of that one (each DDL statement is committed by
     * itself, as a crash between two would leave them), and queue entries written in the schema of the time.
     */
    private static void oldStore(Path root, int version, int statements) throws Exception {
        Path dir = Files.createDirectories(root.resolve(Database.DIR));
        StoreSecret secret = StoreSecret.create(dir.resolve(StoreSecret.FILE));
        try (Connection c = h2(dir, secret)) {
            DatabaseOwner.ensureAppUser(c, secret);
            Database.applyMigrations(c, true, dir.resolve(Database.NAME), Database.MIGRATIONS.subList(0, version - 1));
            try (Statement st = c.createStatement()) {
                if (version == 2) {
                    st.execute("INSERT INTO maintenance_queue(queue_name, mailbox, action, ts, forced, picked_by, not_before) VALUES "
                            + "('cleanup', 'user/a', 'Clean', 1, FALSE, NULL, NULL), ('cleanup', 'user/a', 'Purge', 2, FALSE, NULL, NULL), "
                            + "('removal', 'user/b', 'Remove', 3, FALSE, NULL, NULL), ('removal', 'user/c', 'Remove', 4, TRUE, NULL, NULL), "
                            + "('repair', 'user/a', 'Repair', 5, FALSE, 'impurge@1', NULL), ('cleanup', 'user/d', 'Clean', 6, FALSE, NULL, 99)");
                } else if (version > 2) {
                    st.execute("INSERT INTO maintenance_queue(queue_name, mailbox, action, ts, forced, lane) VALUES "
                            + "('cleanup', 'user/a', 'Clean', 1, FALSE, 1), ('cleanup', 'user/a', 'Purge', 2, FALSE, 1), "
                            + "('removal', 'user/b', 'Remove', 3, FALSE, 2), ('removal', 'user/c', 'Remove', 4, TRUE, 1), "
                            + "('repair', 'user/a', 'Repair', 5, FALSE, 8), ('cleanup', 'user/d', 'Clean', 6, FALSE, 3)");
                }
                List<String> stmts = Database.statements(Database.MIGRATIONS.get(version - 1));
                for (String stmt : stmts.subList(0, statements)) {
                    st.execute(stmt);
                }
            }
        }
    }

    private static Connection h2(Path dir, StoreSecret secret) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", StoreSecret.ADMIN_USER);
        p.setProperty("password", secret.adminPassword());
        return org.h2.Driver.load().connect("jdbc:h2:file:" + dir.resolve(Database.NAME) + ";FILE_LOCK=FS", p);
    }

    /** The schema as H2 describes it (tables, columns with their types, defaults and expressions, indexes), and the queue's rows. */
    private static List<String> schemaAndQueue(Database db) {
        return db.read(c -> {
            List<String> out = new ArrayList<>();
            try (Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, "
                        + "GENERATION_EXPRESSION, IS_IDENTITY FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'PUBLIC' "
                        + "ORDER BY TABLE_NAME, ORDINAL_POSITION")) {
                    while (rs.next()) {
                        out.add("column " + rs.getString(1) + "." + rs.getString(2) + " #" + rs.getInt(3) + " " + rs.getString(4) + " null "
                                + rs.getString(5) + " default " + rs.getString(6) + " as " + rs.getString(7) + " identity " + rs.getString(8));
                    }
                }
                // generated names (PRIMARY_KEY_..., CONSTRAINT_...) depend on H2's object counter: an index is its table, kind and columns
                try (ResultSet rs = s.executeQuery("SELECT i.TABLE_NAME, i.INDEX_TYPE_NAME, CASE WHEN i.INDEX_NAME LIKE 'PRIMARY_KEY_%' "
                        + "OR i.INDEX_NAME LIKE 'CONSTRAINT_%' THEN '' ELSE i.INDEX_NAME END, "
                        + "LISTAGG(c.COLUMN_NAME, ',') WITHIN GROUP (ORDER BY c.ORDINAL_POSITION) FROM INFORMATION_SCHEMA.INDEXES i "
                        + "JOIN INFORMATION_SCHEMA.INDEX_COLUMNS c ON c.INDEX_SCHEMA = i.INDEX_SCHEMA AND c.INDEX_NAME = i.INDEX_NAME "
                        + "WHERE i.TABLE_SCHEMA = 'PUBLIC' GROUP BY i.TABLE_NAME, i.INDEX_TYPE_NAME, i.INDEX_NAME ORDER BY 1, 2, 3, 4")) {
                    while (rs.next()) {
                        out.add("index " + rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " (" + rs.getString(4) + ")");
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
                    while (rs.next()) {
                        out.add("version " + rs.getInt(1));
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT recno, mailbox, action, lane, pick_key, state FROM maintenance_queue ORDER BY recno")) {
                    while (rs.next()) {
                        out.add("entry " + rs.getLong(1) + " " + rs.getString(2) + " " + rs.getString(3) + " lane " + rs.getInt(4) + " key "
                                + rs.getLong(5) + " " + rs.getString(6));
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT id, last_tx FROM change_counter")) {
                    while (rs.next()) {
                        out.add("counter " + rs.getInt(1) + " " + rs.getLong(2));
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT id, last_issued FROM uidvalidity_counter")) {
                    while (rs.next()) {
                        out.add("uidvalidity " + rs.getInt(1) + " " + rs.getLong(2));
                    }
                }
            }
            return out;
        });
    }

    @Test
    void a_migration_cut_short_after_any_of_its_statements_is_finished_at_the_next_open() throws Exception {
        int cases = 0;
        for (int version = 2; version <= Database.MIGRATIONS.size(); version++) {
            Path whole = dir.resolve("v" + version + "-whole");
            oldStore(whole, version, 0);
            List<String> expected;
            try (Database db = Database.open(whole, false)) {
                expected = schemaAndQueue(db);
            }
            assertThat(expected).as("version " + version).contains("version " + Database.MIGRATIONS.size());
            int n = Database.statements(Database.MIGRATIONS.get(version - 1)).size();
            for (int done = 1; done <= n; done++) {
                Path root = dir.resolve("v" + version + "-cut-after-" + done);
                oldStore(root, version, done);
                try (Database db = Database.open(root, false)) {
                    assertThat(schemaAndQueue(db)).as("version %d cut short after statement %d of %d", version, done, n)
                            .containsExactlyElementsOf(expected);
                }
                cases++;
            }
        }
        assertThat(cases).isGreaterThan(20);
    }

    @Test
    void a_store_of_schema_5_keeps_its_entries_with_no_reason_and_records_one_for_each_entry_queued_after() throws Exception {
        oldStore(dir, 6, 0); // schema version 5, with entries of every lane
        org.mstore.testing.SettableClock clock = org.mstore.testing.SettableClock.fixed();
        try (Database db = Database.open(dir, false)) {
            assertThat(db.schemaVersion()).isEqualTo(6);
            org.mstore.queue.MaintenanceQueue q = new org.mstore.queue.MaintenanceQueue(db, clock);
            List<org.mstore.api.QueueEntry> old = q.page(new org.mstore.api.QueueQuery(null, "", org.mstore.api.QueueQuery.Sort.RECNO, true,
                    java.util.EnumSet.allOf(org.mstore.api.QueueEntry.State.class)), 0, 100);
            assertThat(old).hasSize(6).allSatisfy(e -> {
                assertThat(e.reason()).isNull();
                assertThat(e.queuedBy()).isNull();
                assertThat(e.queuedAt()).isNull();
            });
            assertThat(old).extracting(org.mstore.api.QueueEntry::mailbox).containsExactly("user/a", "user/a", "user/b", "user/c", "user/a", "user/d");
            long recno = q.enqueue("user/e", org.mstore.api.Action.CLEAN, clock.millis(), false, "Expunged 150 > store.cleanupsize 100",
                    "impurge[7]@host").recno();
            assertThat(q.get(recno).orElseThrow()).extracting(org.mstore.api.QueueEntry::reason, org.mstore.api.QueueEntry::queuedBy,
                    org.mstore.api.QueueEntry::queuedAt).containsExactly("Expunged 150 > store.cleanupsize 100", "impurge[7]@host", clock.instant());
        }
    }

    @Test
    void the_uidvalidity_counter_of_an_older_store_starts_above_every_mailbox_it_lists() throws Exception {
        oldStore(dir, 5, 0); // schema version 4, with mailboxes
        try (Connection c = h2(dir.resolve(Database.DIR), StoreSecret.read(dir.resolve(Database.DIR).resolve(StoreSecret.FILE)).orElseThrow());
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO mailbox(name, partition_name, uidvalidity, next_uid, created) VALUES "
                    + "('user/a', 'primary', 1700000000, 1, 0), ('user/b', 'primary', 1700000007, 1, 0), ('user/c', 'primary', 1600000000, 1, 0)");
        }
        try (Database db = Database.open(dir, false)) {
            long last = db.read(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT last_issued FROM uidvalidity_counter WHERE id = 1")) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            assertThat(last).isEqualTo(1700000007L);
        }
    }

    @Test
    void the_owner_brings_the_schema_up_to_date_before_it_serves_another_process() throws Exception {
        oldStore(dir, Database.MIGRATIONS.size(), 0);
        Path mboxlist = dir.resolve(Database.DIR);
        DatabaseOwner owner = DatabaseOwner.tryAcquire(mboxlist, false);
        try {
            DatabaseOwner.ServerRecord served = DatabaseOwner.ServerRecord.read(mboxlist).orElseThrow();
            StoreSecret secret = StoreSecret.read(mboxlist.resolve(StoreSecret.FILE)).orElseThrow();
            Properties p = new Properties();
            p.setProperty("user", StoreSecret.APP_USER);
            p.setProperty("password", secret.appPassword());
            // what another process sees the moment it can connect
            try (Connection c = org.h2.Driver.load().connect(served.url(), p); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(Database.MIGRATIONS.size());
            }
        } finally {
            owner.release();
        }
    }

    @Test
    void a_process_of_this_release_leaves_alone_a_schema_that_an_older_release_serves() throws Exception {
        int older = Database.MIGRATIONS.size() - 1;
        oldStore(dir, older + 1, 0); // every migration but the last
        Path mboxlist = dir.resolve(Database.DIR);
        StoreSecret secret = StoreSecret.read(mboxlist.resolve(StoreSecret.FILE)).orElseThrow();
        // an older release's owner: the lock taken, the database served as it is, the record written
        try (var lock = java.nio.channels.FileChannel.open(mboxlist.resolve(DatabaseOwner.LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); var held = lock.lock()) {
            Properties p = new Properties();
            p.setProperty("user", StoreSecret.ADMIN_USER);
            p.setProperty("password", secret.adminPassword());
            try (Connection keepOpen = org.h2.Driver.load().connect("jdbc:h2:file:" + mboxlist.resolve(Database.NAME)
                    + ";FILE_LOCK=FS;DB_CLOSE_DELAY=-1", p)) {
                String key = StoreSecret.randomHex(32);
                Server server = Server.createTcpServer("-tcpPort", "0", "-ifExists", "-tcpDaemon", "-key", key,
                        mboxlist.resolve(Database.NAME).toString()).start();
                try {
                    Files.write(mboxlist.resolve(DatabaseOwner.SERVER_FILE),
                            new DatabaseOwner.ServerRecord(server.getPort(), key, 4242).bytes());
                    assertThatThrownBy(() -> Database.open(dir, false)).isInstanceOf(java.io.IOException.class)
                            .hasMessage("the mboxlist database is served by process 4242, which runs an older mstore (schema version "
                                    + older + "; this one needs " + Database.MIGRATIONS.size()
                                    + "): stop it, and the first mstore of this release to open the store brings the schema up to date");
                    try (Statement s = keepOpen.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                        rs.next();
                        assertThat(rs.getInt(1)).as("the schema the older release serves").isEqualTo(older);
                    }
                } finally {
                    server.stop();
                }
            }
        }
        try (Database db = Database.open(dir, false)) { // that process gone, the next open brings it up to date
            assertThat(db.schemaVersion()).isEqualTo(Database.MIGRATIONS.size());
        }
    }
}
