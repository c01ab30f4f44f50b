package org.mstore.queue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.db.Database;
import org.mstore.testing.SettableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/** Schema version 2 (lanes, parked entries, the change log in commit order) keeps the entries of a store made before it. */
class QueueMigrationTest {
    static {
        try {
            // Database binds H2's server to 127.0.0.1 as it loads; this test uses H2 first, so Database loads before it
            Class.forName(Database.class.getName(), true, QueueMigrationTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @TempDir
    Path tmp;

    /** A store's database as version 1 left it, with entries in every state version 1 knew. */
    private Path versionOneStore(long now) throws Exception {
        Path root = tmp.resolve("store");
        Files.createDirectories(root.resolve(Database.DIR));
        String url = "jdbc:h2:file:" + root.resolve(Database.DIR).resolve(Database.NAME).toAbsolutePath() + ";AUTO_SERVER=TRUE";
        try (Connection c = DriverManager.getConnection(url, "mstore", ""); Statement s = c.createStatement()) {
            String sql;
            try (InputStream in = Database.class.getClassLoader().getResourceAsStream("db/V1__schema.sql")) {
                sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            StringBuilder cur = new StringBuilder();
            for (String line : sql.split("\n")) {
                if (line.strip().startsWith("--")) {
                    continue;
                }
                cur.append(line).append('\n');
                if (line.strip().endsWith(";")) {
                    s.execute(cur.substring(0, cur.lastIndexOf(";")));
                    cur.setLength(0);
                }
            }
            s.execute("INSERT INTO schema_version VALUES (1, " + now + ")");
            long hourAgo = now - Duration.ofHours(1).toMillis();
            s.execute("INSERT INTO maintenance_queue(queue_name, mailbox, action, ts, forced) VALUES "
                    + "('cleanup', 'user/a', 'Clean', " + now + ", FALSE), "
                    + "('removal', 'user/b', 'Remove', " + hourAgo + ", FALSE), "
                    + "('removal', 'user/c', 'Remove', " + now + ", TRUE), "
                    + "('cleanup', 'user/e', 'Purge', " + now + ", FALSE), "
                    + "('repair', 'user/f', 'Repair', " + now + ", FALSE)");
            s.execute("UPDATE maintenance_queue SET picked_by = 'impurge[42]', picked_at = " + now + " WHERE mailbox = 'user/f'");
            s.execute("UPDATE maintenance_queue SET attempts = 2, last_error = 'disk full', not_before = " + (now + 60_000)
                    + " WHERE mailbox = 'user/e'");
            s.execute("INSERT INTO queue_history(recno, mailbox, action, ts, forced, outcome, done_at) VALUES "
                    + "(100, 'user/z', 'Clean', " + now + ", FALSE, 'DONE', " + now + ")");
            s.execute("INSERT INTO change_log(kind, subject, changed_at) VALUES ('mailbox', 'user/a', " + now + ")");
        }
        return root;
    }

    @Test
    void the_v2_migration_keeps_the_entries_of_an_existing_store() throws Exception {
        SettableClock clock = SettableClock.fixed();
        long now = clock.millis();
        Path root = versionOneStore(now);
        try (Database db = Database.open(root, false)) {
            assertThat(db.schemaVersion()).isEqualTo(6);
            MaintenanceQueue q = new MaintenanceQueue(db, clock);
            List<QueueEntry> all = q.page(new QueueQuery(null, "", QueueQuery.Sort.RECNO, true, java.util.EnumSet.allOf(QueueEntry.State.class)),
                    0, 100);
            assertThat(all).extracting(QueueEntry::mailbox, QueueEntry::action, QueueEntry::state, QueueEntry::attempts)
                    .containsExactly(tuple("user/a", Action.CLEAN, QueueEntry.State.WAITING, 0),
                            tuple("user/b", Action.REMOVE, QueueEntry.State.WAITING, 0),
                            tuple("user/c", Action.REMOVE, QueueEntry.State.WAITING, 0),
                            tuple("user/e", Action.PURGE, QueueEntry.State.WAITING, 2),
                            tuple("user/f", Action.REPAIR, QueueEntry.State.RUNNING, 0));
            assertThat(q.historyAfter(0, 10)).extracting(h -> h.entry().recno()).containsExactly(100L);
            // the claim of a stopped impurge is void once the next one takes the lock; then the lanes give the order
            assertThat(q.resetClaims()).isEqualTo(1);
            List<QueueEntry> picked = q.claimDue(now, Duration.ofHours(1).toMillis(), "impurge[1]", 10);
            assertThat(picked).extracting(QueueEntry::mailbox).containsExactly("user/f", "user/a", "user/b", "user/c");
            clock.advance(Duration.ofMinutes(1)); // the Purge's back-off, carried over, has passed
            assertThat(q.claimDue(clock.millis(), Duration.ofHours(1).toMillis(), "impurge[1]", 10)).extracting(QueueEntry::mailbox)
                    .containsExactly("user/e");
            // and (mailbox, action) is unique among waiting entries only
            assertThat(q.enqueue("user/f", Action.REPAIR, clock.millis(), false).added()).isTrue();
            assertThat(q.enqueue("user/f", Action.REPAIR, clock.millis(), false).added()).isFalse();
        }
    }
}
