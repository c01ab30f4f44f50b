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
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.h2.api.ErrorCode;
import org.mstore.fs.OwnerOnly;

/**
 * The store's H2 database under {@code <store>/mboxlist/}: the mailbox list, the maintenance queues, their history
 * and the settings.
 *
 * <p>Several processes use one store at once (the console, a CLI command beside it, impurge). The process that
 * holds the OS lock on {@code mboxlist/owner.lck} owns the database: it opens the file embedded and serves it to the
 * others over a TCP server on 127.0.0.1 only, under a random key, recorded with the port in {@code mboxlist/server}
 * (see {@link DatabaseOwner}). The others connect there. When the owner exits or dies, their connections break;
 * they take the lock (the OS frees it with its holder) and one of them becomes the owner, at once: no lock-file
 * heuristics, no sleeps. A unit of work ({@link #read}, {@link #inTransaction}) whose connection broke before
 * anything of it could have been committed is run again on a new connection; a break while committing is reported.
 *
 * <p>Only the store's owner can use the database: the passwords of its users derive from the owner-only
 * {@code mboxlist/secret} ({@link StoreSecret}); the program works as a user that has data rights only, so no
 * client can make it run code; the schema belongs to an admin user that runs the migrations. A store of the
 * previous release (an empty password, files readable by all) is upgraded by its first owner.
 *
 * <p>The schema is versioned: {@code schema_version} holds the migrations applied. The owner applies the missing
 * {@link #MIGRATIONS} in order as the admin user before it serves anyone ({@link #applyMigrations}); the application
 * user's rights cover the tables they add.
 */
public final class Database implements AutoCloseable {
    static {
        Loopback.bind(); // before any H2 class loads
    }

    public static final String DIR = "mboxlist";
    public static final String NAME = "mstore";
    /**
     * Migration scripts, in order; each one's version is the number in its name ({@code V3__...} is 3). A migration is
     * applied when its version is not yet recorded, so that migrations written on different branches apply whichever
     * order they arrive in; the schema version is the highest applied.
     */
    static final List<String> MIGRATIONS = List.of("db/V1__schema.sql", "db/V2__queue_lanes.sql", "db/V3__sessions.sql",
            "db/V4__lanes_per_action.sql", "db/V5__uidvalidity_counter.sql", "db/V6__entry_reasons.sql");
    static final int LOCK_TIMEOUT_MS = 10_000;
    /** How long a process waits for the database to be served (the owner starting, exiting, upgrading) before it says so. */
    static final java.time.Duration CONNECT_PATIENCE = java.time.Duration.ofSeconds(60);
    /** How many times a unit of work is run when its connection breaks before anything of it was committed. */
    static final int UNIT_ATTEMPTS = 4;
    private static final int MAX_CONNECTIONS = 16;

    private final Path dir;
    private final Path file;
    private final boolean create;
    private final ConnectionPool pool;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object ownership = new Object();
    private volatile DatabaseOwner owner;
    private volatile StoreSecret secret;

