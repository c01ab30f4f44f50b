package org.mstore.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mstore.engine.Engine;
import org.mstore.testing.SettableClock;
import org.mstore.testing.TestStore;

/**
 * The database's application user (data rights only) is checked at every open and put right when it is not as the
 * owner set it up; opening does not re-run its set-up when it is.
 */
class AppUserTest {
    @TempDir
    Path tmp;

    private static Connection admin(Path root) throws Exception {
        Path dir = root.resolve(Database.DIR);
        StoreSecret s = StoreSecret.read(dir.resolve(StoreSecret.FILE)).orElseThrow();
        return DriverManager.getConnection("jdbc:h2:file:" + dir.resolve(Database.NAME) + ";FILE_LOCK=FS;IFEXISTS=TRUE",
                StoreSecret.ADMIN_USER, s.adminPassword());
    }

    private static boolean appLogsIn(Path root) throws Exception {
        Path dir = root.resolve(Database.DIR);
        StoreSecret s = StoreSecret.read(dir.resolve(StoreSecret.FILE)).orElseThrow();
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve(Database.NAME) + ";FILE_LOCK=FS;IFEXISTS=TRUE",
                StoreSecret.APP_USER, s.appPassword())) {
            return true;
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ALTER USER MSTORE_APP ADMIN TRUE", "ALTER USER MSTORE_APP SET PASSWORD 'guess'",
            "REVOKE SELECT, INSERT, UPDATE, DELETE ON SCHEMA PUBLIC FROM MSTORE_APP", "DROP USER MSTORE_APP"})
    void the_application_user_is_put_right_at_open_when_it_was_changed(String change) throws Exception {
        Path root;
        try (TestStore s = TestStore.create(tmp)) {
            s.mailbox("user/alice");
            root = s.root;
        }
        try (Connection c = admin(root); Statement st = c.createStatement()) {
            st.execute(change);
            st.execute("SHUTDOWN");
        }
        try (Engine e = Engine.open(root, TestStore.options(SettableClock.fixed()))) {
            assertThat(e.mailboxes().list()).extracting(m -> m.name()).contains("user/alice");
        }
        assertThat(appLogsIn(root)).as("the application user logs in with its derived password").isTrue();
        try (Connection c = admin(root); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT IS_ADMIN FROM INFORMATION_SCHEMA.USERS WHERE USER_NAME = 'MSTORE_APP'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).as("admin").isFalse();
            try (ResultSet r = st.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.RIGHTS WHERE GRANTEE = 'MSTORE_APP'"
                    + " AND TABLE_SCHEMA = 'PUBLIC'")) {
                r.next();
                assertThat(r.getInt(1)).as("rights on the schema").isEqualTo(1);
            }
            st.execute("SHUTDOWN");
        }
    }
}
