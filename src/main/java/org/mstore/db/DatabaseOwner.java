package org.mstore.db;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.h2.api.ErrorCode;
import org.h2.tools.Server;
import org.mstore.fs.OwnerOnly;

/**
 * This JVM's ownership of one store's database. An OS lock on {@code <store>/mboxlist/owner.lck} decides which
 * process owns the database; the OS frees it the moment its holder dies. The owner opens the H2 file embedded
 * ({@code FILE_LOCK=FS}: no lock file, no lock-file heuristics, no sleeps) and serves it to the store's other
 * processes with an H2 TCP server bound to 127.0.0.1 only, on an ephemeral port, serving nothing but this database
 * under a random key, which it writes with the port to {@code mboxlist/server} (owner-only). Every other process
 * reads that file and connects as the store's application user.
 *
 * <p>Within a JVM the owner is shared: each {@link Database} opened on the store takes a reference, and the last
 * one to close it stops the server, shuts H2 down and frees the lock, in that order (so that whoever takes the
 * lock next finds the database file closed). A JVM that exits without closing does the same in a shutdown hook.
 *
 * <p>The owner also upgrades a store of the previous release at its first open: see {@link #upgradeLegacy}.
 */
final class DatabaseOwner {
    static final String LOCK_FILE = "owner.lck";
    static final String SERVER_FILE = "server";
    /** How long the exit hook lets units that are running finish before it shuts the database down. */
    private static final Duration EXIT_GRACE = Duration.ofSeconds(3);
    /** How long the owner lets statements that other processes are running finish when it stops serving. */
    private static final Duration QUIESCE = Duration.ofSeconds(2);
    /** Owners in this JVM, by mboxlist directory (one lock channel per file: closing another would free the lock). */
    private static final Map<Path, DatabaseOwner> HERE = new HashMap<>();

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ReentrantReadWriteLock state = new ReentrantReadWriteLock();
    private final AtomicInteger busy = new AtomicInteger();
    private StoreSecret secret;
    private Connection anchor;
    private Server server;
    private Thread exitHook;
    private int refs;
    private boolean closed;

