package org.mstore.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.mstore.api.Action;
import org.mstore.api.AppendResult;
import org.mstore.api.CheckReport;
import org.mstore.api.Daemon;
import org.mstore.api.DaemonMode;
import org.mstore.api.DaemonStatus;
import org.mstore.api.Enqueued;
import org.mstore.api.ExpireReport;
import org.mstore.api.ExpungeResult;
import org.mstore.api.FlagMode;
import org.mstore.api.HistoryEntry;
import org.mstore.api.MailboxDetails;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MailboxSnapshot;
import org.mstore.api.Mailboxes;
import org.mstore.api.Maintenance;
import org.mstore.api.MessageRecord;
import org.mstore.api.MessageStore;
import org.mstore.api.MessageView;
import org.mstore.api.NewMessage;
import org.mstore.api.OpenOptions;
import org.mstore.api.Outcome;
import org.mstore.api.Queue;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.api.ReadOnlyStoreException;
import org.mstore.api.Setting;
import org.mstore.api.Settings;
import org.mstore.api.SettingsSnapshot;
import org.mstore.api.StoreEvent;
import org.mstore.api.StoreInfo;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.backend.Backend;
import org.mstore.backend.BackendProvider;
import org.mstore.backend.MessageStorage;
import org.mstore.backend.QueueStore;
import org.mstore.classic.ClassicBackend;
import org.mstore.expire.Expirer;
import org.mstore.expire.RuleFile;
import org.mstore.log.StoreLog;
import org.mstore.mailbox.MailboxService;
import org.mstore.mailbox.StoreContext;
import org.mstore.purge.PurgeDaemon;
import org.mstore.purge.TaskRunner;
import org.slf4j.LoggerFactory;

/**
 * One open store: wires a backend to the rules of the seed (mailboxes, tasks, the daemon, expiration) and implements
 * the {@link MessageStore} API that the commands, the console and the protocol servers call. Publishes
 * {@link StoreEvent}s. No JavaFX below this line.
 */
public final class Engine implements MessageStore {
    private final Path root;
    private final OpenOptions options;
    private final Backend backend;
    private final StoreContext ctx;
    private final MailboxService mailboxes;
    private final TaskRunner runner;
    private final PurgeDaemon daemon;
    private final CopyOnWriteArrayList<Consumer<StoreEvent>> listeners = new CopyOnWriteArrayList<>();
    private final ChangeWatcher watcher;
    private final StoreInfo info;
    private final MailboxesApi mailboxesApi = new MailboxesApi();
    private final QueueApi queueApi = new QueueApi();
    private final SettingsApi settingsApi = new SettingsApi();
    private final DaemonApi daemonApi = new DaemonApi();
    private final MaintenanceApi maintenanceApi = new MaintenanceApi();
    private final UsersApi usersApi = new UsersApi();
    private final org.mstore.users.UserService users;
    private volatile SessionRegistry sessions;
    private volatile Consumer<TaskResult> resultListener = r -> { };
    private volatile boolean closed;

    private Engine(Path root, Backend backend, OpenOptions options) {
        this.root = root;
        this.options = options;
        this.backend = backend;
        this.ctx = new StoreContext(backend, new StoreLog(backend.localDir(), options.clock()), options.clock(), options.processName(),
                options.readOnly());
        this.mailboxes = new MailboxService(ctx);
        this.runner = new TaskRunner(ctx, mailboxes);
        this.users = new org.mstore.users.UserService(ctx, mailboxes);
        this.daemon = new PurgeDaemon(ctx, runner, new PurgeDaemon.Listener() {
            @Override
            public void status(DaemonStatus s) {
                publish(new StoreEvent.DaemonChanged(s));
            }

            @Override
            public void result(TaskResult r) {
                resultListener.accept(r);
                publish(new StoreEvent.TaskFinished(r));
            }
        });
        this.watcher = options.watchChanges() ? new ChangeWatcher(backend.changes(), this::publish, 250) : null;
        this.info = new StoreInfo(root, backend.location(), backend.kind(), backend.features(), options.readOnly(),
                options.processName(), options.clock().getZone(), ctx.log().file());
        mailboxes.onMessagesChanged(this::publish);
        backend.logTo((level, message) -> ctx.log().log(options.processName(), "Store", level, message));
        backend.queue().onChange(this::changed);
        backend.settings().onChange(this::changed);
    }

    // ---------------------------------------------------------------- opening

    /**
     * The path every step of an open or an init uses: the store's real path (no symbolic link left to switch it by),
     * reached through no directory that another user could replace it in (docs/security.md, section 6).
     */
    private static Path storePath(Path root) throws IOException {
        Path r = org.mstore.fs.OwnerOnly.realStorePath(root);
        org.mstore.fs.OwnerOnly.requireNoOtherUserCanMove(r);
        return r;
    }

    /** True when {@code root} holds a store. */
    public static boolean exists(Path root) {
        Path r = root.toAbsolutePath().normalize();
        return StoreConfig.exists(r) || ClassicBackend.exists(r);
    }

    /** The backend kinds this engine knows, by kind. */
    private static java.util.Map<String, BackendProvider> providers() {
        java.util.Map<String, BackendProvider> out = new java.util.TreeMap<>();
        for (BackendProvider p : java.util.ServiceLoader.load(BackendProvider.class, Engine.class.getClassLoader())) {
            out.put(p.kind(), p);
        }
        return out;
    }