    private Database(Path dir, boolean create) {
        this.dir = dir;
        this.file = dir.resolve(NAME);
        this.create = create;
        this.pool = new ConnectionPool(() -> connect(false), MAX_CONNECTIONS);
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
        Path dir = storeRoot.resolve(DIR).toAbsolutePath().normalize();
        if (!create && !exists(storeRoot)) {
            throw new IOException("no mboxlist database in " + storeRoot + " (expected " + dir.resolve(NAME + ".mv.db")
                    + "); create a store with 'init' or rebuild the list with 'reconstruct --mboxlist'");
        }
        Path f = dir.resolve(NAME + ".mv.db");
        if (!create || Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            String damage = damage(f);
            if (damage != null) {
                throw new DatabaseDamagedException("the mboxlist database " + f + " " + damage, null);
            }
        }
        OwnerOnly.createDirectories(dir);
        Database db = new Database(dir, create);
        try {
            db.migrate();
        } catch (SQLException e) {
            db.close();
            IOException schema = schemaRefused(e);
            if (schema != null) {
                throw schema; // found by the owner as it started (a connection carries it as a cause)
            }
            if (corrupted(e) || schemaContradicted(e)) {
                throw new DatabaseDamagedException("the mboxlist database " + f + " is damaged (" + firstLine(e.getMessage()) + ")", e);
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    /** What is wrong with the database file at a glance (null: nothing seen): not a file, or empty. */
    static String damage(Path f) {
        if (!Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return "is not a regular file";
        }
        try {
            if (Files.size(f) == 0) {
                return "is empty (0 bytes)";
            }
        } catch (IOException e) {
            return "cannot be read (" + e.getMessage() + ")";
        }
        return null;
    }

    /** H2's ways of saying a database file is not one it can read. */
    static boolean corrupted(SQLException e) {
        if (writeRefused(e) != null) {
            return false; // the file system refused a write: the file is as it was
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && (s.getErrorCode() == org.h2.api.ErrorCode.FILE_CORRUPTED_1
                    || s.getErrorCode() == org.h2.api.ErrorCode.FILE_VERSION_ERROR_1
                    || s.getErrorCode() == org.h2.api.ErrorCode.FILE_NOT_FOUND_1)) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("File corrupted") || m.contains("MVStoreException"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why the file system refused to write the database (a full disk, a quota), when that is what {@code e} comes from:
     * H2's "Writing to ... failed" with the operating system's reason; null otherwise. The database is not damaged by
     * it: H2 writes a commit's pages to space no committed page uses, and the commit fails as a whole.
     */
    public static String writeRefused(Throwable e) {
        boolean refused = false;
        String reason = null;
        java.util.Deque<Throwable> todo = new java.util.ArrayDeque<>(List.of(e));
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        while (!todo.isEmpty() && seen.size() < 50) {
            Throwable t = todo.pop();
            if (!seen.add(t)) {
                continue;
            }
            if (t instanceof org.h2.mvstore.MVStoreException m && m.getErrorCode() == org.h2.mvstore.DataUtils.ERROR_WRITING_FAILED) {
                refused = true;
            } else if (t.getMessage() != null && WRITE_FAILED.matcher(t.getMessage()).find()) {
                refused = true; // H2 passed it on as text only (a batch's "General error")
            } else if (t instanceof IOException && t.getMessage() != null) {
                reason = t.getMessage();
            }
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
            if (t instanceof SQLException s && s.getNextException() != null) {
                todo.add(s.getNextException());
            }
        }
        return !refused ? null : reason != null ? reason : "the file system refused to write it (is the disk full?)";
    }

    /** H2's words for a write that failed ({@code DataUtils.ERROR_WRITING_FAILED}, code 2). */
    private static final java.util.regex.Pattern WRITE_FAILED = java.util.regex.Pattern.compile("MVStoreException: Writing to .* failed.*/2\\]");

    /** The schema contradicts the versions recorded in it (H2 fell back to an older state of a truncated file). */
    static boolean schemaContradicted(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && (s.getErrorCode() == org.h2.api.ErrorCode.DUPLICATE_COLUMN_NAME_1
                    || s.getErrorCode() == org.h2.api.ErrorCode.TABLE_OR_VIEW_ALREADY_EXISTS_1
                    || s.getErrorCode() == org.h2.api.ErrorCode.COLUMN_NOT_FOUND_1
                    || s.getErrorCode() == org.h2.api.ErrorCode.TABLE_OR_VIEW_NOT_FOUND_1
                    || s.getErrorCode() == org.h2.api.ErrorCode.TABLE_OR_VIEW_NOT_FOUND_DATABASE_EMPTY_1
                    || s.getErrorCode() == org.h2.api.ErrorCode.INDEX_ALREADY_EXISTS_1
                    || s.getErrorCode() == org.h2.api.ErrorCode.CONSTRAINT_NOT_FOUND_1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Moves a damaged database file (and H2's files beside it) into {@code mboxlist/damaged-STAMP/}, kept for
     * inspection; returns that directory, or null when there was no database file.
     */
    public static Path setAside(Path storeRoot, String stamp) throws IOException {
        Path dir = storeRoot.resolve(DIR);
        Path f = dir.resolve(NAME + ".mv.db");
        if (!Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Path aside = OwnerOnly.createDirectories(dir.resolve("damaged-" + stamp));
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith(NAME + ".") || n.equals("server")) {
                    Files.move(p, aside.resolve(n));
                }
            }
        }
        OwnerOnly.forceDirectory(dir);
        return aside;
    }

    public Path file() {
        return file;
    }

    /**
     * A connection from the pool, as the application user; closing it gives it back. Work done through
     * {@link #read} or {@link #inTransaction} is run again when the connection breaks under it; work done on a
     * connection taken here is not.
     */
    public Connection connection() throws SQLException {
        if (closed.get()) {
            throw ConnectionPool.closedException();
        }
        return pool.lease().connection();
    }

    /** True when this process serves the database to the store's other processes. */
    public boolean servesOthers() {
        return owner != null;
    }

    /**
     * A new physical connection, as the application user or the admin: embedded if this process owns the database
     * or can become its owner now, else over TCP to the owner named in {@code mboxlist/server}. While neither works
     * (the owner is starting, exiting, or upgrading the store) it tries again, for {@link #CONNECT_PATIENCE}.
     */
    private Connection connect(boolean admin) throws SQLException {
        long deadline = System.nanoTime() + CONNECT_PATIENCE.toNanos();
        SQLException last = null;
        DatabaseOwner.ServerRecord refusedBy = null;
        int refusals = 0;
        for (int attempt = 1; ; attempt++) {
            if (closed.get()) {
                throw ConnectionPool.closedException();
            }
            try {
                DatabaseOwner o = ownerIfFree();
                if (o != null) {
                    StoreSecret s = o.secret();
                    return o.connect(admin ? StoreSecret.ADMIN_USER : StoreSecret.APP_USER, admin ? s.adminPassword() : s.appPassword());
                }
                Optional<StoreSecret> s = clientSecret();
                Optional<DatabaseOwner.ServerRecord> r = DatabaseOwner.ServerRecord.read(dir);
                if (s.isPresent() && r.isPresent()) {
                    try {
                        return tcp(r.get(), admin, s.get());
                    } catch (SQLException e) {
                        if (e.getErrorCode() == ErrorCode.WRONG_USER_OR_PASSWORD) {
                            // a stale record (a new owner has another key) or credentials the owner refuses: the latter
                            // only if it goes on with the same record
                            refusals = r.get().equals(refusedBy) ? refusals + 1 : 1;
                            refusedBy = r.get();
                            if (refusals >= 3) {
                                throw new SQLException("the process serving the mboxlist database (pid " + r.get().pid()
                                        + ") refuses the credentials derived from " + dir.resolve(StoreSecret.FILE), e);
                            }
                        } else if (!ConnectionPool.broken(e)) {
                            throw e;
                        }
                        last = e;
                    }
                }
            } catch (SQLException e) {
                // the database file locked by a process that does not take owner.lck (an mstore of the previous release)
                if (e.getErrorCode() != ErrorCode.DATABASE_ALREADY_OPEN_1) {
                    throw e;
                }
                last = e;
            } catch (java.nio.file.AccessDeniedException e) {
                throw new SQLException("permission denied: " + e.getFile() + " (only the store's owner can use its database)", e);
            } catch (IOException e) {
                throw new SQLException(e.getMessage(), e);
            }
            if (System.nanoTime() > deadline) {
                throw new SQLException("no process serves the mboxlist database of " + dir.getParent() + " (waited "
                        + CONNECT_PATIENCE.toSeconds() + " s" + (last == null ? ")" : "; last: " + firstLine(last.getMessage()) + ")"), last);
            }
            try {
                Thread.sleep(Math.min(2L * attempt, 50L) + ThreadLocalRandom.current().nextInt(3));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while connecting to the mboxlist database", e);
            }
        }
    }

    /** This process's ownership of the database: held already, or taken now if no other process holds it; else null. */
    private DatabaseOwner ownerIfFree() throws IOException, SQLException {
        synchronized (ownership) {
            if (owner == null && !closed.get()) {
                owner = DatabaseOwner.tryAcquire(dir, create);
                if (owner != null) {
                    pool.dropIdle(); // connections to the owner that went away
                }
            }
            return owner;
        }
    }

    /** The secret, for a process that connects over TCP; empty while the owner is still making it (an upgrade). */
    private Optional<StoreSecret> clientSecret() throws IOException {
        StoreSecret s = secret;
        if (s == null) {
            Optional<StoreSecret> read = StoreSecret.read(dir.resolve(StoreSecret.FILE));
            if (read.isEmpty()) {
                return read;
            }
            s = read.get();
            secret = s;
        }
        return Optional.of(s);
    }

    private static Connection tcp(DatabaseOwner.ServerRecord r, boolean admin, StoreSecret s) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", admin ? StoreSecret.ADMIN_USER : StoreSecret.APP_USER);
        p.setProperty("password", admin ? s.adminPassword() : s.appPassword());
        Connection c = org.h2.Driver.load().connect(r.url(), p);
        warmUpLater();
        return c;
    }

    private static final AtomicBoolean WARM = new AtomicBoolean();
    /** How long a process that connects over TCP waits before it warms up H2's engine (short commands never do). */
    private static final long WARM_UP_DELAY_MS = 1_500;

    /**
     * A process that uses the database over TCP may have to take it over, and then loads and compiles H2's engine,
     * which is most of the time a hand-over takes. A process that lives long enough (the console, impurge, not a
     * short command) does that once beforehand, in the background, on an in-memory database of its own.
     */
    private static void warmUpLater() {
        if (!WARM.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(WARM_UP_DELAY_MS);
                Properties p = new Properties();
                p.setProperty("user", "warm");
                p.setProperty("password", "");
                try (Connection c = org.h2.Driver.load().connect("jdbc:h2:mem:", p); Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE w(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name VARCHAR(64) UNIQUE, v VARCHAR(64))");
                    c.setAutoCommit(false);
                    for (int i = 0; i < 200; i++) {
                        try (PreparedStatement m = c.prepareStatement("MERGE INTO w(name, v) KEY(name) VALUES (?, ?)")) {
                            m.setString(1, "n" + (i % 10));
                            m.setString(2, Integer.toString(i));
                            m.executeUpdate();
                        }
                        c.commit();
                        try (ResultSet rs = st.executeQuery("SELECT v FROM w WHERE name = 'n1'")) {
                            rs.next();
                        }
                    }
                }
            } catch (InterruptedException | SQLException | RuntimeException e) {
                // only a warm-up
            }
        }, "mstore-database-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Work done in one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in autocommit mode. If the connection breaks before a statement that may write was run, the
     * work is run again on a new connection (so it must do nothing but database work); a break after one is reported.
     */
    public <T> T read(Work<T> work) {
        try {
            return unit(work, Unit.READ);
        } catch (SQLException e) {
            throw new StoreDatabaseException(e);
        }
    }

    /**
     * Runs {@code work}, which only reads, in one transaction at H2's {@code SNAPSHOT} isolation: every statement sees the
     * database as one moment left it, across tables (under the default, each statement sees what was committed when it
     * ran). Run again on a new connection if the connection breaks, like {@link #read}.
     */
    public <T> T snapshot(Work<T> work) {
        return read(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SNAPSHOT");
            }
            try {
                c.setAutoCommit(false);
                try {
                    return work.run(c);
                } finally {
                    c.rollback(); // read only: nothing to keep, and the snapshot ends here
                    c.setAutoCommit(true);
                }
            } finally {
                try (Statement s = c.createStatement()) {
                    s.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED");
                }
            }
        });
    }

    /**
     * Runs {@code work} in one transaction: all of it is committed, or none. If the connection breaks before commit
     * is called, the transaction is lost with it and the work is run again on a new connection (so it must do
     * nothing but database work); a break during commit is reported, never run again: the change may or may not
     * have been saved.
     */
    public <T> T inTransaction(Work<T> work) {
        try {
            return unit(work, Unit.TRANSACTION);
        } catch (SQLException e) {
            throw new StoreDatabaseException(e);
        }
    }

    /**
     * Runs {@code work} in autocommit mode and runs it again, on a new connection, whenever the connection breaks under
     * it, even after it wrote: for work whose second run finds what its first left and does the same (deleting what
     * is older than a cutoff, putting a row that may be there already), so that a break while its change was being
     * saved needs no one's judgement.
     */
    public <T> T idempotent(Work<T> work) {
        try {
            return unit(work, Unit.IDEMPOTENT);
        } catch (SQLException e) {
            throw new StoreDatabaseException(e);
        }
    }

    /** How a unit of work is run, and whether it may be run again after its connection broke. */
    private enum Unit {
        /** autocommit; again only if nothing it ran may have been saved */
        READ,
        /** one transaction; again only if commit was not called */
        TRANSACTION,
        /** autocommit; again whatever it ran */
        IDEMPOTENT
    }

    /**
     * Runs {@code work} on a connection of the database's administrator (schema changes), closed after it. Only for
     * the store's own migrations and tools its owner runs (a benchmark's scratch table, a test's damage); everything
     * else works as the application user, which cannot change the schema or define functions.
     */
    public <T> T administer(Work<T> work) {
        try (Connection c = connect(true)) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreDatabaseException(e);
        }
    }

    private <T> T unit(Work<T> work, Unit mode) throws SQLException {
        boolean transaction = mode == Unit.TRANSACTION;
        for (int attempt = 1; ; attempt++) {
            if (closed.get()) {
                throw ConnectionPool.closedException();
            }
            ConnectionPool.Lease lease = pool.lease();
            DatabaseOwner o = owner;
            if (o != null) {
                o.enter();
            }
            try {
                Connection c = lease.connection();
                if (transaction) {
                    c.setAutoCommit(false);
                }
                T result = work.run(c);
                if (transaction) {
                    if (lease.broken()) {
                        // closed under the work (the server went away after its last statement): the commit would not
                        // even be sent, and the transaction is lost with the session
                        throw new SQLException("the connection to the mboxlist database closed before commit", "08003",
                                ErrorCode.CONNECTION_BROKEN_1);
                    }
                    try {
                        c.commit();
                    } catch (SQLException e) {
                        // answered with an error (not cut off): the commit did not happen
                        lease.commitAnswered = !ConnectionPool.cutOff(e);
                        throw e;
                    }
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                if (!lease.broken() && !(e instanceof SQLException && ConnectionPool.broken(e)) && lease.alive()) {
                    throw e; // the work's own failure; release() below rolls back what it left open
                }
                lease.discard();
                if (mode != Unit.IDEMPOTENT && ((lease.commitCalled && !lease.commitAnswered) || lease.wroteInAutoCommit)) {
                    throw new SQLException("the connection broke while " + (lease.commitCalled ? "committing" : "a change was being saved")
                            + ": the change may or may not have been saved (" + firstLine(e.getMessage()) + ")", "08007",
                            ErrorCode.CONNECTION_BROKEN_1, e);
                }
                if (attempt >= UNIT_ATTEMPTS || closed.get()) {
                    throw e;
                }
            } finally {
                lease.release();
                if (o != null) {
                    o.leave();
                }
            }
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

    /**
     * Checks that the schema is the one this program knows. The owner brought it up to date before it served anyone
     * ({@link #applyMigrations}, run by {@link DatabaseOwner} before its server starts), so a process that connects
     * never sees a schema halfway through a migration. A schema older than this program's can then only be served by
     * a process of an older release: this one does not change the schema under it, and says so.
     */
    private void migrate() throws SQLException, IOException {
        // the owner (this process, once a connection is made) brought the schema up to date as it started: no check
        java.util.Set<Integer> applied = unit(c -> servesOthers() ? null : appliedVersions(c), Unit.READ);
        if (applied == null) {
            return;
        }
        int known = MIGRATIONS.stream().mapToInt(Database::versionOf).max().orElse(0);
        int version = applied.stream().mapToInt(Integer::intValue).max().orElse(0);
        if (version > known) {
            throw newer(version, known);
        }
        if (MIGRATIONS.stream().allMatch(m -> applied.contains(versionOf(m)))) {
            return;
        }
        long pid = DatabaseOwner.ServerRecord.read(dir).map(DatabaseOwner.ServerRecord::pid).orElse(-1L);
        throw new IOException("the mboxlist database is served by " + (pid > 0 ? "process " + pid : "another process")
                + ", which runs an older mstore (schema version " + version + "; this one needs " + known
                + "): stop it, and the first mstore of this release to open the store brings the schema up to date");
    }

    /**
     * Brings the schema up to date on {@code admin} (the owner's own connection, before it serves anyone): applies
     * each migration whose version is not recorded, statements first, then its version and the application user's
     * grant in one commit. H2 commits each DDL statement on its own, so a crash can leave a migration half applied and
     * not recorded; every statement of every migration can run again, and the next owner runs it again whole.
     * {@code create}: a new database, which has no schema yet (otherwise a database without one is damaged).
     */
    static void applyMigrations(Connection admin, boolean create, Path file) throws SQLException, IOException {
        applyMigrations(admin, create, file, MIGRATIONS);
    }

    /** A migration statement that adds columns in one go: {@code ALTER TABLE t ADD (a ..., b ...)}. */
    private static final java.util.regex.Pattern ADDS_COLUMNS = java.util.regex.Pattern.compile("(?is)^\\s*ALTER\\s+TABLE\\s+\\w+\\s+ADD\\s*\\(");

    /** {@link #applyMigrations(Connection, boolean, Path)} with the first of {@link #MIGRATIONS} only (tests build old stores). */
    static void applyMigrations(Connection admin, boolean create, Path file, List<String> migrations) throws SQLException, IOException {
        java.util.Set<Integer> now = appliedVersions(admin);
        if (now.isEmpty() && !create) {
            throw new DatabaseDamagedException("the mboxlist database " + file + ".mv.db holds no mailbox list (no schema)", null);
        }
        int known = MIGRATIONS.stream().mapToInt(Database::versionOf).max().orElse(0);
        int version = now.stream().mapToInt(Integer::intValue).max().orElse(0);
        if (version > known) {
            throw newer(version, known);
        }
        for (String migration : migrations) {
            int v = versionOf(migration);
            if (now.contains(v)) {
                continue;
            }
            boolean auto = admin.getAutoCommit();
            admin.setAutoCommit(false);
            try (Statement s = admin.createStatement()) {
                for (String stmt : statements(migration)) {
                    try {
                        s.execute(stmt);
                    } catch (SQLException e) {
                        // columns added in one statement (all or nothing) by a run of this migration that a crash cut short
                        if (!(e.getErrorCode() == org.h2.api.ErrorCode.DUPLICATE_COLUMN_NAME_1 && ADDS_COLUMNS.matcher(stmt).find())) {
                            throw e;
                        }
                    }
                }
                try (PreparedStatement p = admin.prepareStatement("INSERT INTO schema_version(version, applied_at) VALUES (?, ?)")) {
                    p.setInt(1, v);
                    p.setLong(2, System.currentTimeMillis());
                    p.executeUpdate();
                }
                DatabaseOwner.grantApp(s);
                admin.commit();
            } catch (SQLException e) {
                admin.rollback();
                throw e;
            } finally {
                admin.setAutoCommit(auto);
            }
        }
    }

    /** A schema newer than this program knows. */
    private static final class NewerSchemaException extends IOException {
        NewerSchemaException(String message) {
            super(message);
        }
    }

    /** Why the owner refused the schema (damaged: none at all; or newer than this program), when that is the cause. */
    private static IOException schemaRefused(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DatabaseDamagedException || t instanceof NewerSchemaException) {
                return (IOException) t;
            }
        }
        return null;
    }

    private static IOException newer(int version, int known) {
        return new NewerSchemaException("the mboxlist database has schema version " + version + ", newer than this program knows ("
                + known + "); use a newer mstore");
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

    static List<String> statements(String resource) throws IOException {
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

    /**
     * Closes this handle: its connections, and, if it was the last one of this process on the store and this process
     * owns the database, the server (the other processes then take over), H2 and the lock. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        pool.close();
        DatabaseOwner o;
        synchronized (ownership) {
            o = owner;
            owner = null;
        }
        if (o != null) {
            o.release();
        }
    }
}