    private DatabaseOwner(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Makes this JVM the owner of the database in {@code dir} if no other process is, or shares the ownership this
     * JVM already has; null if another process owns it. {@code create} allows a new, empty database.
     */
    static DatabaseOwner tryAcquire(Path dir, boolean create) throws IOException, SQLException {
        synchronized (HERE) {
            DatabaseOwner o = HERE.get(dir);
            while (o != null && o.refs == 0) {
                // the last user here is shutting it down: wait, then take the lock anew (a second channel on owner.lck
                // now, and its closing, would free the lock under the one shutting down)
                try {
                    HERE.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while the mboxlist database was being closed", e);
                }
                o = HERE.get(dir);
            }
            if (o != null) {
                o.refs++;
                return o;
            }
            FileChannel ch = OwnerOnly.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (l == null) {
                ch.close();
                return null;
            }
            o = new DatabaseOwner(dir, ch, l);
            try {
                o.start(create);
            } catch (IOException | SQLException | RuntimeException e) {
                o.shutdown();
                throw e;
            }
            o.refs = 1;
            HERE.put(dir, o);
            return o;
        }
    }

    private void start(boolean create) throws IOException, SQLException {
        // in place: an owner can start on a full disk
        OwnerOnly.rewriteInPlace(lockChannel, ("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
        Path mv = dir.resolve(Database.NAME + ".mv.db");
        Optional<StoreSecret> s = StoreSecret.read(dir.resolve(StoreSecret.FILE));
        if (s.isEmpty() && Files.exists(mv)) {
            upgradeLegacy();
        } else {
            if (s.isEmpty() && !create) {
                throw new IOException("no mboxlist database in " + dir.getParent() + " (expected " + mv + ")");
            }
            secret = s.isPresent() ? s.get() : StoreSecret.create(dir.resolve(StoreSecret.FILE));
            try {
                anchor = embedded(StoreSecret.ADMIN_USER, secret.adminPassword(), true, create);
            } catch (SQLException e) {
                if (e.getErrorCode() == ErrorCode.WRONG_USER_OR_PASSWORD) {
                    throw new SQLException("the mboxlist database does not accept the password derived from "
                            + dir.resolve(StoreSecret.FILE) + " (was the database or the secret replaced?)", e);
                }
                throw e;
            }
        }
        restrictDatabaseFiles();
        if (!appUserInPlace()) {
            ensureAppUser(anchor, secret);
        }
        // the schema is brought up to date before anyone else can connect: no process sees it halfway
        Database.applyMigrations(anchor, create, dir.resolve(Database.NAME));
        exitHook = new Thread(this::exitNow, "mstore-database-exit");
        Runtime.getRuntime().addShutdownHook(exitHook);
        serve();
    }

    /**
     * A store of the previous release ({@code mboxlist/} without {@code secret}, its database's user {@code mstore}
     * with an empty password, every file readable by all): opened embedded, which the lock we hold makes exclusive;
     * given a secret, a real admin password and the application user; every file and directory of the store made
     * owner-only, in one walk. Each step can be done again, and the secret is put in place last, so a crash halfway
     * is finished at the next open: the new secret waits in {@code secret.new}, and the database may already know it.
     */
    private void upgradeLegacy() throws IOException, SQLException {
        Path pending = dir.resolve(StoreSecret.FILE + ".new");
        Optional<StoreSecret> half = StoreSecret.read(pending);
        secret = half.isPresent() ? half.get() : StoreSecret.create(pending);
        try {
            anchor = embedded(StoreSecret.ADMIN_USER, StoreSecret.LEGACY_PASSWORD, true, false);
        } catch (SQLException e) {
            if (half.isEmpty() || e.getErrorCode() != ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw e;
            }
            anchor = embedded(StoreSecret.ADMIN_USER, secret.adminPassword(), true, false); // rekeyed before a crash
        }
        try (Statement st = anchor.createStatement()) {
            st.execute("ALTER USER " + StoreSecret.ADMIN_USER + " SET PASSWORD '" + secret.adminPassword() + "'");
        }
        ensureAppUser(anchor, secret);
        try (Statement st = anchor.createStatement()) {
            st.execute("CHECKPOINT"); // the new passwords are on disk before the secret is in place
        }
        // the old server's port and key; H2 no longer keeps a lock file (FILE_LOCK=FS) and we hold the database file
        Files.deleteIfExists(dir.resolve(Database.NAME + ".lock.db"));
        OwnerOnly.restrictTree(dir.getParent());
        OwnerOnly.writeAtomically(dir.resolve(StoreSecret.FILE), Files.readAllBytes(pending));
        Files.deleteIfExists(pending);
    }

    /** The application user, with its derived password and data rights on every table of the schema, now and later. */
    static void ensureAppUser(Connection admin, StoreSecret secret) throws SQLException {
        try (Statement st = admin.createStatement()) {
            st.execute("CREATE USER IF NOT EXISTS " + StoreSecret.APP_USER + " PASSWORD '" + secret.appPassword() + "'");
            st.execute("ALTER USER " + StoreSecret.APP_USER + " SET PASSWORD '" + secret.appPassword() + "'");
            st.execute("ALTER USER " + StoreSecret.APP_USER + " ADMIN FALSE");
            grantApp(st);
        }
    }

    /**
     * Whether the application user is as {@link #ensureAppUser} leaves it: not an admin, its rights on the schema, and
     * its derived password accepted. Then the four statements that set it up (each a commit forced to disk) are not
     * run at every open; anything else, they are.
     */
    private boolean appUserInPlace() throws SQLException {
        try (Statement st = anchor.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT (SELECT IS_ADMIN FROM INFORMATION_SCHEMA.USERS WHERE USER_NAME = '"
                        + StoreSecret.APP_USER + "'), (SELECT COUNT(*) FROM INFORMATION_SCHEMA.RIGHTS WHERE GRANTEE = '"
                        + StoreSecret.APP_USER + "' AND TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME = '' AND RIGHTS = 'ALL')")) {
            rs.next();
            Object admin = rs.getObject(1);
            if (!Boolean.FALSE.equals(admin) || rs.getInt(2) == 0) {
                return false;
            }
        }
        try (Connection app = embedded(StoreSecret.APP_USER, secret.appPassword(), false, false)) {
            return true;
        } catch (SQLException e) {
            if (e.getErrorCode() == ErrorCode.WRONG_USER_OR_PASSWORD) {
                return false;
            }
            throw e;
        }
    }

    /** Grants the application user its rights on schema PUBLIC: they cover the tables a migration adds there too. */
    static void grantApp(Statement st) throws SQLException {
        st.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON SCHEMA PUBLIC TO " + StoreSecret.APP_USER);
    }

    /** H2 creates its files with the process's umask: the database and anything beside it is made owner-only. */
    private void restrictDatabaseFiles() throws IOException {
        try (var files = Files.newDirectoryStream(dir, Database.NAME + ".*")) {
            for (Path f : files) {
                if (Files.isRegularFile(f)) {
                    OwnerOnly.restrict(f);
                }
            }
        }
    }

    /** Starts the TCP server (127.0.0.1, an ephemeral port, this database only, a new random key) and says where. */
    private void serve() throws IOException, SQLException {
        Loopback.require();
        String key = StoreSecret.randomHex(32);
        server = Server.createTcpServer("-tcpPort", "0", "-ifExists", "-tcpDaemon", "-key", key, databasePath()).start();
        writeServerRecord(new ServerRecord(server.getPort(), key, ProcessHandle.current().pid()));
    }

    /**
     * Writes {@code mboxlist/server} in place, at its fixed length ({@link ServerRecord#LENGTH}): the file is made once
     * and then only rewritten, never replaced or deleted, so that an owner can say where it serves on a full disk too (a
     * new file, or a rename's temporary, needs a free block; without the record no other process could reach the
     * database, and impurge, which frees the space, could not run beside the server that holds it). A reader that
     * catches it half rewritten finds its checksum wrong and reads it again.
     */
    private void writeServerRecord(ServerRecord r) throws IOException {
        Path f = dir.resolve(SERVER_FILE);
        boolean existed = Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        try (FileChannel ch = OwnerOnly.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            OwnerOnly.rewriteInPlace(ch, r.bytes());
            ch.force(true);
        }
        if (!existed) {
            OwnerOnly.forceDirectory(dir);
        }
    }

    private String databasePath() {
        return dir.resolve(Database.NAME).toString();
    }

    StoreSecret secret() {
        return secret;
    }

    /** An embedded connection to the open database, as {@code user}; refused once the owner has shut down. */
    Connection connect(String user, String password) throws SQLException {
        state.readLock().lock();
        try {
            if (closed) {
                throw new SQLException("the mboxlist database was shut down (this process is exiting)", "08003",
                        ErrorCode.DATABASE_IS_CLOSED);
            }
            return embedded(user, password, false, false);
        } finally {
            state.readLock().unlock();
        }
    }

    /**
     * An embedded connection. The first (the anchor, as admin) opens the file and sets how: {@code WRITE_DELAY=0} (a
     * commit is in the file before it is answered: a process killed with SIGKILL takes none of its answered commits
     * with it), {@code FILE_LOCK=FS} (the OS lock on the file itself, no lock file), closed only by our SHUTDOWN, never by H2's own exit hook, no trace
     * file. Later ones join the open database.
     */
    private Connection embedded(String user, String password, boolean first, boolean create) throws SQLException {
        String url = "jdbc:h2:file:" + databasePath() + (first ? ";FILE_LOCK=FS;DB_CLOSE_ON_EXIT=FALSE;DB_CLOSE_DELAY=-1;TRACE_LEVEL_FILE=0;WRITE_DELAY=0" : "")
                + (create ? "" : ";IFEXISTS=TRUE") + ";LOCK_TIMEOUT=" + Database.LOCK_TIMEOUT_MS;
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return org.h2.Driver.load().connect(url, p);
    }

    /** Marks a unit of work running on this owner's database (the exit hook lets it finish). */
    void enter() {
        busy.incrementAndGet();
    }

    void leave() {
        busy.decrementAndGet();
    }

    /** Gives back one reference; the last one stops the server, shuts the database down and frees the lock. */
    void release() {
        synchronized (HERE) {
            if (--refs > 0) {
                return;
            }
        }
        if (exitHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(exitHook);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook runs anyway, and shutdown() is idempotent
            }
        }
        try {
            shutdown();
        } finally {
            synchronized (HERE) {
                HERE.remove(dir, this);
                HERE.notifyAll();
            }
        }
    }

    private void exitNow() {
        long end = System.nanoTime() + EXIT_GRACE.toNanos();
        while (busy.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                break;
            }
        }
        shutdown();
    }

    /** Stops serving, closes H2, frees the lock: in that order, each step whatever happened to the one before. */
    private void shutdown() {
        state.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (server != null) {
                try {
                    writeServerRecord(ServerRecord.none(ProcessHandle.current().pid())); // kept, with its block, for the next owner
                } catch (IOException e) {
                    // a stale record only sends a client to a closed port; it then tries owner.lck
                }
                quiesce();
                server.stop();
            }
            if (anchor != null) {
                try (Statement st = anchor.createStatement()) {
                    st.execute("SHUTDOWN");
                } catch (SQLException e) {
                    // already closed
                }
                try {
                    anchor.close();
                } catch (SQLException e) {
                    // closed by SHUTDOWN
                }
                try {
                    restrictDatabaseFiles(); // anything H2 made while it ran (with the umask, inside mboxlist/ 0700)
                } catch (IOException e) {
                    // the directory is owner-only all the same
                }
            }
            try {
                lock.release();
            } catch (IOException e) {
                // released with the channel
            }
            try {
                lockChannel.close();
            } catch (IOException e) {
                // the OS frees the lock with the process at the latest
            }
        } finally {
            state.writeLock().unlock();
        }
    }