    static BackendProvider provider(String kind) {
        java.util.Map<String, BackendProvider> all = providers();
        BackendProvider p = all.get(kind);
        if (p == null) {
            throw new IllegalArgumentException("unknown backend '" + kind + "'; use " + String.join(" or ", all.keySet()));
        }
        return p;
    }

    /** Creates a new, empty classic store at {@code root} (which must not hold one). */
    public static Engine init(Path root, OpenOptions options) throws IOException {
        return init(root, options, ClassicBackend.KIND, java.util.Map.of());
    }

    /**
     * The file {@code init} writes first and deletes last: a store that holds it was not finished (the process was
     * killed halfway). Every open refuses such a store, and the next {@code init} makes it again.
     */
    public static final String INIT_MARKER = "init.incomplete";

    /** The file whose lock the creator of a store holds for the whole of its init (see {@link InitLock}). */
    public static final String INIT_LOCK = "init.lck";

    /**
     * Creates a new, empty store at {@code root} (which must not hold one) on the given backend, configured with
     * {@code backendOptions} (kept in {@code store.conf}). All or nothing: a failure takes back what was made, and a
     * crash leaves {@link #INIT_MARKER}, which the next {@code init} clears before it starts again.
     */
    public static Engine init(Path root, OpenOptions options, String backend, java.util.Map<String, String> backendOptions)
            throws IOException {
        return init(root, options, backend, backendOptions, null);
    }

    /**
     * {@link #init(Path, OpenOptions, String, java.util.Map)} for a store that {@code migrate} fills: the store keeps
     * {@link #INIT_MARKER}, naming {@code madeBy}, until {@link #finishInit} (every open refuses it meanwhile).
     */
    static Engine init(Path root, OpenOptions options, String backend, java.util.Map<String, String> backendOptions, String madeBy)
            throws IOException {
        Path r = storePath(root);
        BackendProvider provider = provider(backend);
        java.util.Map<String, String> config = provider.configure(backendOptions);
        if (Files.isDirectory(r)) {
            org.mstore.fs.OwnerOnly.requireOwnedByThisUser(r); // not a store made in someone else's directory
        }
        if (storeThere(r)) {
            throw new IOException("a store already exists at " + r);
        }
        refuseUnfinishedMigration(r); // what the directory says first (create refuses it too, under the lock)
        // checked against where the mail is to live (a Cassandra cluster other hosts share) before the directory is touched
        config = provider.prepare(backendOptions, madeBy != null);
        InitLock lock = InitLock.tryAcquire(r, options.processName());
        if (lock == null) {
            throw new IOException("cannot create a store at " + r + ": another mstore process" + InitLock.holder(r) + " is creating it");
        }
        return create(r, options, backend, config, madeBy, lock);
    }

