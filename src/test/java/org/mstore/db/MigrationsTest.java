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
            assertThat(applied(db)).containsExactly(1, 2, 3);
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
            assertThat(applied(db)).containsExactly(1, 2, 3);
            assertThat(db.schemaVersion()).isEqualTo(3);
            db.read(c -> {
                try (Statement s = c.createStatement()) {
                    s.executeQuery("SELECT COUNT(*) FROM server_session").close();
                }
                return null;
            });
        }
    }
}
