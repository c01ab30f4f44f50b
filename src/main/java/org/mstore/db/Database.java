package org.mstore.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.h2.jdbcx.JdbcConnectionPool;

/**
 * The store's embedded H2 database under {@code <store>/mboxlist/}: the mailbox list, the maintenance
 * queues, their history and the settings.
 *
 * <p>Opened in H2's automatic mixed mode ({@code AUTO_SERVER=TRUE}): the first process to open the file
 * serves it over a loopback port that it records in the lock file; every later process (a CLI beside the
 * console, a second impurge) connects to that server, and takes over when the first one exits. So a command
 * works while another process has the store open.
 *
 * <p>The schema is versioned: {@code schema_version} holds the last migration applied, and
 * {@link #MIGRATIONS} are applied in order on open, each in its own transaction.
 */
public final class Database implements AutoCloseable {
    public static final String DIR = "mboxlist";
    public static final String NAME = "mstore";
    /**
     * Migration scripts, in order; each one's version is the number in its name ({@code V3__...} is 3). A migration is
     * applied when its version is not yet recorded, so that migrations written on different branches apply whichever
     * order they arrive in; the schema version is the highest applied.
     */
    static final List<String> MIGRATIONS = List.of("db/V1__schema.sql", "db/V3__sessions.sql");

    private final Path file;
    private final JdbcConnectionPool pool;

    private Database(Path file, JdbcConnectionPool pool) {
        this.file = file;
        this.pool = pool;
    }

    /** True when {@code storeRoot} holds a database. */
    public static boolean exists(Path storeRoot) {
        return Files.exists(storeRoot.resolve(DIR).resolve(NAME + ".mv.db"));
    }

    /**
     * Opens the database of {@code storeRoot}; creates it only when {@code create}. Migrates the schema
     * forward; refuses a database newer than this program.
     */
    public static Database open(Path storeRoot, boolean create) throws SQLException, IOException {
        Path dir = storeRoot.resolve(DIR);
        if (!create && !exists(storeRoot)) {
            throw new IOException("no mboxlist database in " + storeRoot + " (expected " + dir.resolve(NAME + ".mv.db")
                    + "); create a store with 'init' or rebuild the list with 'reconstruct --mboxlist'");
        }
        Files.createDirectories(dir);
        String url = "jdbc:h2:file:" + dir.resolve(NAME).toAbsolutePath()
                + ";AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000" + (create ? "" : ";IFEXISTS=TRUE");
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "mstore", "");
        pool.setMaxConnections(16);
        Database db = new Database(dir.resolve(NAME), pool);
        try {
            db.migrate();
        } catch (SQLException | IOException | RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    public Path file() {
        return file;
    }

    /**
     * A connection from the pool. When several processes open the store at the same moment (two commands
     * started together, or the process serving the database exiting while others use it), H2 refuses the
     * ones that lose the race to become the server; they get a connection a moment later, so such a refusal
     * is retried for a few seconds before it is reported.
     */
    public Connection connection() throws SQLException {
        long deadline = 0;
        for (int attempt = 1; ; attempt++) {
            try {
                return pool.getConnection();
            } catch (SQLException e) {
                long now = System.nanoTime();
                if (attempt == 1) {
                    deadline = now + OPEN_PATIENCE.toNanos();
                }
                if (now >= deadline || !openRace(e)) {
                    throw e;
                }
                try {
                    Thread.sleep(Math.min(50L * attempt, 500L) + java.util.concurrent.ThreadLocalRandom.current().nextInt(50));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** How long a connection refused by {@link #openRace} is retried before the refusal is reported. */
    private static final java.time.Duration OPEN_PATIENCE = java.time.Duration.ofSeconds(10);

    /** H2's refusals while another process is opening, serving or closing the same database file. */
    private static boolean openRace(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                int code = s.getErrorCode();
                // ERROR_OPENING_DATABASE is what H2's lock file reports for a race ("Lock file recently modified",
                // "Another process was faster"); a lasting cause still comes through once OPEN_PATIENCE is spent
                if (code == org.h2.api.ErrorCode.DATABASE_ALREADY_OPEN_1 || code == org.h2.api.ErrorCode.CONNECTION_BROKEN_1
                        || code == org.h2.api.ErrorCode.ERROR_OPENING_DATABASE_1) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Work done in one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in autocommit mode. */
    public <T> T read(Work<T> work) {
        try (Connection c = connection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreDatabaseException(e);
        }
    }

    /** Runs {@code work} in one transaction: all of it is committed, or none. */
    public <T> T inTransaction(Work<T> work) {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreDatabaseException(e);
        }
    }

    public int schemaVersion() {
        return read(Database::currentVersion);
    }

    private static int currentVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'SCHEMA_VERSION'")) {
            rs.next();
            if (rs.getInt(1) == 0) {
                return 0;
            }
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private void migrate() throws SQLException, IOException {
        try (Connection c = connection()) {
            int version = currentVersion(c);
            int known = MIGRATIONS.stream().mapToInt(Database::versionOf).max().orElse(0);
            if (version > known) {
                throw new IOException("the mboxlist database has schema version " + version + ", newer than this program knows ("
                        + known + "); use a newer mstore");
            }
            java.util.Set<Integer> applied = appliedVersions(c);
            for (String migration : MIGRATIONS) {
                int v = versionOf(migration);
                if (applied.contains(v)) {
                    continue;
                }
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    for (String stmt : statements(migration)) {
                        s.execute(stmt);
                    }
                    try (PreparedStatement p = c.prepareStatement("INSERT INTO schema_version(version, applied_at) VALUES (?, ?)")) {
                        p.setInt(1, v);
                        p.setLong(2, System.currentTimeMillis());
                        p.executeUpdate();
                    }
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
            }
        }
    }

    /** The version a migration's file name carries: {@code db/V3__sessions.sql} is 3. */
    static int versionOf(String resource) {
        String name = resource.substring(resource.lastIndexOf('/') + 1);
        return Integer.parseInt(name.substring(1, name.indexOf("__")));
    }

    private static java.util.Set<Integer> appliedVersions(Connection c) throws SQLException {
        java.util.Set<Integer> out = new java.util.HashSet<>();
        if (currentVersion(c) == 0) {
            return out;
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM schema_version")) {
            while (rs.next()) {
                out.add(rs.getInt(1));
            }
        }
        return out;
    }

    private static List<String> statements(String resource) throws IOException {
        try (InputStream in = Database.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing migration " + resource);
            }
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<String> out = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            for (String line : sql.split("\n")) {
                String t = line.strip();
                if (t.startsWith("--") || t.isEmpty()) {
                    continue;
                }
                cur.append(line).append('\n');
                if (t.endsWith(";")) {
                    out.add(cur.substring(0, cur.lastIndexOf(";")));
                    cur.setLength(0);
                }
            }
            if (!cur.toString().isBlank()) {
                out.add(cur.toString());
            }
            return out;
        }
    }

    @Override
    public void close() {
        pool.dispose();
    }
}