    /**
     * Opens the store at {@code root}, or makes a new, empty classic store there when there is none (what
     * {@code generate} does). A store that another process is making is waited for, then opened; one whose init was
     * interrupted is made again, as {@code init} would.
     */
    public static Engine openOrInit(Path root, OpenOptions options) throws IOException {
        Path r = storePath(root);
        if (Files.isDirectory(r)) {
            org.mstore.fs.OwnerOnly.requireOwnedByThisUser(r);
        }
        if (storeThere(r)) {
            return open(r, options);
        }
        java.util.Map<String, String> config = provider(ClassicBackend.KIND).configure(java.util.Map.of());
        InitLock lock = InitLock.acquire(r, options.processName()); // the init that holds it finishes, or dies, first
        if (exists(r) && !Files.exists(r.resolve(INIT_MARKER), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try {
                lock.release(); // made meanwhile
            } catch (IOException e) {
                // its file stays behind, unlocked: the next init takes it and deletes it
            }
            return open(r, options);
        }
        return create(r, options, ClassicBackend.KIND, config, null, lock);
    }

    /** Whether an init of {@code r} has started: one is running, or was killed (its marker or its lock file is there). */
    private static boolean initStarted(Path r) {
        return Files.exists(r.resolve(INIT_MARKER), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                || Files.exists(InitLock.file(r), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * What is at {@code r}, looked at before any lock is taken (so that a store or a directory of someone else's is
     * refused as it is, with nothing made in it): true for a store, false when the init lock is to decide (nothing is
     * there, or an empty directory, or an init has started there); refused when something else is there. An init makes
     * its lock file before anything else and deletes it after everything else, so the directory is read first and the
     * lock file looked for after: files seen there without it are no running init's.
     */
    private static boolean storeThere(Path r) throws IOException {
        for (int look = 1; ; look++) {
            boolean store = exists(r);
            String occupied = store ? null : occupied(r);
            if (initStarted(r)) {
                return false;
            }
            if (store || occupied == null) {
                return store;
            }
            if (look == 2) {
                throw new IOException("cannot create a store at " + r + ": " + occupied);
            }
            // they may have been those of an init that finished, or took them back, between the two looks: once more
        }
    }

    /** Refuses to make a store at {@code r} when something is there: a store, a file, a directory with files. */
    private static void refuseOccupied(Path r) throws IOException {
        if (exists(r)) {
            throw new IOException("a store already exists at " + r);
        }
        String occupied = occupied(r);
        if (occupied != null) {
            throw new IOException("cannot create a store at " + r + ": " + occupied);
        }
    }

    /** Why no store can be made at {@code r} (a file is there, or a directory with files), or null. */
    private static String occupied(Path r) throws IOException {
        if (Files.exists(r) && !Files.isDirectory(r)) {
            return "it is a file";
        }
        if (Files.isDirectory(r)) {
            try (var entries = Files.list(r)) {
                if (entries.map(p -> p.getFileName().toString()).anyMatch(n -> !n.startsWith(".") && !n.equals(INIT_LOCK))) {
                    return "the directory is not empty";
                }
            } catch (java.nio.file.NoSuchFileException e) {
                return null; // taken back by an init that failed
            }
        }
        return null;
    }

    /**
     * Makes the store at {@code r}, holding its init {@code lock} (only its holder clears, makes or takes back anything
     * there). On success the engine holds the lock until {@link #finishInit} (at once, unless {@code madeBy} names a
     * migration) or its close; on failure the lock is let go here, after what was made is taken back.
     */
    private static Engine create(Path r, OpenOptions options, String backend, java.util.Map<String, String> config, String madeBy,
                                 InitLock lock) throws IOException {
        boolean handedOver = false;
        try {
            if (Files.exists(r.resolve(INIT_MARKER), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                clearInterruptedInit(r);
            }
            refuseOccupied(r);
            Engine e = make(r, options, backend, config, madeBy, lock);
            handedOver = true;
            return e;
        } finally {
            if (!handedOver) {
                lock.release();
                if (lock.createdRoot()) {
                    try {
                        Files.deleteIfExists(r);
                    } catch (java.nio.file.DirectoryNotEmptyException e) {
                        // another creator's lock file is there now: the directory is its
                    }
                }
            }
        }
    }

    private static Engine make(Path r, OpenOptions options, String backend, java.util.Map<String, String> config, String madeBy,
                               InitLock lock) throws IOException {
        Path marker = r.resolve(INIT_MARKER);
        try {
            org.mstore.fs.OwnerOnly.restrict(r);
            // first, and on disk before anything else is: whatever a crash leaves after this, the marker is there too
            org.mstore.fs.OwnerOnly.write(marker, ((madeBy == null ? "init" : madeBy) + "\n" + "a " + backend + " store, pid "
                    + ProcessHandle.current().pid() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            org.mstore.fs.OwnerOnly.forceDirectory(r);
            org.mstore.fs.CrashPoint.hit("init.after-marker");
            org.mstore.fs.OwnerOnly.createDirectories(r.resolve(StoreLog.DIR));
            new StoreConfig(backend, config).write(r);
            org.mstore.purge.SessionLock.prepare(r); // before open, which may start a daemon that takes the lock
            Engine e = open(r, options, true, madeBy);
            try {
                org.mstore.fs.CrashPoint.hit("init.after-open");
                e.backend.spaceReserve().ifPresent(org.mstore.backend.SpaceReserve::ensure); // impurge's, for a full disk
                e.initLock = lock;
                if (madeBy == null) {
                    e.finishInit();
                }
            } catch (IOException | RuntimeException x) {
                e.initLock = null; // what was made is taken back under the lock, below
                e.close();
                throw x;
            }
            return e;
        } catch (IOException | RuntimeException e) {
            if (backend.equals(ClassicBackend.KIND)) {
                ClassicBackend.deleteLayout(r);
            } else {
                // what every backend keeps on local disk too: the purge session's lock file, in mboxlist/
                Path sessionLock = org.mstore.purge.SessionLock.lockFile(r);
                Files.deleteIfExists(sessionLock);
                try {
                    Files.deleteIfExists(sessionLock.getParent());
                } catch (java.nio.file.DirectoryNotEmptyException x) {
                    // something else is in it: left as it is
                }
            }
            Files.deleteIfExists(StoreConfig.file(r));
            org.mstore.store.ClassicStore.deleteRecursively(r.resolve(StoreLog.DIR));
            Files.deleteIfExists(marker);
            throw e;
        }
    }

    /** The lock this engine's init holds until the store is finished (null once it is, or for an engine that opened one). */
    private volatile InitLock initLock;

    /** Marks this store made: deletes {@link #INIT_MARKER}, so that it opens, then lets the init lock go. */
    void finishInit() throws IOException {
        backend.finishMigration(); // where the mail is first: a crash between the two leaves a refused directory, not a refused store
        if (Files.deleteIfExists(root.resolve(INIT_MARKER))) {
            org.mstore.fs.OwnerOnly.forceDirectory(root);
        }
        releaseInitLock();
    }

    private void releaseInitLock() {
        InitLock l = initLock;
        initLock = null;
        if (l != null) {
            try {
                l.release();
            } catch (IOException e) {
                // its file stays behind, unlocked: the next init takes it and deletes it; the store is as it was
            }
        }
    }

    /** What made a store that holds {@link #INIT_MARKER}: {@code init}, or {@code migrate from SOURCE}. */
    private static String madeBy(Path r) {
        try {
            return Files.readAllLines(r.resolve(INIT_MARKER), java.nio.charset.StandardCharsets.UTF_8).stream().findFirst().orElse("init").strip();
        } catch (IOException | java.io.UncheckedIOException e) {
            return "init";
        }
    }

    /**
     * Takes away what an interrupted {@code init} made, so that it can start again: every entry of {@code r} but those
     * whose names start with a dot (init accepts a directory that holds only those), the marker last. Refused when a
     * message or mailbox file is there: then the store was used, and the marker does not belong to it.
     */
    private static void clearInterruptedInit(Path r) throws IOException {
        refuseUnfinishedMigration(r);
        Path partitions = r.resolve(org.mstore.store.ClassicStore.PARTITIONS);
        if (Files.isDirectory(partitions, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var files = Files.walk(partitions)) {
                Optional<Path> used = files.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).findFirst();
                if (used.isPresent()) {
                    throw new IOException("the store at " + r + " holds " + INIT_MARKER + " but also mail (" + used.get()
                            + "): it is not an interrupted init; if the store is whole, delete " + r.resolve(INIT_MARKER));
                }
            }
        }
        try (var entries = Files.list(r)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!name.startsWith(".") && !name.equals(INIT_MARKER) && !name.equals(INIT_LOCK)) {
                    org.mstore.store.ClassicStore.deleteRecursively(p);
                }
            }
        }
        org.mstore.fs.OwnerOnly.forceDirectory(r);
        Files.delete(r.resolve(INIT_MARKER));
        org.mstore.fs.OwnerOnly.forceDirectory(r);
    }

    /** Refuses a store directory that an unfinished {@code migrate} made: its mail may be elsewhere too, not init's to clear. */
    private static void refuseUnfinishedMigration(Path r) throws IOException {
        if (!Files.exists(r.resolve(INIT_MARKER), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        String madeBy = madeBy(r);
        if (madeBy.startsWith("migrate")) {
            // its mail may be elsewhere too (a Cassandra target's keyspaces): not init's to clear
            throw new IOException("the store at " + r + " was being made by '" + madeBy + "', which did not finish: "
                    + "delete it, and migrate again to a new target");
        }
    }

    /** Refuses a store whose {@code init} was interrupted. */
    private static void requireFinished(Path r) throws IOException {
        Path marker = r.resolve(INIT_MARKER);
        if (!Files.exists(marker, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        String madeBy = madeBy(r);
        if (InitLock.running(r)) {
            if (!Files.exists(marker, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return; // finished while we looked: the marker goes before the lock
            }
            throw new IOException("the store at " + r + " is being created" + (madeBy.startsWith("migrate") ? " by '" + madeBy + "'" : "")
                    + InitLock.holder(r) + ": wait until it is finished, then try again");
        }
        if (madeBy.startsWith("migrate")) {
            throw new IOException("the store at " + r + " is not finished: '" + madeBy + "' was interrupted or found the copy "
                    + "different (" + INIT_MARKER + "); delete it, and migrate again to a new target");
        }
        throw new IOException("the store at " + r + " is not finished: its init was interrupted (" + INIT_MARKER
                + "); run 'mstore init --store " + r + "' to make it again");
    }

    /** Refuses a store whose lost mailbox list is being rebuilt, or whose rebuild was interrupted. */
    private static void requireListed(Path r) throws IOException {
        if (ClassicBackend.rebuildPending(r)) {
            throw new IOException("the mailbox list of " + r + " is being rebuilt, or its rebuild was interrupted ("
                    + r.relativize(ClassicBackend.rebuildMarker(r)) + "); run 'mstore reconstruct --mboxlist --store "
                    + r + "' (again) to finish it");
        }
    }

    /** Opens an existing store. */
    public static Engine open(Path root, OpenOptions options) throws IOException {
        Path r = storePath(root);
        requireFinished(r);
        requireListed(r);
        return open(r, options, false);
    }

    /** Opens a store for {@link Maintenance#rebuildMailboxList} when its mailbox list is lost: creates an empty one. */
    public static Engine openForRebuild(Path root, OpenOptions options) throws IOException {
        Path r = storePath(root);
        requireFinished(r);
        if (StoreConfig.exists(r) && !ClassicBackend.KIND.equals(StoreConfig.read(r).backend())) {
            // the mailbox list lives beside the mailboxes' storage headers, in the same keyspaces: rebuilt from them
            return open(r, options, false);
        }
        // Rebuilding creates a database: only where there is a store to rebuild it from.
        if (!ClassicBackend.hasLayout(r)) {
            throw new IllegalArgumentException("no store at " + r + ": no " + org.mstore.store.ClassicStore.PARTITIONS
                    + "/ directory to rebuild the mailbox list from");
        }
        List<String> notes = new ArrayList<>();
        if (StoreConfig.read(r).backend().equals(ClassicBackend.KIND)) {
            String stamp = java.time.ZonedDateTime.now(options.clock()).format(org.mstore.store.Mailbox.STAMP);
            Path aside = ClassicBackend.setAsideIfDamaged(r, stamp);
            if (aside != null) {
                notes.add("the damaged mboxlist database was set aside in " + aside);
            }
            if (!ClassicBackend.exists(r)) {
                // a new database is made: until the list, the queue and the settings are back in it, it is not the store's
                ClassicBackend.beginRebuild(r);
            }
        }
        Engine e = open(r, options, true);
        e.rebuildNotes.addAll(notes);
        return e;
    }

    /** What openForRebuild and the last rebuild of the mailbox list did besides listing. */
    private final List<String> rebuildNotes = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static Engine open(Path root, OpenOptions options, boolean create) throws IOException {
        return open(root, options, create, null);
    }

    /** {@code madeBy}: a new store that {@code migrate} fills ("migrate from SOURCE"), its backend made to say so where its mail is. */
    private static Engine open(Path root, OpenOptions options, boolean create, String madeBy) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("no store at " + root + " (not a directory)");
        }
        org.mstore.fs.OwnerOnly.requireOwnedByThisUser(root);
        StoreConfig config = StoreConfig.read(root);
        BackendProvider provider = provider(config.backend());
        Backend backend = create && madeBy != null ? provider.createForMigration(root, config.options(), options.clock(), madeBy)
                : !create && options.readOnly() ? provider.openReadOnly(root, config.options(), options.clock())
                : provider.open(root, config.options(), options.clock(), create);
        Engine engine;
        try {
            engine = new Engine(root, backend, options);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        if (engine.watcher != null) {
            engine.watcher.start();
        }
        if (options.startDaemon() && engine.settingsApi.snapshot().purgeEnable()) {
            try {
                engine.daemon.start(DaemonMode.daemon());
            } catch (org.mstore.api.SessionLockedException e) {
                // the daemon's status says so; the console shows it
            }
        }
        return engine;
    }

    // ---------------------------------------------------------------- the API

    @Override
    public StoreInfo info() {
        return info;
    }

    @Override
    public Clock clock() {
        return options.clock();
    }

    @Override
    public Mailboxes mailboxes() {
        return mailboxesApi;
    }

    @Override
    public Queue queue() {
        return queueApi;
    }

    @Override
    public Settings settings() {
        return settingsApi;
    }

    @Override
    public Daemon daemon() {
        return daemonApi;
    }

    @Override
    public Maintenance maintenance() {
        return maintenanceApi;
    }

    @Override
    public org.mstore.api.Users users() {
        return usersApi;
    }

    @Override
    public org.mstore.api.Sessions sessions() {
        SessionRegistry s = sessions;
        if (s == null) {
            synchronized (this) {
                if (sessions == null) {
                    sessions = new SessionRegistry(backend.sessions(), options.clock(), options.processName());
                }
                s = sessions;
            }
        }
        return s;
    }

    @Override
    public void log(String category, org.mstore.api.LogLevel level, String message) {
        ctx.log().log(options.processName(), category, level, message);
    }

    // ---------------------------------------------------------------- internals, for tests and the benchmark

    public Path root() {
        return root;
    }

    public OpenOptions options() {
        return options;
    }

    public StoreContext context() {
        return ctx;
    }

    public Backend backend() {
        return backend;
    }

    @Override
    public boolean unreachable(Throwable e) {
        return backend.unreachable(e);
    }

    /** The default log. */
    public StoreLog log() {
        return ctx.log();
    }

    /** The rules' mailbox service (tests open mailboxes through it). */
    public MailboxService mailboxService() {
        return mailboxes;
    }

    /** The daemon itself (tests step it). */
    public PurgeDaemon purgeDaemon() {
        return daemon;
    }

    public boolean readOnly() {
        return options.readOnly();
    }

    private void requireWritable(String what) {
        if (options.readOnly()) {
            throw new ReadOnlyStoreException(what);
        }
    }

    // ---------------------------------------------------------------- events

    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void publish(StoreEvent e) {
        for (Consumer<StoreEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                LoggerFactory.getLogger(Engine.class).warn("event listener failed", ex);
            }
        }
    }

    private void changed() {
        if (watcher != null) {
            watcher.poke();
        }
        daemon.wake();
    }

    @Override
    public void pollChanges() {
        if (watcher != null) {
            watcher.pollOnce();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (sessions != null) {
            sessions.shutdown();
        }
        daemon.shutdown(Duration.ofSeconds(30));
        if (watcher != null) {
            watcher.stop();
        }
        backend.close();
        releaseInitLock(); // a migration that did not finish: its marker stays, and the next open says so
    }

    // ---------------------------------------------------------------- the API's parts

    private final class MailboxesApi implements Mailboxes {
        @Override
        public List<String> partitions() throws IOException {
            return backend.storage().partitions();
        }

        @Override
        public List<MailboxInfo> list() {
            return backend.mailboxList().list();
        }

        @Override
        public List<MailboxInfo> subtree(String name) {
            org.mstore.api.MailboxName.parse(name);
            return backend.mailboxList().subtree(name);
        }

        @Override
        public Optional<MailboxInfo> find(String name) {
            org.mstore.api.MailboxName.parse(name);
            return backend.mailboxList().get(name);
        }

        @Override
        public MailboxInfo get(String name) {
            return mailboxes.info(name);
        }

        @Override
        public MailboxInfo create(String name, String partition) throws IOException {
            return mailboxes.create(name, partition);
        }

        @Override
        public List<String> delete(String name) throws IOException {
            return mailboxes.delete(name);
        }

        @Override
        public List<String> rename(String from, String to) throws IOException {
            return mailboxes.rename(from, to);
        }

        @Override
        public org.mstore.api.CopyResult copy(String from, UidSet uids, String to) throws IOException {
            return mailboxes.copy(from, uids, to);
        }

        @Override
        public void fetch(String mailbox, UidSet uids, MessageReader reader) throws IOException {
            mailboxes.read(mailbox, uids, reader);
        }

        @Override
        public AppendResult append(String mailbox, List<NewMessage> messages, boolean sync) throws IOException {
            return mailboxes.append(mailbox, messages, sync);
        }

        @Override
        public Optional<String> checkMessage(byte[] message) {
            return Optional.ofNullable(mailboxes.checkMessage(message));
        }

        @Override
        public long maxMessageSize() {
            return mailboxes.maxMessageSize();
        }

        @Override
        public List<MessageRecord> setFlags(String mailbox, UidSet uids, int flags, FlagMode mode) throws IOException {
            return mailboxes.setFlags(mailbox, uids, flags, mode);
        }

        @Override
        public ExpungeResult expunge(String mailbox) throws IOException {
            return mailboxes.expunge(mailbox);
        }

        @Override
        public ExpungeResult expunge(String mailbox, UidSet uids) throws IOException {
            int max = Integer.MAX_VALUE;
            return mailboxes.expunge(mailbox, r -> r.deleted() && uids.contains(r.uid(), max));
        }

        @Override
        public byte[] fetch(String mailbox, int uid) throws IOException {
            return mailboxes.fetch(mailbox, uid);
        }

        @Override
        public List<MessageView> messages(String mailbox, int offset, int limit) throws IOException {
            return mailboxes.messages(mailbox, offset, limit);
        }

        @Override
        public MailboxSnapshot snapshot(String mailbox) throws IOException {
            return mailboxes.snapshot(mailbox);
        }

        @Override
        public List<MessageRecord> records(String mailbox, UidSet uids) throws IOException {
            return mailboxes.records(mailbox, uids);
        }

        @Override
        public MailboxDetails details(String mailbox) throws IOException {
            return mailboxes.details(mailbox);
        }

        @Override
        public List<org.mstore.api.ExpungedMessage> expunged(String mailbox) throws IOException {
            return mailboxes.expunged(mailbox);
        }

        @Override
        public org.mstore.api.UnexpungeResult unexpunge(String mailbox, UidSet uids) throws IOException {
            return mailboxes.unexpunge(mailbox, uids);
        }
    }

    private final class UsersApi implements org.mstore.api.Users {
        @Override
        public List<org.mstore.api.UserInfo> list() {
            return users.list();
        }

        @Override
        public Optional<org.mstore.api.UserInfo> find(String user) {
            return users.find(user);
        }

        @Override
        public org.mstore.api.UserInfo add(String user, char[] password) throws IOException {
            return users.add(user, password);
        }

        @Override
        public void setPassword(String user, char[] password) {
            users.setPassword(user, password);
        }

        @Override
        public void delete(String user) {
            users.delete(user);
        }

        @Override
        public boolean authenticate(String user, char[] password) {
            return users.authenticate(user, password);
        }

        @Override
        public List<String> subscriptions(String user) {
            return users.subscriptions(user);
        }

        @Override
        public void subscribe(String user, String mailbox) {
            users.subscribe(user, mailbox);
        }

        @Override
        public void unsubscribe(String user, String mailbox) {
            users.unsubscribe(user, mailbox);
        }
    }

    private final class QueueApi implements Queue {
        private QueueStore q() {
            return backend.queue();
        }

        @Override
        public long count() {
            return q().count();
        }

        @Override
        public long count(QueueQuery query) {
            return q().count(query);
        }

        @Override
        public Map<Action, Long> countsByAction() {
            return q().countsByAction();
        }

        @Override
        public org.mstore.api.QueueCounts counts(QueueQuery query) {
            return q().counts(query);
        }

        @Override
        public org.mstore.api.QueueCounts matching(QueueQuery query) {
            return q().matching(query);
        }

        @Override
        public List<org.mstore.api.ActionFigures> figures() {
            return ActionFiguresReport.of(q(), backend.features(), backend.settings().snapshot(), ctx.now());
        }

        @Override
        public List<QueueEntry> page(QueueQuery query, long offset, int limit) {
            return q().page(query, offset, limit);
        }

        @Override
        public Optional<QueueEntry> get(long recno) {
            return q().get(recno);
        }

        @Override
        public Optional<QueueEntry> find(String mailbox, Action action) {
            return q().find(mailbox, action);
        }

        @Override
        public void forEach(Consumer<QueueEntry> sink) {
            q().forEach(sink);
        }

        @Override
        public List<QueueEntry> entriesAfter(long recno, int limit) {
            return q().entriesAfter(recno, limit);
        }

        @Override
        public Enqueued request(String mailbox, Action action) {
            try {
                return mailboxes.request(mailbox, action);
            } catch (RuntimeException e) {
                if (!backend.unreachable(e)) {
                    throw e;
                }
                // the driver's words name nodes and retries; the administrator needs what became of the request. A write
                // that timed out may still have been applied: "may not", and the Queue shows which
                throw new org.mstore.api.StoreUnreachableException("the store is unreachable: the " + action + " of " + mailbox
                        + " may not have been queued; try again when the store answers", e);
            }
        }

        @Override
        public int requestAll(Collection<org.mstore.api.QueueRequest> requests) {
            requireWritable("queue tasks");
            // a request that does not say why or by whom is recorded as this process's, through the API
            List<org.mstore.api.QueueRequest> said = new ArrayList<>(requests.size());
            for (org.mstore.api.QueueRequest r : requests) {
                said.add(r.reason() != null && r.queuedBy() != null ? r : new org.mstore.api.QueueRequest(r.mailbox(), r.action(), r.ts(),
                        r.forced(), r.reason() != null ? r.reason() : "queued through the API (requestAll)",
                        r.queuedBy() != null ? r.queuedBy() : ctx.queuedBy()));
            }
            return q().enqueueAll(said);
        }

        @Override
        public List<QueueEntry> remove(Collection<Long> recnos) {
            requireWritable("remove entries");
            return q().remove(recnos, Outcome.REMOVED, "removed by an administrator", ctx.now());
        }

        @Override
        public void forEach(QueueQuery query, Consumer<QueueEntry> sink) {
            q().forEach(query, sink);
        }

        @Override
        public List<QueueEntry> retry(Collection<Long> recnos) {
            requireWritable("retry entries");
            return q().retry(recnos, ctx.now());
        }

        @Override
        public int retryAll() {
            requireWritable("retry entries");
            return q().retryAll(ctx.now());
        }

        @Override
        public List<QueueEntry> discard(Collection<Long> recnos) {
            requireWritable("discard entries");
            return q().discard(recnos, "discarded by an administrator", ctx.now());
        }

        @Override
        public int discardAll() {
            requireWritable("discard entries");
            return q().discardAll("discarded by an administrator", ctx.now());
        }

        @Override
        public List<HistoryEntry> history(java.util.Set<Outcome> outcomes, long beforeSeq, int limit) {
            return q().history(outcomes, beforeSeq, limit);
        }

        @Override
        public long historyCount(java.util.Set<Outcome> outcomes) {
            return q().historyCount(outcomes);
        }

        @Override
        public Optional<HistoryEntry> finished(long recno) {
            return q().finished(recno);
        }

        @Override
        public List<HistoryEntry> historyAfter(long seq, int limit) {
            return q().historyAfter(seq, limit);
        }

        @Override
        public List<HistoryEntry> recentHistory(int limit) {
            return q().recentHistory(limit);
        }

        @Override
        public long maxHistorySeq() {
            return q().maxHistorySeq();
        }

        @Override
        public SortedMap<Long, Long> finishedPerMinute(long since, Outcome outcome) {
            return q().finishedPerMinute(since, outcome);
        }

        @Override
        public long bytesReclaimedSince(long since) {
            return q().bytesReclaimedSince(since);
        }

        @Override
        public List<org.mstore.api.WorkerInfo> workers() {
            List<org.mstore.api.WorkerInfo> w = q().workers();
            if (!w.isEmpty()) {
                return w;
            }
            // one worker per store: the purge session lock's holder, with its task when it is this process's daemon
            Optional<String> holder = daemon.lockHolder();
            if (holder.isEmpty()) {
                return List.of();
            }
            String name = holder.get();
            long pid = -1;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[(\\d+)]").matcher(name);
            if (m.find()) {
                pid = Long.parseLong(m.group(1));
            }
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "localhost";
            }
            DaemonStatus st = daemon.status();
            boolean mine = pid == ProcessHandle.current().pid() && st.state() == org.mstore.api.DaemonState.WORKING && st.mailbox() != null;
            Long recno = null;
            if (mine) {
                recno = q().find(st.mailbox(), st.action()).map(QueueEntry::recno).orElse(null);
            }
            return List.of(new org.mstore.api.WorkerInfo(host, pid, name, recno, mine ? st.mailbox() : null, mine ? st.action() : null,
                    mine ? st.since() : null, ctx.instant()));
        }
    }

    private final class SettingsApi implements Settings {
        @Override
        public Map<Setting, String> all() {
            return backend.settings().all();
        }

        @Override
        public Map<Setting, String> explicit() {
            return backend.settings().explicit();
        }

        @Override
        public SettingsSnapshot snapshot() {
            return backend.settings().snapshot();
        }

        @Override
        public Map<Setting, String> apply(Map<Setting, String> values) {
            requireWritable("change settings");
            return backend.settings().setAll(values);
        }

        @Override
        public void reset(Iterable<Setting> settings) {
            requireWritable("change settings");
            backend.settings().reset(settings);
        }
    }

    private final class DaemonApi implements Daemon {
        @Override
        public DaemonStatus status() {
            return daemon.status();
        }

        @Override
        public boolean running() {
            return daemon.running();
        }

        @Override
        public void start(DaemonMode mode) {
            requireWritable("start impurge");
            daemon.start(mode);
        }

        @Override
        public void stop() {
            daemon.stop(Duration.ofSeconds(60));
        }

        @Override
        public void requestStop() {
            daemon.stop(Duration.ZERO);
        }

        @Override
        public List<TaskResult> drain() {
            requireWritable("run impurge");
            return daemon.drain();
        }

        @Override
        public void runForeground(DaemonMode mode) {
            requireWritable("run impurge");
            daemon.runForeground(mode);
        }

        @Override
        public List<TaskResult> runNow(Collection<Long> recnos) {
            requireWritable("run entries");
            return daemon.runNow(recnos);
        }

        @Override
        public int sweep() {
            requireWritable("queue tasks");
            return daemon.sweep();
        }

        @Override
        public Optional<String> lockHolder() {
            return daemon.lockHolder();
        }

        @Override
        public java.util.Set<Action> setPaused(Action action, boolean paused) {
            requireWritable(paused ? "pause " + action : "resume " + action);
            synchronized (this) {
                java.util.Set<Action> now = java.util.EnumSet.noneOf(Action.class);
                now.addAll(backend.settings().snapshot().paused());
                if (paused ? now.add(action) : now.remove(action)) {
                    backend.settings().setAll(Map.of(Setting.PURGE_PAUSED, Setting.Actions.format(now)));
                }
                daemon.wake();
                return java.util.Collections.unmodifiableSet(now);
            }
        }

        @Override
        public java.util.Set<Action> paused() {
            return backend.settings().snapshot().paused();
        }

        @Override
        public void onResult(Consumer<TaskResult> l) {
            resultListener = l == null ? r -> { } : l;
        }
    }

    private final class MaintenanceApi implements Maintenance {
        @Override
        public String reconstruct(String mailbox) throws IOException {
            requireWritable("repair");
            return runner.repairNow(mailbox, options.processName());
        }

        @Override
        public CheckReport check(String mailbox) throws IOException {
            return mailboxes.check(mailbox, true);
        }

        @Override
        public CheckReport inspect(String mailbox) throws IOException {
            return mailboxes.check(mailbox, false);
        }

        @Override
        public Optional<org.mstore.api.DiskSpace> disk() {
            Optional<org.mstore.backend.SpaceReserve> r = backend.spaceReserve();
            if (r.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(r.get().space());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read the free space of the disk of " + r.get().location() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public org.mstore.api.ReclaimableSpace reclaimable(String mailbox) throws IOException {
            org.mstore.api.MailboxInfo info = mailboxesApi.find(mailbox)
                    .orElseThrow(() -> new org.mstore.api.NoSuchMailboxException(mailbox));
            if (!(backend instanceof ClassicBackend classic)) {
                return org.mstore.api.ReclaimableSpace.unknown(mailbox);
            }
            Path dir = classic.directory(info);
            long expunged = 0;
            for (org.mstore.store.ExpungeFile.Entry e : org.mstore.store.ExpungeFile.read(dir.resolve(org.mstore.store.ExpungeFile.FILE),
                    info.expunged())) {
                expunged += e.size();
            }
            int lists = 0;
            long messages = 0;
            long bytes = 0;
            for (String stamp : org.mstore.store.Mailbox.cleanupStamps(dir)) {
                List<org.mstore.store.ExpungeFile.Entry> l = org.mstore.store.ExpungeFile.read(dir.resolve(
                        org.mstore.store.ExpungeFile.FILE + "." + stamp));
                lists++;
                messages += l.size();
                for (org.mstore.store.ExpungeFile.Entry e : l) {
                    bytes += e.size();
                }
            }
            return new org.mstore.api.ReclaimableSpace(mailbox, expunged, lists, messages, bytes);
        }

        @Override
        public int rebuildMailboxList() throws IOException {
            requireWritable("rebuild the mailbox list");
            return Engine.this.rebuildMailboxList();
        }

        @Override
        public List<String> rebuildNotes() {
            return List.copyOf(rebuildNotes);
        }

        @Override
        public ExpireReport expire(Path ruleFile, boolean dryRun) throws IOException {
            List<org.mstore.expire.ExpireRule> rules = RuleFile.read(ruleFile);
            if (!dryRun) {
                requireWritable("expire messages");
            }
            return new ExpireReport(rules.size(), new Expirer(mailboxes).run(rules, dryRun));
        }
    }

    /**
     * Rebuilds the mailbox list from storage ({@code reconstruct --mboxlist}): one row per mailbox found, counts read
     * from storage (a mailbox that cannot be read is listed and queued for Repair), and the maintenance that the lost
     * queue held is queued again. Returns the number of mailboxes listed.
     */
    private int rebuildMailboxList() throws IOException {
        MessageStorage storage = backend.storage();
        long now = ctx.now();
        List<MessageStorage.Found> found = storage.scan(now);
        long cleanupSize = settingsApi.snapshot().cleanupSize();
        List<org.mstore.api.QueueRequest> pending = new ArrayList<>();
        for (MessageStorage.Found f : found) {
            String name = f.info().name();
            if (f.broken()) {
                pending.add(new org.mstore.api.QueueRequest(name, Action.REPAIR, now, false,
                        "reconstruct --mboxlist found the mailbox unreadable", ctx.queuedBy()));
            }
            if (!f.awaitingRemove().isEmpty()) {
                pending.add(new org.mstore.api.QueueRequest(name, Action.REMOVE, ctx.stampInstant(f.awaitingRemove().get(0)).toEpochMilli(), false,
                        "a Clean renamed store.exp to store.exp." + f.awaitingRemove().get(0) + " (found by reconstruct --mboxlist)",
                        ctx.queuedBy()));
            }
            if (f.info().expunged() > cleanupSize) {
                pending.add(new org.mstore.api.QueueRequest(name, backend.features().cleanupStep() ? Action.CLEAN : Action.PURGE, now, false,
                        org.mstore.api.QueueRequest.cleanupReason(f.info().expunged(), cleanupSize) + " (found by reconstruct --mboxlist)",
                        ctx.queuedBy()));
            }
        }
        ctx.meta().transact(tx -> {
            tx.clearMailboxes();
            for (MessageStorage.Found f : found) {
                tx.insert(f.info());
            }
            return null;
        });
        // a lost database lost the last UIDVALIDITY issued with it: new mailboxes get values above every one listed
        ctx.meta().issueUidValidity(found.stream().mapToLong(f -> f.info().uidValidity()).max().orElse(0));
        org.mstore.fs.CrashPoint.hit("rebuild-list.after-list");
        backend.queue().enqueueAll(pending);
        org.mstore.fs.CrashPoint.hit("rebuild-list.after-queue");
        if (backend instanceof ClassicBackend cb) {
            if (cb.freshDatabase()) {
                // the database was lost: the settings come back from their mirror
                List<String> skipped = new ArrayList<>();
                int restored = cb.restoreSettings(skipped);
                rebuildNotes.add(restored == 0 ? "no settings to restore (no " + org.mstore.config.StoreSettings.MIRROR
                        + " with values): the defaults apply" : "settings restored from " + org.mstore.config.StoreSettings.MIRROR
                        + ": " + restored + " values" + (skipped.isEmpty() ? "" : "; skipped: " + String.join("; ", skipped)));
            } else {
                cb.writeSettingsMirror();
            }
            cb.finishRebuild();
        }
        for (String n : rebuildNotes) {
            ctx.log().log(options.processName(), "General", org.mstore.api.LogLevel.NOTICE, "reconstruct --mboxlist: " + n);
        }
        return found.size();
    }
}