    /**
     * Lets the statements that other sessions are running finish before they are cut off, and keeps new ones from
     * starting ({@code SET EXCLUSIVE 1} pauses them; they are never run, and their sessions are closed with the
     * server). So a client's commit that reached the database before the owner began to exit completes and is
     * answered, and one that came later is not run at all: neither is left half-known.
     */
    private void quiesce() {
        if (anchor == null) {
            return;
        }
        try (Statement st = anchor.createStatement()) {
            st.execute("SET EXCLUSIVE 1");
            long end = System.nanoTime() + QUIESCE.toNanos();
            int others = 0;
            while (System.nanoTime() < end) {
                try (java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*), COUNT(EXECUTING_STATEMENT)"
                        + " FROM INFORMATION_SCHEMA.SESSIONS WHERE SESSION_ID <> SESSION_ID()")) {
                    rs.next();
                    others = rs.getInt(1);
                    if (rs.getInt(2) == 0) {
                        break;
                    }
                }
                Thread.sleep(1);
            }
            // close the other sessions in the database before their sockets: a paused statement is then answered with
            // an error, not cut off, so its client knows that it did not run
            st.execute("SET EXCLUSIVE 2");
            if (others > 0) {
                // for the last answers to leave their sockets; with no other session (a command run alone, most often)
                // there are none: a client connecting from now on is refused in exclusive mode and tries again
                Thread.sleep(20);
            }
        } catch (SQLException e) {
            // the database is already closing: nothing left to wait for
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What {@code mboxlist/server} says: where the owner serves the database (port 0: nowhere, the owner has gone), under
     * which key, and who it is.
     */
    record ServerRecord(int port, String key, long pid) {
        /** The file's length: the record padded with newlines. */
        static final int LENGTH = 192;

        /** The record of an owner that no longer serves. */
        static ServerRecord none(long pid) {
            return new ServerRecord(0, "-", pid);
        }

        private String fields() {
            return "port " + port + "\nkey " + key + "\npid " + pid + "\n";
        }

        String text() {
            return fields() + "crc " + crc(fields()) + "\n";
        }

        byte[] bytes() {
            byte[] t = text().getBytes(StandardCharsets.US_ASCII);
            byte[] out = new byte[LENGTH];
            java.util.Arrays.fill(out, (byte) '\n');
            System.arraycopy(t, 0, out, 0, t.length);
            return out;
        }

        private static long crc(String s) {
            java.util.zip.CRC32C c = new java.util.zip.CRC32C();
            c.update(s.getBytes(StandardCharsets.US_ASCII));
            return c.getValue();
        }

        /**
         * The record in {@code dir}; empty if there is none, if it says the owner has gone, or if it is being rewritten
         * (its checksum does not match). A record without a checksum is a previous release's, which replaced it whole.
         */
        static Optional<ServerRecord> read(Path dir) {
            String text;
            try {
                text = Files.readString(dir.resolve(SERVER_FILE), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                return Optional.empty();
            }
            Map<String, String> fields = new HashMap<>();
            for (String line : text.split("\n")) {
                int sp = line.indexOf(' ');
                if (sp > 0) {
                    fields.put(line.substring(0, sp), line.substring(sp + 1).strip());
                }
            }
            try {
                ServerRecord r = new ServerRecord(Integer.parseInt(fields.get("port")), fields.get("key").strip(),
                        Long.parseLong(fields.get("pid")));
                if (fields.containsKey("crc") && Long.parseLong(fields.get("crc")) != crc(r.fields())) {
                    return Optional.empty();
                }
                return r.port() == 0 ? Optional.empty() : Optional.of(r);
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }

        String url() {
            return "jdbc:h2:tcp://127.0.0.1:" + port + "/" + key + ";LOCK_TIMEOUT=" + Database.LOCK_TIMEOUT_MS;
        }
    }
}
