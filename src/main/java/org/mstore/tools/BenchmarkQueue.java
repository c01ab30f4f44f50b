package org.mstore.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.mstore.api.Action;
import org.mstore.api.DaemonMode;
import org.mstore.api.MailboxInfo;
import org.mstore.api.OpenOptions;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueRequest;
import org.mstore.classic.ClassicBackend;
import org.mstore.db.ChangeLog;
import org.mstore.engine.Engine;
import org.mstore.store.ClassicStore;

/**
 * {@code bench --drain}: how fast impurge drains a deep queue of entries that are only dropped or skipped (the issue's
 * 400,000 entries for deleted mailboxes at 0.8 tasks/s), and how fast {@code imcheck -q} prints a million entries.
 *
 * <ul>
 *   <li><b>drain</b>: for each kind ({@code dropped}: entries for mailboxes that do not exist; {@code skipped}: Clean,
 *       Purge and Repair entries of existing mailboxes whose thresholds are not met or that were repaired after the
 *       request) and each depth, a new store's queue is filled through the API ({@code requestAll}), then the daemon
 *       drains it as {@code impurge --exit-when-empty} does ({@code runForeground(drainAndExit)}) in the store opened
 *       anew; the time of every result is taken, and the CPU time of the process. Figures: tasks/s over the whole drain, the per-task cost of the first 1,000 tasks (the queue
 *       at its full depth) and of a steady window in the middle.</li>
 *   <li><b>imcheck</b>: {@code imcheck -q} run as a process ({@code java -cp <this class path> org.mstore.cli.Main})
 *       on a store holding the largest depth: time to its first line and to its last, lines counted.</li>
 *   <li><b>commit order</b>: what the change log's ordering costs a transaction: 5,000 transactions that write one
 *       change-log range (taking the counter row's lock) beside 5,000 that write nothing.</li>
 * </ul>
 * Every drain is checked: the queue ends empty and the history holds one row per entry with the expected outcome.
 */
public final class BenchmarkQueue {
    /** The kinds of entries a drain is made of. */
    public enum Kind {
        DROPPED, SKIPPED;

