package org.mstore.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.mstore.api.Action;
import org.mstore.api.DaemonState;
import org.mstore.api.MailboxInfo;
import org.mstore.api.OpenOptions;
import org.mstore.api.Outcome;
import org.mstore.api.Setting;
import org.mstore.api.StoreEvent;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.config.StoreSettings;
import org.mstore.db.Database;
import org.mstore.engine.Engine;
import org.mstore.purge.PurgeDaemon;
import org.mstore.queue.MaintenanceQueue;
import org.mstore.store.CacheFile;
import org.mstore.store.ClassicStore;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxIndex;

/**
 * {@code bench}: the engine's speed on one generated mailbox (the figures of {@code docs/benchmarks.md}).
 *
 * <ul>
 *   <li><b>reconstruct</b>: {@code store.idx} and {@code store.cache} deleted, {@code reconstruct} rebuilds
 *       them from the message files; messages per second.</li>
 *   <li><b>flags</b>: {@value #FLAG_CHANGES} flag changes on one message each of the full mailbox, each timed alone: open
 *       the mailbox, set or clear {@code \Flagged} on one UID (forced to disk), close; median and worst, in milliseconds.
 *       The same through {@code MailboxService.setFlag} (which also touches the mboxlist row) for context.</li>
 *   <li><b>lifecycle</b>: {@code \Deleted} set on every 10th UID (one UID set), expunge, then impurge drains the
 *       queue: Clean, Remove (due at once: {@code store.cleanupage} is 0s) and Purge; seconds, split per step.</li>
 *   <li><b>purge</b>: the lifecycle's Purge task as a rate (bytes of the old cache / task time); the cache rewrite alone
 *       ({@code CacheFile.rewriteLive} on a copy of the same bytes, the same records marked); beside a plain copy of a
 *       file of the same bytes (read, write, fsync).</li>
 *   <li><b>enqueue</b>: {@link MaintenanceQueue#enqueueAll} of distinct entries, beside a raw JDBC batch insert of
 *       the same rows into a scratch table of the same shape in the same H2 database, and the single-entry
 *       {@link MaintenanceQueue#enqueue} for context.</li>
 * </ul>
 *
 * Every timed part is repeated {@code rounds} times. Between rounds the message files that the lifecycle removed
 * are linked back from hard links taken before the first round (message files are never rewritten, so a link is
 * the same file), and the mailbox is rebuilt to its full size by the next round's reconstruct.
 *
 * <p>Correctness is checked after every timed step (message counts, the tasks that ran, the files removed); a
 * check that fails ends the benchmark with an exception, never a figure.
 */
public final class Benchmark {
    /** The parts that can be selected. */
    public enum Part {
        RECONSTRUCT, FLAGS, LIFECYCLE, PURGE, ENQUEUE;

