package org.mstore.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Migrations apply by the number in their name, whichever are missing, so branches that each add one merge cleanly. */
class MigrationsTest {
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
            assertThat(applied(db)).containsExactly(1, 2, 3, 4);
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
            assertThat(applied(db)).containsExactly(1, 2, 3, 4);
            assertThat(db.schemaVersion()).isEqualTo(4);
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
}
