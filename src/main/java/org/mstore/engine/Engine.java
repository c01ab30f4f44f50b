package org.mstore.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.mstore.api.Action;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MailboxName;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.SessionLockedException;
import org.mstore.api.TaskResult;
import org.mstore.config.StoreSettings;
import org.mstore.db.ChangeLog;
import org.mstore.db.Database;
import org.mstore.fs.OwnerOnly;
import org.mstore.log.StoreLog;
import org.mstore.mailbox.MailboxService;
import org.mstore.mailbox.StoreContext;
import org.mstore.mboxlist.MailboxList;
import org.mstore.purge.PurgeDaemon;
import org.mstore.purge.TaskRunner;
import org.mstore.queue.MaintenanceQueue;
import org.mstore.store.CacheFile;
import org.mstore.store.ClassicStore;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxIndex;

/**
 * One open store: the facade that the CLI, the console and the tests call. It wires the classic store,
 * the mboxlist, the queues, the settings, the default log and the impurge daemon, and publishes
 * {@link EngineEvent}s. Every console action is one call here. No JavaFX below this line.
 */
public final class Engine implements AutoCloseable {
    private final Path root;
    private final EngineOptions options;
    private final Database db;
    private final StoreContext ctx;
    private final MailboxService mailboxes;
    private final TaskRunner runner;
    private final PurgeDaemon daemon;
    private final ChangeLog changes;
    private final CopyOnWriteArrayList<Consumer<EngineEvent>> listeners = new CopyOnWriteArrayList<>();
    private final ChangeWatcher watcher;

    private Engine(Path root, Database db, EngineOptions options) {
        this.root = root;
        this.options = options;
        this.db = db;
        StoreSettings settings = new StoreSettings(db, options.clock());
        this.ctx = new StoreContext(new ClassicStore(root), db, new MailboxList(db), new MaintenanceQueue(db), settings,
                new StoreLog(root, options.clock()), options.clock(), options.processName());
        this.mailboxes = new MailboxService(ctx);
        this.runner = new TaskRunner(ctx, mailboxes);
        this.daemon = new PurgeDaemon(ctx, runner, s -> publish(new EngineEvent.DaemonChanged(s)));
        this.changes = new ChangeLog(db);
        this.watcher = options.watchChanges() ? new ChangeWatcher(ctx.queue(), changes, this::publish, 250) : null;
        ctx.queue().onChange(this::changed);
        settings.onChange(this::changed);
    }

    /** Creates a new, empty store at {@code root} (which must not hold one). */
    public static Engine init(Path root, EngineOptions options) throws IOException {
        Path r = root.toAbsolutePath().normalize();
        if (Database.exists(r)) {
            throw new IOException("a store already exists at " + r);
        }
        boolean existed = Files.exists(r);
        if (existed && !Files.isDirectory(r)) {
            throw new IOException("cannot create a store at " + r + ": it is a file");
        }
        if (existed) {
            try (var entries = Files.list(r)) {
                if (entries.anyMatch(p -> !p.getFileName().toString().startsWith("."))) {
                    throw new IOException("cannot create a store at " + r + ": the directory is not empty");
                }
            }
        }
        try {
            OwnerOnly.createDirectories(r.resolve(ClassicStore.PARTITIONS).resolve(ClassicStore.DEFAULT_PARTITION));
            OwnerOnly.createDirectories(r.resolve(StoreLog.DIR));
            OwnerOnly.restrict(r); // an empty directory given to init may have been made with wider modes
            return open(r, options, true);
        } catch (IOException | RuntimeException e) {
            for (String d : new String[] {ClassicStore.PARTITIONS, StoreLog.DIR, Database.DIR}) {
                ClassicStore.deleteRecursively(r.resolve(d));
            }
            if (!existed) {
                Files.deleteIfExists(r);
            }
            throw e;
        }
    }

    /** Opens an existing store. */
    public static Engine open(Path root, EngineOptions options) throws IOException {
        return open(root.toAbsolutePath().normalize(), options, false);
    }