        public static Part parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown benchmark part '" + s + "': use reconstruct, flags, lifecycle, purge or enqueue");
            }
        }

        public String lower() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What to run.
     *
     * @param messages   messages in the generated mailbox
     * @param dir        where the store goes ({@code dir/store}); null for a new temporary directory
     * @param keep       keep the store (and its hard-link snapshot) at the end
     * @param reuse      reuse a store kept by an earlier run in {@code dir} instead of generating one
     * @param rounds     repetitions of every timed part
     * @param parts      the parts to run
     * @param seed       the generator's seed
     * @param enqueue    entries for the batch enqueue and the raw JDBC batch
     * @param single     entries for the single-entry enqueue
     * @param dropCaches drop the OS page cache before each reconstruct (Linux, root only; a cold read)
     */
    public record Config(int messages, Path dir, boolean keep, boolean reuse, int rounds, Set<Part> parts, long seed,
                         int enqueue, int single, boolean dropCaches) {
        public Config {
            if (messages < 10 || messages > 10_000_000) {
                throw new IllegalArgumentException("--messages must be from 10 to 10000000");
            }
            if (rounds < 1 || rounds > 100) {
                throw new IllegalArgumentException("--rounds must be from 1 to 100");
            }
            if (enqueue < 1 || enqueue > 10_000_000 || single < 0 || single > 1_000_000) {
                throw new IllegalArgumentException("--enqueue must be from 1 to 10000000, --single from 0 to 1000000");
            }
            if (reuse && dir == null) {
                throw new IllegalArgumentException("--reuse needs --dir");
            }
            parts = parts == null || parts.isEmpty() ? EnumSet.allOf(Part.class) : EnumSet.copyOf(parts);
        }

        public static Config defaults() {
            return new Config(200_000, null, false, false, 3, EnumSet.allOf(Part.class), 1, 100_000, 10_000, false);
        }
    }

    /** The generated mailbox. */
    public record Generation(long messages, long bytes, double seconds, long diskBytes, boolean reused) {
    }

    /** One reconstruct round. */
    public record ReconstructRound(int messages, double seconds, boolean cold) {
        public double rate() {
            return messages / seconds;
        }
    }

    /** One lifecycle round: the step times (seconds) and what ran. */
    public record LifecycleRound(int flagged, int expunged, double setDeleted, double expunge, double drain,
                                 Map<Action, Double> tasks, List<String> ran, int filesRemoved, long cacheBefore,
                                 long cacheAfter, int messagesAfter) {
        public double total() {
            return setDeleted + expunge + drain;
        }

        public double task(Action a) {
            return tasks.getOrDefault(a, Double.NaN);
        }
    }

    /** One purge round: the lifecycle's Purge beside plain copies of the same number of bytes. */
    public record PurgeRound(long bytes, double purge, double rewrite, double copy, double transfer) {
        public double purgeRate() {
            return bytes / 1e6 / purge;
        }

        public double rewriteRate() {
            return bytes / 1e6 / rewrite;
        }

        public double copyRate() {
            return bytes / 1e6 / copy;
        }

        public double transferRate() {
            return bytes / 1e6 / transfer;
        }
    }

    /** One flag-change round: the time of each change, milliseconds, at the store and through the mailbox service. */
    public record FlagRound(double[] store, double[] service) {
        public double storeMedian() {
            return median(store);
        }

        public double storeWorst() {
            return best(store, false);
        }

        public double serviceMedian() {
            return median(service);
        }

        public double serviceWorst() {
            return best(service, false);
        }
    }

    /** One enqueue round. */
    public record EnqueueRound(int entries, double enqueueAll, double rawBatch, int single, double singleSeconds) {
    }

    /** Everything measured. */
    public record Report(Config config, Generation generation, List<ReconstructRound> reconstruct, List<FlagRound> flags,
                         List<LifecycleRound> lifecycle, List<PurgeRound> purge, List<EnqueueRound> enqueue, double[] loads, List<String> notes) {
    }

    public static final String MAILBOX = "user/" + StoreGenerator.userName(1);
    /** The reconstruct target of the issue: messages per second. */
    public static final double RECONSTRUCT_TARGET = 50_000;
    /** The lifecycle target of the issue: seconds. */
    public static final double LIFECYCLE_TARGET = 2.5;
    /** Flag changes per round (each way: set, then clear). */
    public static final int FLAG_CHANGES = 200;
    /** The flag-change target: a change on one message, fsync included, milliseconds. */
    public static final double FLAG_TARGET_MS = 5;
    private static final String BENCH_PREFIX = "user/bench";

    private final Config cfg;
    private final PrintWriter out;
    private final List<String> notes = new ArrayList<>();

    public Benchmark(Config cfg, PrintWriter out) {
        this.cfg = cfg;
        this.out = out;
    }

    // ---------------------------------------------------------------- running

    public Report run() throws IOException {
        boolean tempBase = cfg.dir() == null;
        Path base = tempBase ? Files.createTempDirectory("mstore-bench") : cfg.dir().toAbsolutePath().normalize();
        Path root = base.resolve("store");
        Path pristine = base.resolve("pristine");
        Path scratch = base.resolve("scratch");
        if (!cfg.reuse() && Files.exists(root)) {
            throw new IllegalArgumentException(root + " already exists: use --reuse to run on it, or another --dir");
        }
        if (cfg.reuse() && !Engine.exists(root)) {
            throw new IllegalArgumentException("--reuse: no store at " + root);
        }
        boolean ok = false;
        try {
            Files.createDirectories(scratch);
            Report r = run(root, pristine, scratch);
            ok = true;
            return r;
        } finally {
            ClassicStore.deleteRecursively(scratch);
            if (!cfg.keep()) {
                ClassicStore.deleteRecursively(root);
                ClassicStore.deleteRecursively(pristine);
                if (tempBase) {
                    ClassicStore.deleteRecursively(base);
                }
                say("removed the benchmark store at " + root);
            } else {
                say((ok ? "" : "after a failure: ") + "kept the benchmark store at " + root + " (rerun with --dir " + base + " --reuse)");
            }
        }
    }

    private Report run(Path root, Path pristine, Path scratch) throws IOException {
        OpenOptions opts = new OpenOptions(Clock.systemDefaultZone(), "bench", false, false);
        List<ReconstructRound> rec = new ArrayList<>();
        List<FlagRound> flags = new ArrayList<>();
        List<LifecycleRound> life = new ArrayList<>();
        List<PurgeRound> purge = new ArrayList<>();
        List<EnqueueRound> enq = new ArrayList<>();
        List<Double> loads = new ArrayList<>();
        Generation gen;
        try (Engine engine = cfg.reuse() ? Engine.open(root, opts) : Engine.init(root, opts)) {
            int n;
            if (cfg.reuse()) {
                MailboxInfo info = engine.mailboxes().get(MAILBOX);
                n = (int) (info.nextUid() - 1);
                gen = new Generation(n, info.sizeBytes(), 0, 0, true);
                say("reusing " + MAILBOX + " at " + root + ": " + n + " messages (--messages ignored)");
            } else {
                n = cfg.messages();
                say(String.format(Locale.ROOT, "generating %,d messages into %s at %s ...", n, MAILBOX, root));
                long t0 = System.nanoTime();
                StoreGenerator.Summary s = StoreGenerator.generate(engine, 1, 0, n, cfg.seed());
                double secs = seconds(t0);
                long disk = diskBytes(mailboxDir(engine));
                gen = new Generation(s.messages(), s.bytes(), secs, disk, false);
                say(String.format(Locale.ROOT, "generated %,d messages, %.1f MB of message text, in %.1f s (%,.0f msg/s); "
                        + "the mailbox takes about %.2f GB on disk", s.messages(), s.bytes() / 1e6, secs, s.messages() / secs, disk / 1e9));
            }
            Path dir = mailboxDir(engine);
            int[] tenth = everyTenth(n);
            boolean lifecycle = cfg.parts().contains(Part.LIFECYCLE) || cfg.parts().contains(Part.PURGE);
            if (lifecycle) {
                prepareSettings(engine, tenth.length);
                snapshot(dir, pristine, tenth);
            }
            for (int round = 1; round <= cfg.rounds(); round++) {
                say(String.format(Locale.ROOT, "--- round %d of %d (load average %.2f)", round, cfg.rounds(), load()));
                loads.add(load());
                int restored = Files.isDirectory(pristine) ? restore(dir, pristine, tenth) : 0;
                boolean full = engine.mailboxes().get(MAILBOX).messageCount() == n && restored == 0;
                if (cfg.parts().contains(Part.RECONSTRUCT)) {
                    rec.add(reconstruct(engine, dir, n));
                } else if (!full) {
                    // from the files, as the reconstruct part does: an intact index would keep the restored files out
                    Files.deleteIfExists(dir.resolve(MailboxIndex.FILE));
                    Files.deleteIfExists(dir.resolve(CacheFile.FILE));
                    engine.maintenance().reconstruct(MAILBOX);
                    checkFull(engine, n);
                }
                if (cfg.parts().contains(Part.FLAGS)) {
                    flags.add(flagChanges(engine, dir, n, round));
                }
                if (lifecycle) {
                    Path copySrc = scratch.resolve("cache-copy.src");
                    LifecycleRound l = lifecycle(engine, dir, n, tenth, copySrc);
                    life.add(l);
                    purge.add(plainCopies(l, copySrc, scratch.resolve("cache-copy.dst"), tenth));
                }
                if (cfg.parts().contains(Part.ENQUEUE)) {
                    enq.add(enqueue(engine));
                }
            }
        }
        loads.add(load());
        Report report = new Report(cfg, gen, rec, flags, life, purge, enq, loads.stream().mapToDouble(Double::doubleValue).toArray(),
                List.copyOf(notes));
        print(report, out);
        return report;
    }

    private static Path mailboxDir(Engine engine) {
        return ((org.mstore.classic.ClassicBackend) engine.backend()).directory(engine.mailboxes().get(MAILBOX));
    }

    /** UIDs 1, 11, 21, ... up to {@code n}: the tenth that the lifecycle deletes. */
    static int[] everyTenth(int n) {
        int[] out = new int[(n + 9) / 10];
        for (int i = 0; i < out.length; i++) {
            out[i] = 1 + 10 * i;
        }
        return out;
    }

    /** Lowers the thresholds only where they would keep a small mailbox from reaching Clean and Purge. */
    private void prepareSettings(Engine engine, int deleted) {
        Map<Setting, String> set = new EnumMap<>(Setting.class);
        set.put(Setting.CLEANUP_AGE, "0s");
        org.mstore.api.SettingsSnapshot s = engine.settings().snapshot();
        if (!s.cleanupDue(deleted)) {
            set.put(Setting.CLEANUP_SIZE, "0");
        }
        if (s.purgeCount() >= deleted) {
            set.put(Setting.PURGE_COUNT, "0");
        }
        engine.settings().apply(set);
        if (set.size() > 1) {
            note("thresholds lowered (" + set.keySet().stream().filter(k -> k != Setting.CLEANUP_AGE).map(Setting::key).toList()
                    + " set to 0) so that " + deleted + " expunged messages reach Clean and Purge");
        }
        say("store.cleanupage set to 0s: Remove is due as soon as Clean has run");
    }

    /** Hard links to the message files the lifecycle will remove, so that a later round can put them back. */
    private static void snapshot(Path dir, Path pristine, int[] uids) throws IOException {
        Files.createDirectories(pristine);
        for (int uid : uids) {
            Path keep = pristine.resolve(uid + ".msg");
            Path file = Mailbox.messageFile(dir, uid);
            if (!Files.exists(keep) && Files.exists(file)) {
                Files.createLink(keep, file);
            }
        }
    }

    /** Links back the message files an earlier round removed; returns how many. */
    private static int restore(Path dir, Path pristine, int[] uids) throws IOException {
        int n = 0;
        for (int uid : uids) {
            Path file = Mailbox.messageFile(dir, uid);
            Path keep = pristine.resolve(uid + ".msg");
            if (!Files.exists(file) && Files.exists(keep)) {
                Files.createLink(file, keep);
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- reconstruct

    private ReconstructRound reconstruct(Engine engine, Path dir, int n) throws IOException {
        Files.deleteIfExists(dir.resolve(MailboxIndex.FILE));
        Files.deleteIfExists(dir.resolve(CacheFile.FILE));
        boolean cold = cfg.dropCaches() && dropCaches();
        long t0 = System.nanoTime();
        String detail = engine.maintenance().reconstruct(MAILBOX);
        double secs = seconds(t0);
        checkFull(engine, n);
        ReconstructRound r = new ReconstructRound(n, secs, cold);
        say(String.format(Locale.ROOT, "reconstruct%s: %,d messages in %.3f s = %,.0f msg/s (%s)", cold ? " (cold cache)" : "", n, secs,
                r.rate(), detail));
        return r;
    }

    private static void checkFull(Engine engine, int n) throws IOException {
        MailboxInfo info = engine.mailboxes().get(MAILBOX);
        try (Mailbox mb = Mailbox.open(mailboxDir(engine), org.mstore.api.MailboxName.parse(MAILBOX))) {
            CacheFile.Counts c = mb.cacheCounts();
            if (info.messageCount() != n || mb.index().size() != n || c.records() != n || c.expunged() != 0) {
                throw new IllegalStateException("after reconstruct the mailbox holds " + mb.index().size() + " messages (mboxlist: "
                        + info.messageCount() + ", cache records: " + c.records() + "), not " + n);
            }
        }
    }

    /** {@code sync; echo 3 > /proc/sys/vm/drop_caches}; false (with a note) where that is not allowed. */
    private boolean dropCaches() {
        try {
            Process p = new ProcessBuilder("sync").inheritIO().start();
            p.waitFor();
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
            return true;
        } catch (IOException | RuntimeException e) {
            note("could not drop the page cache (" + e.getMessage() + "); reconstruct ran with a warm cache");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ---------------------------------------------------------------- flag changes

    /**
     * {@value #FLAG_CHANGES} changes of {@code \Flagged} on single messages spread over the mailbox, set then cleared
     * (the mailbox ends as it began), each timed alone: at the store (open, change, close) and, for context, through
     * {@code MailboxService.setFlag}. Each change must report exactly one message changed.
     */
    private FlagRound flagChanges(Engine engine, Path dir, int n, int round) throws IOException {
        java.util.Random rnd = new java.util.Random(cfg.seed() * 31 + round);
        org.mstore.api.MailboxName name = org.mstore.api.MailboxName.parse(MAILBOX);
        int flag = org.mstore.api.Flags.DRAFT; // the generator never sets it: every change below is a real change
        double[] store = new double[FLAG_CHANGES];
        double[] service = new double[FLAG_CHANGES];
        int uid = 0;
        for (int i = 0; i < FLAG_CHANGES; i++) {
            boolean on = i % 2 == 0;
            if (on) {
                uid = 1 + rnd.nextInt(n); // set on a new message, cleared by the next change
            }
            UidSet one = UidSet.parse(Integer.toString(uid));
            long t0 = System.nanoTime();
            int changed;
            try (Mailbox mb = Mailbox.open(dir, name)) {
                changed = mb.setFlag(mb.index().positions(one), flag, on);
            }
            store[i] = (System.nanoTime() - t0) / 1e6;
            // the same message back and forth again through the service
            long t1 = System.nanoTime();
            int changed2 = engine.mailboxes().setFlags(MAILBOX, one, flag, !on ? org.mstore.api.FlagMode.ADD : org.mstore.api.FlagMode.REMOVE).size();
            service[i] = (System.nanoTime() - t1) / 1e6;
            int changed3 = engine.mailboxes().setFlags(MAILBOX, one, flag, on ? org.mstore.api.FlagMode.ADD : org.mstore.api.FlagMode.REMOVE).size();
            if (changed != 1 || changed2 != 1 || changed3 != 1) {
                throw new IllegalStateException("a flag change on UID " + uid + " changed " + changed + ", " + changed2 + " and " + changed3
                        + " messages, not 1 each");
            }
        }
        FlagRound r = new FlagRound(store, service);
        say(String.format(Locale.ROOT, "flags: %d changes on one message of %,d: store median %.3f ms, worst %.3f ms; "
                + "through MailboxService median %.3f ms, worst %.3f ms", FLAG_CHANGES, n, r.storeMedian(), r.storeWorst(),
                r.serviceMedian(), r.serviceWorst()));
        return r;
    }

    // ---------------------------------------------------------------- lifecycle and purge

    private LifecycleRound lifecycle(Engine engine, Path dir, int n, int[] tenth, Path copySrc) throws IOException {
        if (engine.queue().count() != 0) {
            throw new IllegalStateException("the queue is not empty before the lifecycle: " + engine.queue().entriesAfter(0, 10));
        }
        StringBuilder set = new StringBuilder(tenth.length * 7);
        for (int uid : tenth) {
            set.append(set.length() == 0 ? "" : ",").append(uid);
        }
        String uidText = set.toString();

        long t0 = System.nanoTime();
        int flagged = engine.mailboxes().setDeleted(MAILBOX, UidSet.parse(uidText), true);
        double tDelete = seconds(t0);
        long t1 = System.nanoTime();
        org.mstore.api.ExpungeResult expunged = engine.mailboxes().expunge(MAILBOX);
        double tExpunge = seconds(t1);
        if (flagged != tenth.length || expunged.messages() != tenth.length) {
            throw new IllegalStateException("flagged " + flagged + " and expunged " + expunged.messages() + " messages, not " + tenth.length);
        }

        // Untimed: the same bytes as the cache that Purge will rewrite, for the plain-copy baseline.
        Path cache = dir.resolve(CacheFile.FILE);
        long cacheBefore = Files.size(cache);
        copyFile(cache, copySrc, false);

        Map<Action, Long> started = new EnumMap<>(Action.class);
        Map<Action, Double> taskTimes = new EnumMap<>(Action.class);
        List<TaskResult> results = new ArrayList<>();
        PurgeDaemon daemon = engine.purgeDaemon();
        engine.daemon().onResult(r -> {
            Long s = started.get(r.entry().action());
            if (s != null) {
                taskTimes.merge(r.entry().action(), (System.nanoTime() - s) / 1e9, Double::sum);
            }
        });
        AutoCloseable sub = engine.subscribe(ev -> {
            if (ev instanceof StoreEvent.DaemonChanged d && d.status().state() == DaemonState.WORKING && d.status().action() != null) {
                started.put(d.status().action(), System.nanoTime());
            }
        });
        double tDrain;
        try {
            long t2 = System.nanoTime();
            for (int pass = 0; pass < 5; pass++) {
                results.addAll(daemon.drain());
                if (engine.queue().count() == 0) {
                    break;
                }
            }
            tDrain = seconds(t2);
        } finally {
            engine.daemon().onResult(null);
            closeQuietly(sub);
        }

        List<String> ran = new ArrayList<>();
        for (TaskResult r : results) {
            ran.add(r.entry().action().label() + " " + (r.outcome() == null ? "RETRY: " + r.detail() : r.outcome()));
        }
        for (Action a : List.of(Action.CLEAN, Action.REMOVE, Action.PURGE)) {
            boolean done = results.stream().anyMatch(r -> r.entry().action() == a && r.outcome() == Outcome.DONE);
            if (!done) {
                throw new IllegalStateException("the lifecycle did not run " + a.label() + " to its end; tasks run: " + ran);
            }
        }
        if (engine.queue().count() != 0) {
            throw new IllegalStateException("the queue is not empty after the lifecycle: " + engine.queue().entriesAfter(0, 10));
        }
        int left = n - tenth.length;
        MailboxInfo info = engine.mailboxes().get(MAILBOX);
        if (info.messageCount() != left || info.cacheRecords() != left || info.cacheExpunged() != 0 || info.expunged() != 0) {
            throw new IllegalStateException("after the lifecycle the mboxlist says " + info.messageCount() + " messages, "
                    + info.cacheRecords() + " cache records (" + info.cacheExpunged() + " expunged), not " + left);
        }
        int removed = 0;
        for (int uid : tenth) {
            if (!Files.exists(Mailbox.messageFile(dir, uid))) {
                removed++;
            }
        }
        if (removed != tenth.length) {
            throw new IllegalStateException("Remove deleted " + removed + " of the " + tenth.length + " expunged message files");
        }
        try (Mailbox mb = Mailbox.open(mailboxDir(engine), org.mstore.api.MailboxName.parse(MAILBOX))) {
            CacheFile.Counts c = mb.cacheCounts();
            if (c.records() != left || c.expunged() != 0 || mb.index().size() != left) {
                throw new IllegalStateException("after Purge the cache holds " + c.records() + " records (" + c.expunged() + " expunged)");
            }
        }
        long cacheAfter = Files.size(cache);
        LifecycleRound l = new LifecycleRound(flagged, expunged.messages(), tDelete, tExpunge, tDrain, taskTimes, ran, removed,
                cacheBefore, cacheAfter, left);
        say(String.format(Locale.ROOT, "lifecycle: %.3f s = setDeleted %.3f + expunge %.3f + impurge %.3f (Clean %.3f, Remove %.3f, "
                        + "Purge %.3f); ran %s", l.total(), tDelete, tExpunge, tDrain, l.task(Action.CLEAN), l.task(Action.REMOVE),
                l.task(Action.PURGE), ran));
        return l;
    }

    private PurgeRound plainCopies(LifecycleRound l, Path src, Path dst, int[] tenth) throws IOException {
        long t0 = System.nanoTime();
        copyFile(src, dst, false);
        double copy = seconds(t0);
        Files.delete(dst);
        long t1 = System.nanoTime();
        copyFile(src, dst, true);
        double transfer = seconds(t1);
        Files.delete(dst);
        // The cache rewrite alone, on the same bytes as Purge rewrote: the copy, with the removed messages' records
        // marked as Remove marked them (untimed), rewritten as Purge rewrites it.
        java.util.Set<Integer> removed = new java.util.HashSet<>();
        for (int uid : tenth) {
            removed.add(uid);
        }
        long size = Files.size(src);
        double rewrite;
        try (CacheFile c = CacheFile.open(src, true)) {
            c.walk(size, false, (offset, uid, len, expunged) -> removed.contains(uid));
            long t2 = System.nanoTime();
            CacheFile.Rewrite rw = c.rewriteLive(dst, size, c.generation() + 1);
            rewrite = seconds(t2);
            if (rw.records() != rw.recordsBefore() - tenth.length) {
                throw new IllegalStateException("the cache rewrite kept " + rw.records() + " of " + rw.recordsBefore() + " records");
            }
        }
        Files.delete(dst);
        Files.delete(src);
        PurgeRound p = new PurgeRound(l.cacheBefore(), l.task(Action.PURGE), rewrite, copy, transfer);
        say(String.format(Locale.ROOT, "purge: %.1f MB cache rewritten (%.1f MB kept) in %.3f s = %.0f MB/s (the cache rewrite alone %.3f s = "
                        + "%.0f MB/s); plain copy %.3f s = %.0f MB/s; transferTo %.3f s = %.0f MB/s", l.cacheBefore() / 1e6, l.cacheAfter() / 1e6,
                p.purge(), p.purgeRate(), rewrite, p.rewriteRate(), copy, p.copyRate(), transfer, p.transferRate()));
        return p;
    }

    /**
     * A plain copy: read, write and fsync, through a 4 MiB heap buffer (as Purge reads and writes) or with
     * {@link FileChannel#transferTo}.
     */
    static void copyFile(Path src, Path dst, boolean transferTo) throws IOException {
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
             FileChannel o = FileChannel.open(dst, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            if (transferTo) {
                long pos = 0;
                while (pos < size) {
                    pos += in.transferTo(pos, size - pos, o);
                }
            } else {
                ByteBuffer buf = ByteBuffer.allocate(4 << 20);
                while (in.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        o.write(buf);
                    }
                    buf.clear();
                }
            }
            o.force(true);
        }
    }

    // ---------------------------------------------------------------- enqueue

    private EnqueueRound enqueue(Engine engine) {
        MaintenanceQueue q = (MaintenanceQueue) engine.backend().queue();
        Database db = ((org.mstore.classic.ClassicBackend) engine.backend()).database();
        int n = cfg.enqueue();
        long now = System.currentTimeMillis();
        List<org.mstore.api.QueueRequest> reqs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            reqs.add(new org.mstore.api.QueueRequest(benchName(i), Action.CLEAN, now, false));
        }
        clearBenchEntries(db);

        long t0 = System.nanoTime();
        int added = q.enqueueAll(reqs);
        double tAll = seconds(t0);
        if (added != n) {
            throw new IllegalStateException("enqueueAll added " + added + " entries, not " + n);
        }
        clearBenchEntries(db);

        // the same rows into the queue table itself (the program works as a database user that may not create tables)
        double tRaw = db.read(c -> {
            long t1 = System.nanoTime();
            rawInsert(c, reqs);
            double secs = seconds(t1);
            try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM maintenance_queue WHERE mailbox LIKE ?")) {
                p.setString(1, BENCH_PREFIX + "%");
                try (var rs = p.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) != n) {
                        throw new IllegalStateException("the raw batch inserted " + rs.getLong(1) + " rows, not " + n);
                    }
                }
            }
            return secs;
        });
        clearBenchEntries(db);

        int single = cfg.single();
        double tSingle = 0;
        if (single > 0) {
            long t2 = System.nanoTime();
            int ok = 0;
            for (int i = 0; i < single; i++) {
                if (q.enqueue(benchName(i), Action.CLEAN, now, false).added()) {
                    ok++;
                }
            }
            tSingle = seconds(t2);
            if (ok != single) {
                throw new IllegalStateException("single enqueue added " + ok + " entries, not " + single);
            }
            clearBenchEntries(db);
        }
        EnqueueRound r = new EnqueueRound(n, tAll, tRaw, single, tSingle);
        say(String.format(Locale.ROOT, "enqueue: enqueueAll %,d in %.3f s = %,.0f/s; raw JDBC batch %.3f s = %,.0f/s (%.1fx); "
                        + "single enqueue %,d in %.3f s = %,.0f/s", n, tAll, n / tAll, tRaw, n / tRaw, tAll / tRaw, single, tSingle,
                single == 0 ? 0 : single / tSingle));
        return r;
    }

    private static String benchName(int i) {
        return String.format(Locale.ROOT, BENCH_PREFIX + "%07d", i);
    }

    private static void rawInsert(Connection c, List<org.mstore.api.QueueRequest> reqs) throws SQLException {
        c.setAutoCommit(false);
        try (PreparedStatement p = c.prepareStatement("INSERT INTO maintenance_queue(queue_name, mailbox, action, ts, forced, lane) VALUES (?, ?, ?, ?, ?, ?)")) {
            int n = 0;
            for (org.mstore.api.QueueRequest r : reqs) {
                p.setString(1, r.action().queue());
                p.setString(2, r.mailbox());
                p.setString(3, r.action().label());
                p.setLong(4, r.ts());
                p.setBoolean(5, r.forced());
                // the lane the queue gives it (V2__queue_lanes.sql): Repair 0, a Remove waiting for its age 2, else 1
                p.setInt(6, r.action() == Action.REPAIR ? 0 : r.action() == Action.REMOVE && !r.forced() ? 2 : 1);
                p.addBatch();
                if (++n % 5000 == 0) {
                    p.executeBatch();
                }
            }
            p.executeBatch();
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static void clearBenchEntries(Database db) {
        db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM maintenance_queue WHERE mailbox LIKE ?")) {
                p.setString(1, BENCH_PREFIX + "%");
                return p.executeUpdate();
            }
        });
    }

    // ---------------------------------------------------------------- helpers

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // an event subscription: nothing to clean up
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The mailbox's size on disk: every file rounded up to 4 KiB blocks (an estimate of what {@code du} shows). */
    private static long diskBytes(Path dir) throws IOException {
        long[] total = {0};
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(p -> {
                try {
                    long size = Files.isDirectory(p) ? 4096 : Files.size(p);
                    total[0] += (size + 4095) / 4096 * 4096;
                } catch (NoSuchFileException e) {
                    // gone meanwhile
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        return total[0];
    }

    /** The system's load average over the last minute (negative where the platform does not tell). */
    static double load() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private void say(String s) {
        out.println("bench: " + s);
        out.flush();
    }

    private void note(String s) {
        notes.add(s);
        say("note: " + s);
    }

    static double best(double[] v, boolean lowest) {
        double b = lowest ? Double.MAX_VALUE : -Double.MAX_VALUE;
        for (double d : v) {
            b = lowest ? Math.min(b, d) : Math.max(b, d);
        }
        return b;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    // ---------------------------------------------------------------- the report

    /** Prints the figures: one row per figure (best and median of the rounds), then lines to paste into the docs. */
    public static void print(Report r, PrintWriter out) {
        Config c = r.config();
        int rounds = Math.max(Math.max(Math.max(r.reconstruct().size(), r.lifecycle().size()), r.enqueue().size()), r.flags().size());
        out.println();
        out.printf(Locale.ROOT, "mstore bench: %,d messages in %s, %d round%s, %d cpus, Java %s%n", r.generation().messages(), MAILBOX, rounds,
                rounds == 1 ? "" : "s", Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        if (r.loads().length > 0) {
            out.printf(Locale.ROOT, "load average (1 min) at the start of each round and at the end: %s%n",
                    String.join(", ", Arrays.stream(r.loads()).mapToObj(d -> String.format(Locale.ROOT, "%.2f", d)).toList()));
        }
        if (!r.generation().reused()) {
            out.printf(Locale.ROOT, "generation: %.1f s (%,.0f msg/s), %.1f MB of messages, ~%.2f GB on disk%n", r.generation().seconds(),
                    r.generation().messages() / r.generation().seconds(), r.generation().bytes() / 1e6, r.generation().diskBytes() / 1e9);
        }
        out.println();
        String fmt = "%-44s %14s %14s %12s %s%n";
        out.printf(Locale.ROOT, fmt, "figure", "best", "median", "target", "");
        out.printf(Locale.ROOT, fmt, "-".repeat(44), "-".repeat(14), "-".repeat(14), "-".repeat(12), "");
        List<String> paste = new ArrayList<>();
        if (!r.reconstruct().isEmpty()) {
            double[] rate = r.reconstruct().stream().mapToDouble(ReconstructRound::rate).toArray();
            double[] secs = r.reconstruct().stream().mapToDouble(ReconstructRound::seconds).toArray();
            boolean cold = r.reconstruct().get(0).cold();
            double b = best(rate, false);
            out.printf(Locale.ROOT, fmt, "reconstruct" + (cold ? ", cold cache" : "") + " (msg/s)", num(b), num(median(rate)), ">= 50,000",
                    b >= RECONSTRUCT_TARGET ? "met" : "MISSED");
            out.printf(Locale.ROOT, fmt, "  seconds", sec(best(secs, true)), sec(median(secs)), "", "");
            paste.add(String.format(Locale.ROOT, "reconstruct%s: %,d messages, best %.3f s = %,.0f msg/s, median %.3f s = %,.0f msg/s "
                            + "(target >= 50,000 msg/s: %s)", cold ? " (cold page cache)" : "", r.reconstruct().get(0).messages(),
                    best(secs, true), b, median(secs), median(rate), b >= RECONSTRUCT_TARGET ? "met" : "missed"));
        }
        if (!r.flags().isEmpty()) {
            double[] med = r.flags().stream().mapToDouble(FlagRound::storeMedian).toArray();
            double[] worst = r.flags().stream().mapToDouble(FlagRound::storeWorst).toArray();
            double[] smed = r.flags().stream().mapToDouble(FlagRound::serviceMedian).toArray();
            double[] sworst = r.flags().stream().mapToDouble(FlagRound::serviceWorst).toArray();
            double b = best(med, true);
            out.printf(Locale.ROOT, fmt, "flag change, one message, median (ms)", ms(b), ms(median(med)), "< 5 ms",
                    b < FLAG_TARGET_MS ? "met" : "MISSED");
            out.printf(Locale.ROOT, fmt, "  worst of the round (ms)", ms(best(worst, true)), ms(median(worst)), "", "");
            out.printf(Locale.ROOT, fmt, "  through MailboxService, median (ms)", ms(best(smed, true)), ms(median(smed)), "", "");
            out.printf(Locale.ROOT, fmt, "  through MailboxService, worst (ms)", ms(best(sworst, true)), ms(median(sworst)), "", "");
            paste.add(String.format(Locale.ROOT, "flag change on one message of %,d (open, change, fsync, close; %d per round): median best %.3f ms, "
                            + "median of rounds %.3f ms, worst best %.3f ms, median worst %.3f ms (target < 5 ms: %s); through MailboxService "
                            + "(with the mboxlist touch): median %.3f ms, worst %.3f ms", r.generation().messages(), FLAG_CHANGES, b, median(med),
                    best(worst, true), median(worst), b < FLAG_TARGET_MS ? "met" : "missed", median(smed), median(sworst)));
        }
        if (!r.lifecycle().isEmpty()) {
            List<LifecycleRound> l = r.lifecycle();
            double[] total = l.stream().mapToDouble(LifecycleRound::total).toArray();
            double b = best(total, true);
            out.printf(Locale.ROOT, fmt, "lifecycle: delete+expunge 10%, impurge (s)", sec(b), sec(median(total)), "< 2.5 s",
                    b < LIFECYCLE_TARGET ? "met" : "MISSED");
            row(out, fmt, "  setDeleted (every 10th UID)", l.stream().mapToDouble(LifecycleRound::setDeleted).toArray());
            row(out, fmt, "  expunge", l.stream().mapToDouble(LifecycleRound::expunge).toArray());
            row(out, fmt, "  impurge drain", l.stream().mapToDouble(LifecycleRound::drain).toArray());
            for (Action a : List.of(Action.CLEAN, Action.REMOVE, Action.PURGE)) {
                row(out, fmt, "    " + a.label(), l.stream().mapToDouble(x -> x.task(a)).toArray());
            }
            paste.add(String.format(Locale.ROOT, "lifecycle: %,d of %,d messages deleted and expunged, then Clean + Remove + Purge: best %.3f s, "
                            + "median %.3f s (target < 2.5 s: %s); best split: setDeleted %.3f, expunge %.3f, impurge %.3f "
                            + "(Clean %.3f, Remove %.3f, Purge %.3f); tasks run: %s", l.get(0).expunged(), l.get(0).expunged() + l.get(0).messagesAfter(),
                    b, median(total), b < LIFECYCLE_TARGET ? "met" : "missed", bestRound(l).setDeleted(), bestRound(l).expunge(),
                    bestRound(l).drain(), bestRound(l).task(Action.CLEAN), bestRound(l).task(Action.REMOVE), bestRound(l).task(Action.PURGE),
                    String.join(", ", l.get(0).ran())));
        }
        if (!r.purge().isEmpty()) {
            List<PurgeRound> p = r.purge();
            double[] pr = p.stream().mapToDouble(PurgeRound::purgeRate).toArray();
            double[] rr = p.stream().mapToDouble(PurgeRound::rewriteRate).toArray();
            double[] cr = p.stream().mapToDouble(PurgeRound::copyRate).toArray();
            double[] tr = p.stream().mapToDouble(PurgeRound::transferRate).toArray();
            double[] ratio = p.stream().mapToDouble(x -> x.rewriteRate() / x.copyRate()).toArray();
            double[] taskRatio = p.stream().mapToDouble(x -> x.purgeRate() / x.copyRate()).toArray();
            out.printf(Locale.ROOT, fmt, String.format(Locale.ROOT, "Purge cache rewrite, %.1f MB (MB/s)", p.get(0).bytes() / 1e6),
                    num(best(pr, false)), num(median(pr)), "", "");
            out.printf(Locale.ROOT, fmt, "  the cache rewrite alone (MB/s)", num(best(rr, false)), num(median(rr)), "", "");
            out.printf(Locale.ROOT, fmt, "  rewrite alone / plain copy, same round", String.format(Locale.ROOT, "%.2f", best(ratio, false)),
                    String.format(Locale.ROOT, "%.2f", median(ratio)), ">= 0.70", median(ratio) >= 0.7 ? "met" : "MISSED");
            out.printf(Locale.ROOT, fmt, "  Purge task / plain copy, same round", String.format(Locale.ROOT, "%.2f", best(taskRatio, false)),
                    String.format(Locale.ROOT, "%.2f", median(taskRatio)), "", "");
            out.printf(Locale.ROOT, fmt, "  plain copy, 4 MiB buffer + fsync (MB/s)", num(best(cr, false)), num(median(cr)), "", "");
            out.printf(Locale.ROOT, fmt, "  plain copy, transferTo + fsync (MB/s)", num(best(tr, false)), num(median(tr)), "", "");
            paste.add(String.format(Locale.ROOT, "purge: rewrite of a %.1f MB cache (10%% of records expunged), the Purge task best %.0f MB/s, "
                            + "median %.0f MB/s; the cache rewrite alone best %.0f MB/s, median %.0f MB/s; plain copy of the same bytes (read + "
                            + "write + fsync): best %.0f MB/s, median %.0f MB/s (transferTo: best %.0f, median %.0f); rewrite / copy in the same "
                            + "round: median %.2f (task / copy %.2f)",
                    p.get(0).bytes() / 1e6, best(pr, false), median(pr), best(rr, false), median(rr), best(cr, false), median(cr),
                    best(tr, false), median(tr), median(ratio), median(taskRatio)));
        }
        if (!r.enqueue().isEmpty()) {
            List<EnqueueRound> e = r.enqueue();
            double[] all = e.stream().mapToDouble(x -> x.entries() / x.enqueueAll()).toArray();
            double[] raw = e.stream().mapToDouble(x -> x.entries() / x.rawBatch()).toArray();
            out.printf(Locale.ROOT, fmt, String.format(Locale.ROOT, "enqueueAll, %,d entries (entries/s)", e.get(0).entries()),
                    num(best(all, false)), num(median(all)), "", "");
            out.printf(Locale.ROOT, fmt, "  raw JDBC batch INSERT, same rows (rows/s)", num(best(raw, false)), num(median(raw)), "", "");
            String singleLine = "";
            if (e.get(0).single() > 0) {
                double[] one = e.stream().mapToDouble(x -> x.single() / x.singleSeconds()).toArray();
                out.printf(Locale.ROOT, fmt, String.format(Locale.ROOT, "  enqueue one by one, %,d (entries/s)", e.get(0).single()),
                        num(best(one, false)), num(median(one)), "", "");
                singleLine = String.format(Locale.ROOT, "; one enqueue() per entry (%,d): best %,.0f/s, median %,.0f/s", e.get(0).single(),
                        best(one, false), median(one));
            }
            paste.add(String.format(Locale.ROOT, "enqueue: %,d entries with enqueueAll: best %,.0f/s (%.3f s), median %,.0f/s; raw JDBC batch "
                            + "INSERT of the same rows: best %,.0f/s (%.3f s), median %,.0f/s%s", e.get(0).entries(), best(all, false),
                    e.get(0).entries() / best(all, false), median(all), best(raw, false), e.get(0).entries() / best(raw, false), median(raw),
                    singleLine));
        }
        out.println();
        for (String n : r.notes()) {
            out.println("note: " + n);
        }
        for (String s : paste) {
            out.println("- " + s);
        }
        out.flush();
    }

    private static LifecycleRound bestRound(List<LifecycleRound> l) {
        LifecycleRound b = l.get(0);
        for (LifecycleRound x : l) {
            if (x.total() < b.total()) {
                b = x;
            }
        }
        return b;
    }

    private static void row(PrintWriter out, String fmt, String label, double[] secs) {
        out.printf(Locale.ROOT, fmt, label, sec(best(secs, true)), sec(median(secs)), "", "");
    }

    private static String num(double d) {
        return String.format(Locale.ROOT, "%,.0f", d);
    }

    private static String ms(double d) {
        return String.format(Locale.ROOT, "%.3f ms", d);
    }

    private static String sec(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.3f s", d);
    }
}
