package org.mstore.classic;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;

import org.mstore.api.StoreInfo;
import org.mstore.backend.Backend;
import org.mstore.backend.ChangeFeed;
import org.mstore.backend.MailboxDirectory;
import org.mstore.backend.MessageStorage;
import org.mstore.backend.Metadata;
import org.mstore.backend.QueueStore;
import org.mstore.backend.SettingsStore;
import org.mstore.config.StoreSettings;
import org.mstore.db.ChangeLog;
import org.mstore.db.Database;
import org.mstore.mboxlist.MailboxList;
import org.mstore.queue.MaintenanceQueue;
import org.mstore.store.ClassicStore;

/**
 * The classic message store (SPEC §1–4): mailboxes as directories of {@code store.idx}, {@code store.cache},
 * {@code store.exp} and message files under {@code partition/}; the mailbox list, the three queues (one table), the
 * history, the change log and the settings in the H2 database under {@code mboxlist/}.
 */
public final class ClassicBackend implements Backend {
    public static final String KIND = "classic";
    private static final StoreInfo.Features FEATURES = new StoreInfo.Features(true, true, true, true);

    private final Path root;
    private final Database db;
    private final MailboxList mboxlist;
    private final MaintenanceQueue queue;
    private final StoreSettings settings;
    private final ClassicStorage storage;
    private final H2Metadata metadata;
    private final ChangeLog changes;
    private final ClassicReserve reserve;
    private final ClassicUsers users;
    private final H2Sessions sessions;

    private ClassicBackend(Path root, Database db, Clock clock) {
        this.root = root;
        this.db = db;
        this.mboxlist = new MailboxList(db);
        this.queue = new MaintenanceQueue(db, clock);
        this.settings = new StoreSettings(db, clock, root);
        this.storage = new ClassicStorage(new ClassicStore(root));
        this.metadata = new H2Metadata(db, mboxlist, queue, clock);
        this.changes = new ChangeLog(db, queue);
        this.reserve = new ClassicReserve(root);
        this.users = new ClassicUsers(root, db);
        this.sessions = new H2Sessions(db);
    }