    private static Engine open(Path root, EngineOptions options, boolean create) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("no store at " + root + " (not a directory)");
        }
        Database db;
        try {
            db = Database.open(root, create);
        } catch (SQLException e) {
            throw new IOException("cannot open the mboxlist database of " + root + ": " + firstLine(e.getMessage()), e);
        }
        Engine engine = new Engine(root, db, options);
        if (!options.readOnly()) {
            engine.housekeeping();
        }
        if (engine.watcher != null) {
            engine.watcher.start();
        }
        if (options.startDaemon() && engine.settings().snapshot().purgeEnable()) {
            try {
                engine.daemon.start(PurgeDaemon.Mode.daemon());
            } catch (SessionLockedException e) {
                // the daemon's status says so; the console shows it
            }
        }
        return engine;
    }

    /** Opens a store for {@code rebuildMailboxList} when its database is lost: creates an empty one. */
    public static Engine openForRebuild(Path root, EngineOptions options) throws IOException {
        return open(root.toAbsolutePath().normalize(), options, true);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private void housekeeping() {
        long monthAgo = ctx.now() - Duration.ofDays(30).toMillis();
        ctx.queue().pruneHistory(monthAgo);
        changes.prune(100_000);
    }

    // ---------------------------------------------------------------- parts

    public Path root() {
        return root;
    }

    public EngineOptions options() {
        return options;
    }

    public StoreContext context() {
        return ctx;
    }

    public MailboxService mailboxes() {
        return mailboxes;
    }

    public MaintenanceQueue queue() {
        return ctx.queue();
    }

    public StoreSettings settings() {
        return ctx.settings();
    }

    public StoreLog log() {
        return ctx.log();
    }

    public PurgeDaemon daemon() {
        return daemon;
    }

    public Database database() {
        return db;
    }

    // ---------------------------------------------------------------- one call per console action

    public List<MailboxInfo> listMailboxes() {
        return ctx.mboxlist().list();
    }

    public MailboxInfo mailbox(String name) {
        return mailboxes.info(name);
    }

    /** Refuses a change when the store was opened read-only. */
    private void requireWritable(String what) {
        if (options.readOnly()) {
            throw new IllegalStateException("read-only: cannot " + what);
        }
    }

    public boolean readOnly() {
        return options.readOnly();
    }

    /** "Repair now", "Clean now", "Purge now": a forced entry, run by the daemon (or by {@link #runNow}). */
    public MaintenanceQueue.Enqueued request(String mailbox, Action action) {
        requireWritable("queue " + action);
        return mailboxes.request(mailbox, action);
    }

    /** Starts the impurge daemon (see {@link PurgeDaemon#start}). */
    public void startDaemon(PurgeDaemon.Mode mode) {
        requireWritable("start impurge");
        daemon.start(mode);
    }

    /** Stops the impurge daemon after its current task. */
    public void stopDaemon() {
        daemon.stop(Duration.ofSeconds(60));
    }

    /** Saves settings, all or none (see {@link StoreSettings#setAll}). */
    public java.util.Map<org.mstore.api.Setting, String> applySettings(java.util.Map<org.mstore.api.Setting, String> values) {
        requireWritable("change settings");
        return ctx.settings().setAll(values);
    }

    /** "Check": the full sanity check; corruption is logged and queues a Repair. */
    public MailboxService.CheckReport check(String mailbox) throws IOException {
        return mailboxes.check(mailbox, !options.readOnly());
    }

    /** Runs the selected entries now (forced). */
    public List<TaskResult> runNow(Collection<Long> recnos) {
        requireWritable("run entries");
        return daemon.runNow(recnos);
    }

    /** Removes the selected entries from the queue (an administrator's decision, recorded in the history). */
    public List<QueueEntry> removeEntries(Collection<Long> recnos) {
        requireWritable("remove entries");
        return ctx.queue().remove(recnos, Outcome.REMOVED, "removed by an administrator", ctx.now());
    }

    /** {@code reconstruct <mailbox>}: repairs now, outside the queue. */
    public String reconstruct(String mailbox) throws IOException {
        requireWritable("repair");
        return runner.repairNow(mailbox, options.processName());
    }

    /**
     * Rebuilds the mboxlist from the partitions ({@code reconstruct --mboxlist}): one row per mailbox
     * directory, counts read from each index (a mailbox whose index cannot be read is listed and queued for
     * Repair), and the Remove and Clean work that the lost queue held is queued again. Returns the number of
     * mailboxes listed.
     */
    public int rebuildMailboxList() throws IOException {
        List<ClassicStore.Found> found = ctx.layout().scan();
        long now = ctx.now();
        java.util.List<MailboxInfo> rows = new java.util.ArrayList<>();
        java.util.List<String> broken = new java.util.ArrayList<>();
        for (ClassicStore.Found f : found) {
            MailboxInfo info;
            try (Mailbox mb = Mailbox.open(f.dir(), f.name())) {
                var h = mb.index().header();
                var counts = mb.cacheCounts();
                info = MailboxInfo.created(f.name().toString(), f.partition(), h.uidValidity() & 0xffffffffL, java.time.Instant.ofEpochMilli(now))
                        .edit().nextUid(h.nextUid()).messages(h.recordCount(), h.totalSize()).expunged(mb.pendingExpunged())
                        .cache(counts.records(), counts.expunged()).build();
            } catch (org.mstore.api.MailboxFormatException e) {
                info = MailboxInfo.created(f.name().toString(), f.partition(), lostUidValidity(f.dir(), now), java.time.Instant.ofEpochMilli(now));
                broken.add(f.name().toString());
            }
            rows.add(info);
        }
        // The queue lived in the same database: queue again what the disk says is pending.
        long cleanupSize = ctx.settings().snapshot().cleanupSize();
        java.util.List<MaintenanceQueue.Request> pending = new java.util.ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            java.util.List<String> stamps = Mailbox.cleanupStamps(found.get(i).dir());
            if (!stamps.isEmpty()) {
                pending.add(new MaintenanceQueue.Request(rows.get(i).name(), Action.REMOVE, ctx.stampInstant(stamps.get(0)).toEpochMilli(), false));
            }
            if (rows.get(i).expunged() > cleanupSize) {
                pending.add(new MaintenanceQueue.Request(rows.get(i).name(), Action.CLEAN, now, false));
            }
        }
        db.inTransaction(c -> {
            ctx.mboxlist().clear(c);
            for (MailboxInfo m : rows) {
                ctx.mboxlist().insert(c, m);
            }
            return null;
        });
        for (String b : broken) {
            ctx.queue().enqueue(b, Action.REPAIR, now, false);
        }
        ctx.queue().enqueueAll(pending);
        return rows.size();
    }

    /** The UID validity of a mailbox that cannot be opened: from what is left of its index or cache, else new. */
    private static long lostUidValidity(Path dir, long now) {
        MailboxIndex.Header h = MailboxIndex.salvage(dir.resolve(MailboxIndex.FILE)).header();
        if (h != null) {
            return h.uidValidity() & 0xffffffffL;
        }
        try (CacheFile cache = CacheFile.open(dir.resolve(CacheFile.FILE), false)) {
            return cache.uidValidity() & 0xffffffffL;
        } catch (IOException e) {
            return (int) (now / 1000);
        }
    }

    // ---------------------------------------------------------------- events

    /** Subscribes to engine events; they arrive on engine threads (the console moves them to its own). */
    public AutoCloseable subscribe(Consumer<EngineEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void publish(EngineEvent e) {
        for (Consumer<EngineEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                org.slf4j.LoggerFactory.getLogger(Engine.class).warn("event listener failed", ex);
            }
        }
    }

    private void changed() {
        if (watcher != null) {
            watcher.poke();
        }
        daemon.wake();
    }

    /** Publishes what changed in the database now (tests use it instead of waiting for the poll). */
    public void pollChanges() {
        if (watcher != null) {
            watcher.pollOnce();
        }
    }

    @Override
    public void close() {
        daemon.stop(Duration.ofSeconds(30));
        if (watcher != null) {
            watcher.stop();
        }
        db.close();
    }
}