        public static Kind parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown drain kind '" + s + "': use dropped or skipped");
            }
        }

        String lower() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What to run.
     *
     * @param depths  queue depths to drain
     * @param kinds   the kinds of entries
     * @param dir     where the stores go (a new temporary directory when null); each is deleted after its run unless kept
     * @param keep    keep the stores
     * @param imcheck time {@code imcheck -q} as a process at the largest depth
     * @param childHeap the child process's {@code -Xmx} for {@code imcheck -q} (a modest heap, as an admin's shell has)
     * @param warmUp  dropped entries drained before anything is timed (the JIT's warm-up)
     * @param imcheckRounds how many times {@code imcheck -q} is run
     */
    public record Config(List<Integer> depths, Set<Kind> kinds, Path dir, boolean keep, boolean imcheck, String childHeap, int warmUp,
                         int imcheckRounds) {
        public Config {
            if (depths == null || depths.isEmpty()) {
                depths = List.of(1_000, 100_000, 1_000_000);
            }
            for (int d : depths) {
                if (d < 1 || d > 10_000_000) {
                    throw new IllegalArgumentException("--depths must be from 1 to 10000000, not " + d);
                }
            }
            kinds = kinds == null || kinds.isEmpty() ? EnumSet.allOf(Kind.class) : EnumSet.copyOf(kinds);
            childHeap = childHeap == null ? "256m" : childHeap;
            if (warmUp < 1 || imcheckRounds < 1) {
                throw new IllegalArgumentException("the warm-up and the imcheck rounds must be 1 or more");
            }
        }

        /** The defaults of {@code bench --drain}: depths 1,000, 100,000 and 1,000,000, both kinds, imcheck timed 3 times. */
        public static Config defaults(Path dir) {
            return new Config(null, null, dir, false, true, null, 20_000, 3);
        }
    }

    /**
     * One drain: its depth, how long the queue took to fill, and the drain's times: wall-clock, the CPU time of this
     * whole process (every thread, H2's background writer included) over the drain, and the CPU time of the daemon's
     * own thread (where H2 runs each statement) over the 1,000 tasks after the first result — what a task costs at the
     * queue's full depth, apart from H2's writing out of the fill in the background and from impurge's start-up (the
     * session lock, stale claims voided, one sweep of the mailbox list), which is reported apart ({@code startMillis}, to
     * the first result). A shared machine's load disturbs CPU times much less than the wall clock.
     */
    public record Drain(Kind kind, int depth, double fillSeconds, double drainSeconds, double firstCostMicros, double steadyCostMicros,
                        double cpuSeconds, double firstCpuMicros, double startMillis, double startCpuMillis) {
        public double rate() {
            return depth / drainSeconds;
        }

        public double costMicros() {
            return drainSeconds * 1e6 / depth;
        }

        public double cpuMicros() {
            return cpuSeconds * 1e6 / depth;
        }
    }

    /** The {@code imcheck -q} process: wall-clock times, and its CPU time at its first line and in all. */
    public record Imcheck(int entries, long lines, double firstLineSeconds, double firstEntrySeconds, double totalSeconds,
                          double firstLineCpuSeconds, double cpuSeconds) {
    }

    /** Everything measured; the commit-order figures are µs per transaction (medians). */
    public record Report(List<Drain> drains, List<Imcheck> imcheck, double commitWithLog, double commitWithoutLog) {
    }

    private static final int WINDOW = 1_000;
    private final Config cfg;
    private final PrintWriter out;

    public BenchmarkQueue(Config cfg, PrintWriter out) {
        this.cfg = cfg;
        this.out = out;
    }

    public Report run() throws Exception {
        Path base = cfg.dir() == null ? Files.createTempDirectory("mstore-bench-queue") : cfg.dir().toAbsolutePath().normalize();
        Files.createDirectories(base);
        out.printf(Locale.ROOT, "bench --drain: %d vCPUs, max heap %d MB, load %.2f; stores in %s%n", Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, load(), base);
        out.flush();
        warmUp(base.resolve("warm-up"));
        List<Drain> drains = new ArrayList<>();
        for (Kind k : cfg.kinds()) {
            for (int depth : cfg.depths()) {
                Path root = base.resolve("drain-" + k.lower() + "-" + depth);
                Drain d = drain(root, k, depth, false);
                drains.add(d);
                out.printf(Locale.ROOT, "  %-7s %,10d entries: fill %7.1f s, drain %8.2f s = %,8.0f tasks/s, %6.0f µs/task "
                                + "(process CPU %4.0f µs); start-up %5.0f ms (CPU %4.0f ms), then %,d tasks at %4.0f µs/task (daemon thread "
                                + "CPU %4.0f µs); mid-drain %4.0f µs/task (load %.2f)%n",
                        k.lower(), depth, d.fillSeconds(), d.drainSeconds(), d.rate(), d.costMicros(), d.cpuMicros(), d.startMillis(),
                        d.startCpuMillis(), Math.max(1, Math.min(WINDOW, depth - 1)), d.firstCostMicros(), d.firstCpuMicros(),
                        d.steadyCostMicros(), load());
                out.flush();
                if (!cfg.keep()) {
                    ClassicStore.deleteRecursively(root);
                }
            }
        }
        List<Imcheck> imchecks = new ArrayList<>();
        if (cfg.imcheck()) {
            int depth = cfg.depths().stream().max(Integer::compare).orElseThrow();
            Path root = base.resolve("imcheck-" + depth);
            fill(root, Kind.DROPPED, depth).close();
            for (int round = 1; round <= cfg.imcheckRounds(); round++) {
                Imcheck i = imcheck(root, depth);
                imchecks.add(i);
                out.printf(Locale.ROOT, "  imcheck -q, %,d entries (process, -Xmx%s), round %d: first line %.3f s (CPU %.2f s), "
                                + "first entry %.3f s, all %,d lines %.2f s (CPU %.2f s) (load %.2f)%n", depth, cfg.childHeap(), round,
                        i.firstLineSeconds(), i.firstLineCpuSeconds(), i.firstEntrySeconds(), i.lines(), i.totalSeconds(), i.cpuSeconds(), load());
                out.flush();
            }
            if (!cfg.keep()) {
                ClassicStore.deleteRecursively(root);
            }
        }
        int deepest = cfg.depths().stream().max(Integer::compare).orElseThrow();
        double[] paused = pausedPicks(base.resolve("paused"), deepest, 1_000);
        out.printf(Locale.ROOT, "  a pick with Purge paused: median %.0f µs with %,d paused Purges queued, %.0f µs with none (load %.2f)%n",
                paused[0], deepest, paused[1], load());
        out.flush();
        double[] commit = commitOrderCost(base.resolve("commit-order"));
        if (cfg.dir() == null && !cfg.keep()) {
            ClassicStore.deleteRecursively(base);
        }
        return new Report(drains, imchecks, commit[0], commit[1]);
    }

    /** CPU time of this process, every thread (ns). */
    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** A drain of dropped entries in a scratch store, so that the JIT has compiled the path before it is timed. */
    private void warmUp(Path root) throws Exception {
        drain(root, Kind.DROPPED, cfg.warmUp(), true);
        ClassicStore.deleteRecursively(root);
    }

    private static OpenOptions options() {
        return new OpenOptions(Clock.systemDefaultZone(), "impurge", false, false);
    }

    /** A new store whose queue holds {@code depth} entries of {@code kind}; returned open. */
    static Engine fill(Path root, Kind kind, int depth) throws IOException {
        if (Files.exists(root)) {
            ClassicStore.deleteRecursively(root);
        }
        Engine e = Engine.init(root, options());
        long now = e.clock().millis();
        List<QueueRequest> chunk = new ArrayList<>();
        if (kind == Kind.DROPPED) {
            for (int i = 0; i < depth; i++) {
                chunk.add(new QueueRequest(String.format(Locale.ROOT, "user/gone%08d", i), Action.values()[i % 3], now, false));
                if (chunk.size() == 50_000) {
                    e.queue().requestAll(chunk);
                    chunk.clear();
                }
            }
        } else {
            // three entries per mailbox: a Clean (Expunged 0), a Purge (no expunged cache records) and a Repair requested an
            // hour before the mailbox's last repair: each is skipped by its re-check
            int mailboxes = (depth + 2) / 3;
            List<MailboxInfo> rows = new ArrayList<>();
            Instant created = Instant.ofEpochMilli(now);
            for (int m = 0; m < mailboxes; m++) {
                rows.add(new MailboxInfo(String.format(Locale.ROOT, "user/kept%08d", m), ClassicStore.DEFAULT_PARTITION, now + m, 1, 0, 0, 0,
                        0, 0, created, null, null, null, created));
                if (rows.size() == 10_000 || m == mailboxes - 1) {
                    List<MailboxInfo> batch = List.copyOf(rows);
                    e.context().meta().transact(tx -> {
                        batch.forEach(tx::insert);
                        return null;
                    });
                    rows.clear();
                }
            }
            Action[] skippable = {Action.CLEAN, Action.PURGE, Action.REPAIR};
            for (int i = 0; i < depth; i++) {
                Action a = skippable[i % 3];
                chunk.add(new QueueRequest(String.format(Locale.ROOT, "user/kept%08d", i / 3), a,
                        a == Action.REPAIR ? now - Duration.ofHours(1).toMillis() : now, false));
                if (chunk.size() == 50_000) {
                    e.queue().requestAll(chunk);
                    chunk.clear();
                }
            }
        }
        if (!chunk.isEmpty()) {
            e.queue().requestAll(chunk);
        }
        if (e.queue().count() != depth) {
            throw new IllegalStateException("the queue holds " + e.queue().count() + " entries, not " + depth);
        }
        return e;
    }

    /**
     * What a paused action costs a pick (store.purge.paused): the median time to claim one of {@code picks} Cleans with
     * Purge paused, first behind {@code depth} waiting Purges queued before them, then in a store without any. A paused
     * action's entries are lanes the pick does not read, so the two should be alike.
     */
    public static double[] pausedPicks(Path root, int depth, int picks) throws Exception {
        double[] out = new double[2];
        for (int round = 0; round < 2; round++) {
            int purges = round == 0 ? depth : 0;
            if (Files.exists(root)) {
                ClassicStore.deleteRecursively(root);
            }
            try (Engine e = Engine.init(root, options())) {
                long now = e.clock().millis();
                List<QueueRequest> chunk = new ArrayList<>();
                for (int i = 0; i < purges + picks; i++) {
                    chunk.add(new QueueRequest(String.format(Locale.ROOT, "user/gone%08d", i), i < purges ? Action.PURGE : Action.CLEAN, now, false));
                    if (chunk.size() == 50_000) {
                        e.queue().requestAll(chunk);
                        chunk.clear();
                    }
                }
                e.queue().requestAll(chunk);
                Set<Action> paused = EnumSet.of(Action.PURGE);
                long[] t = new long[picks];
                for (int i = 0; i < picks; i++) {
                    long t0 = System.nanoTime();
                    List<QueueEntry> got = e.backend().queue().claimDue(now, 0, "bench", 1, paused);
                    t[i] = System.nanoTime() - t0;
                    if (got.size() != 1 || got.get(0).action() != Action.CLEAN) {
                        throw new IllegalStateException("a pick with Purge paused took " + got);
                    }
                }
                java.util.Arrays.sort(t);
                out[round] = t[picks / 2] / 1e3;
            }
            ClassicStore.deleteRecursively(root);
        }
        return out;
    }

    private Drain drain(Path root, Kind kind, int depth, boolean quiet) throws Exception {
        long t0 = System.nanoTime();
        fill(root, kind, depth).close();
        double fill = (System.nanoTime() - t0) / 1e9;
        // impurge opens a store that other processes filled: the drain starts on a freshly opened database, not on one
        // whose last big commit H2 is still writing out
        try (Engine e = Engine.open(root, options())) {
            long[] times = new long[depth];
            int[] n = {0};
            long[] unfinished = {0};
            // the window: the WINDOW tasks after the first result; before it, impurge takes the session lock, voids stale
            // claims and sweeps the mailbox list once (its start-up, reported apart)
            int window = Math.max(1, Math.min(WINDOW, depth - 1));
            long[] threadCpu = new long[2];
            java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            e.daemon().onResult(r -> {
                if (!r.finished()) {
                    unfinished[0]++;
                }
                if (n[0] < depth) {
                    times[n[0]] = System.nanoTime();
                }
                n[0]++;
                if (n[0] == 1) {
                    threadCpu[0] = threads.getCurrentThreadCpuTime(); // the daemon's thread: runForeground runs it on this one
                } else if (n[0] == 1 + window) {
                    threadCpu[1] = threads.getCurrentThreadCpuTime();
                }
            });
            long cpu0 = processCpu();
            long threadCpu0 = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            e.daemon().runForeground(DaemonMode.drainAndExit());
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = (processCpu() - cpu0) / 1e9;
            Outcome expected = kind == Kind.DROPPED ? Outcome.DROPPED : Outcome.SKIPPED;
            long recorded = e.queue().historyCount(EnumSet.of(expected));
            if (n[0] != depth || unfinished[0] != 0 || e.queue().count() != 0 || recorded != depth) {
                throw new IllegalStateException("the drain of " + depth + " " + kind.lower() + " entries ran " + n[0] + " tasks ("
                        + unfinished[0] + " unfinished), left " + e.queue().count() + " entries and recorded " + recorded + " as " + expected);
            }
            double firstCost = depth > 1 ? (times[window] - times[0]) / 1e3 / window : seconds * 1e6;
            double firstCpu = depth > 1 ? (threadCpu[1] - threadCpu[0]) / 1e3 / window : 0;
            double steadyCost = firstCost;
            if (depth >= 10 * WINDOW) {
                int from = depth / 2 - WINDOW * 5;
                int to = depth / 2 + WINDOW * 5;
                steadyCost = (times[to] - times[from]) / 1e3 / (to - from);
            }
            if (quiet) {
                out.printf(Locale.ROOT, "  warm-up: %,d dropped entries drained at %,.0f tasks/s%n", depth, depth / seconds);
                out.flush();
            }
            return new Drain(kind, depth, fill, seconds, firstCost, steadyCost, cpu, firstCpu, (times[0] - start) / 1e6,
                    (threadCpu[0] - threadCpu0) / 1e6);
        }
    }

    /**
     * {@code imcheck -q} as a process: the time to its first line, its first entry and its end, and its CPU time (every
     * thread; sampled every 10 ms while it runs, so at most that much short).
     */
    private Imcheck imcheck(Path root, int depth) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + cfg.childHeap(),
                "-cp", System.getProperty("java.class.path"), "org.mstore.cli.Main", "imcheck", "-q", "--store", root.toString());
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        long[] cpu = {0};
        Thread sampler = new Thread(() -> {
            while (p.isAlive()) {
                p.info().totalCpuDuration().ifPresent(d -> cpu[0] = Math.max(cpu[0], d.toNanos()));
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "imcheck-cpu");
        sampler.setDaemon(true);
        sampler.start();
        long firstLine = 0;
        long firstEntry = 0;
        long lines = 0;
        double firstLineCpu = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8), 1 << 16)) {
            while (r.readLine() != null) {
                lines++;
                if (lines == 1) {
                    firstLine = System.nanoTime();
                    firstLineCpu = p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
                } else if (lines == 3) {
                    firstEntry = System.nanoTime();
                }
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("imcheck -q failed (exit " + (p.isAlive() ? "none: still running" : p.exitValue()) + ")");
        }
        long end = System.nanoTime();
        sampler.join();
        if (lines != depth + 2L) {
            throw new IllegalStateException("imcheck -q printed " + lines + " lines, not " + (depth + 2));
        }
        return new Imcheck(depth, lines, (firstLine - start) / 1e9, (firstEntry - start) / 1e9, (end - start) / 1e9, firstLineCpu,
                cpu[0] / 1e9);
    }

    /**
     * What the commit order costs: a transaction that writes one change-log range takes the counter row's lock and
     * inserts a row; timed against the same transaction without the log (both insert one scratch row).
     */
    private double[] commitOrderCost(Path root) throws Exception {
        double[] result;
        try (Engine e = Engine.init(root, options())) {
            var db = ((ClassicBackend) e.backend()).database();
            db.administer(c -> {
                try (var s = c.createStatement()) {
                    s.execute("CREATE TABLE bench_scratch(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v BIGINT)");
                }
                return null;
            });
            int n = 5_000;
            double[] with = new double[3];
            double[] without = new double[3];
            for (int round = 0; round < 3; round++) {
                without[round] = transactions(db, n, false);
                with[round] = transactions(db, n, true);
            }
            java.util.Arrays.sort(with);
            java.util.Arrays.sort(without);
            out.printf(Locale.ROOT, "  commit order: a transaction that writes its change-log range %.1f µs, without it %.1f µs "
                    + "(median of 3 x %,d); a batch of drops pays it twice (claim, completion)%n", with[1], without[1], n);
            out.flush();
            result = new double[] {with[1], without[1]};
        }
        ClassicStore.deleteRecursively(root);
        return result;
    }

    private static double transactions(org.mstore.db.Database db, int n, boolean log) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long v = i;
            db.inTransaction(c -> {
                try (PreparedStatement p = c.prepareStatement("INSERT INTO bench_scratch(v) VALUES (?)")) {
                    p.setLong(1, v);
                    p.executeUpdate();
                }
                if (log) {
                    ChangeLog.Pending ch = new ChangeLog.Pending();
                    ch.changed(1_000_000_000L + v);
                    ChangeLog.write(c, ch, 0);
                }
                return null;
            });
        }
        return (System.nanoTime() - t0) / 1e3 / n;
    }
}
