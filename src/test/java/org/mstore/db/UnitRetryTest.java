package org.mstore.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When a unit of work's connection breaks under it (the process serving the database exits), the unit is run again
 * on a new connection only if that cannot save a change twice or lose the knowledge of one. The break is made here
 * by closing the unit's own connection under it, at the moment each rule is about.
 */
class UnitRetryTest {
    static final String WRITE = "DELETE FROM change_log WHERE seq < 0";

    @TempDir
    Path dir;
    Database db;

    @BeforeEach
    void open() throws Exception {
        db = Database.open(dir, true);
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** Closes the connection under the work, as the owner going away does. */
    static void breakUnder(Connection c) throws SQLException {
        c.unwrap(Connection.class).close();
    }

    @Test
    void a_write_that_may_have_been_saved_is_reported_and_not_run_again_when_the_connection_breaks() {
        AtomicInteger runs = new AtomicInteger();
        assertThatThrownBy(() -> db.read(c -> {
            runs.incrementAndGet();
            try (Statement s = c.createStatement()) {
                s.executeUpdate(WRITE);
            }
            breakUnder(c);
            try (Statement s = c.createStatement()) {
                return s.executeQuery("SELECT 1");
            }
        })).isInstanceOf(StoreDatabaseException.class).hasMessageContaining("may or may not have been saved");
        assertThat(runs).as("run once: a second run could save the change twice").hasValue(1);
    }

    @Test
    void a_write_refused_before_it_ran_does_not_keep_the_work_from_running_again() {
        AtomicInteger runs = new AtomicInteger();
        int deleted = db.read(c -> {
            try (PreparedStatement p = c.prepareStatement(WRITE)) {
                if (runs.incrementAndGet() == 1) {
                    breakUnder(c); // the database answers the write with an error: it did not run
                }
                return p.executeUpdate();
            }
        });
        assertThat(deleted).isZero();
        assertThat(runs).as("run again on a new connection, not reported").hasValue(2);
    }

    @Test
    void idempotent_work_is_run_again_when_the_connection_breaks_after_it_wrote() {
        AtomicInteger runs = new AtomicInteger();
        int deleted = db.idempotent(c -> {
            try (Statement s = c.createStatement()) {
                int n = s.executeUpdate(WRITE);
                if (runs.incrementAndGet() == 1) {
                    breakUnder(c);
                    s.executeUpdate(WRITE);
                }
                return n;
            }
        });
        assertThat(deleted).isZero();
        assertThat(runs).as("a delete that can run twice is not reported as a change that may or may not have been saved").hasValue(2);
    }

    @Test
    void a_transaction_whose_connection_breaks_before_commit_is_run_again() {
        AtomicInteger runs = new AtomicInteger();
        db.inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate(WRITE);
                if (runs.incrementAndGet() == 1) {
                    breakUnder(c);
                }
            }
            return null;
        });
        assertThat(runs).as("nothing of the first run was committed").hasValue(2);
    }
}