    /**
     * A file system mounted read-only (as the kernel remounts one after errors): every process writes the database's
     * lock and server record, and a mailbox's lock, even to read, so the store cannot be used there; the one line says
     * so and how to read the mail all the same.
     */
    static void refuseReadOnlyFileSystem(Path root, Exception e) throws IOException {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.file.FileSystemException f && f.getReason() != null && f.getReason().contains("Read-only file system")) {
                throw new IOException("the store at " + root + " is on a file system mounted read-only: mstore writes its lock files "
                        + "even to read a store; remount it read-write, or copy the store elsewhere (cp -a) and use the copy", e);
            }
        }
    }

    /** True when {@code root} holds a classic store (its database). */
    public static boolean exists(Path root) {
        return Database.exists(root);
    }

    /** Opens the store at {@code root}; {@code create} makes its database (a new store, or a rebuild of a lost one). */
    public static ClassicBackend open(Path root, Clock clock, boolean create) throws IOException {
        boolean fresh = !java.nio.file.Files.exists(root.resolve(Database.DIR).resolve(Database.NAME + ".mv.db"),
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Database db;
        try {
            db = Database.open(root, create);
        } catch (SQLException e) {
            refuseReadOnlyFileSystem(root, e);
            throw new IOException("cannot open the mboxlist database of " + root + ": " + firstLine(e.getMessage()), e);
        } catch (IOException e) {
            refuseReadOnlyFileSystem(root, e);
            throw e;
        }
        ClassicBackend b = new ClassicBackend(root, db, clock);
        b.freshDatabase = fresh;
        return b;
    }

    /** True when this open made the database (a new store, or a rebuild of a lost one). */
    private boolean freshDatabase;

    /**
     * True when the settings are to come back from their mirror: this open made the database, or a rebuild of a lost
     * one was interrupted ({@link #REBUILD_MARKER}) after it made it, before the settings were restored.
     */
    public boolean freshDatabase() {
        return freshDatabase || rebuildPending(root);
    }

    /**
     * Written in {@code mboxlist/} before a rebuild of a lost mailbox list makes the new database, deleted once the list,
     * the queue and the settings are back: while it is there, the database is not the store's list yet.
     */
    public static final String REBUILD_MARKER = "rebuild.incomplete";

    /** Where {@link #REBUILD_MARKER} is kept. */
    public static Path rebuildMarker(Path root) {
        return root.resolve(Database.DIR).resolve(REBUILD_MARKER);
    }

    /** True when a rebuild of the lost mailbox list started and has not finished ({@link #REBUILD_MARKER}). */
    public static boolean rebuildPending(Path root) {
        return java.nio.file.Files.exists(rebuildMarker(root), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /** Marks a rebuild of a lost mailbox list started: before its new database is made. */
    public static void beginRebuild(Path root) throws IOException {
        Path dir = org.mstore.fs.OwnerOnly.createDirectories(root.resolve(Database.DIR));
        org.mstore.fs.OwnerOnly.write(dir.resolve(REBUILD_MARKER), ("rebuild of the mailbox list, pid " + ProcessHandle.current().pid()
                + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        org.mstore.fs.OwnerOnly.forceDirectory(dir);
    }

    /** Marks the rebuild done: the list, the queue and the settings are back. */
    public void finishRebuild() throws IOException {
        Path dir = root.resolve(Database.DIR);
        if (java.nio.file.Files.deleteIfExists(dir.resolve(REBUILD_MARKER))) {
            org.mstore.fs.OwnerOnly.forceDirectory(dir);
        }
    }

    /**
     * Before a rebuild of the mailbox list: a database file that is damaged (empty, not a file, without the schema,
     * refused by H2) is moved into {@code mboxlist/damaged-STAMP/}; returns where, or null when the database opens
     * (or is missing).
     */
    public static Path setAsideIfDamaged(Path root, String stamp) throws IOException {
        if (!java.nio.file.Files.exists(root.resolve(Database.DIR).resolve(Database.NAME + ".mv.db"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            Database.open(root, false).close();
            return null;
        } catch (org.mstore.db.DatabaseDamagedException e) {
            return Database.setAside(root, stamp);
        } catch (java.sql.SQLException e) {
            throw new IOException("cannot open the mboxlist database of " + root + ": " + firstLine(e.getMessage()), e);
        }
    }

    /** Restores the settings from their mirror ({@code store.settings}); returns the values restored, adds what was skipped. */
    public int restoreSettings(java.util.List<String> skipped) throws IOException {
        java.util.Map<org.mstore.api.Setting, String> values = settings.readMirror(skipped);
        if (!values.isEmpty()) {
            settings.setAll(values);
        }
        return values.size();
    }

    /** Rewrites the settings' mirror from the database. */
    public void writeSettingsMirror() {
        settings.writeMirror();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** True when {@code root} has the partitions of a classic store (what a lost mailbox list is rebuilt from). */
    public static boolean hasLayout(Path root) {
        return java.nio.file.Files.isDirectory(root.resolve(ClassicStore.PARTITIONS));
    }

    /** The directories a new classic store starts with. */
    public static void createLayout(Path root) throws IOException {
        org.mstore.fs.OwnerOnly.createDirectories(root.resolve(ClassicStore.PARTITIONS).resolve(ClassicStore.DEFAULT_PARTITION));
    }

    /** Undoes {@link #createLayout} and a half-made database after a failed init. */
    public static void deleteLayout(Path root) throws IOException {
        for (String d : new String[] {ClassicStore.PARTITIONS, Database.DIR}) {
            ClassicStore.deleteRecursively(root.resolve(d));
        }
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public StoreInfo.Features features() {
        return FEATURES;
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public Path localDir() {
        return root;
    }

    @Override
    public java.util.Optional<org.mstore.backend.SpaceReserve> spaceReserve() {
        return java.util.Optional.of(reserve);
    }

    @Override
    public MailboxDirectory mailboxList() {
        return mboxlist;
    }

    @Override
    public QueueStore queue() {
        return queue;
    }

    @Override
    public SettingsStore settings() {
        return settings;
    }

    @Override
    public MessageStorage storage() {
        return storage;
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public ChangeFeed changes() {
        return changes;
    }

    @Override
    public org.mstore.backend.UserStore users() {
        return users;
    }

    @Override
    public org.mstore.backend.SessionStore sessions() {
        return sessions;
    }

    /** The H2 database (tests and the benchmark's baseline look inside). */
    public Database database() {
        return db;
    }

    /** A mailbox's directory (tests and the benchmark damage or measure files there). */
    public Path directory(org.mstore.api.MailboxInfo info) {
        return storage.directory(info);
    }

    @Override
    public void close() {
        db.close();
    }
}
