package org.mstore.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.mstore.api.Action;
import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Setting;
import org.mstore.api.Stores;
import org.mstore.api.UidSet;
import org.mstore.store.ClassicStore;

/**
 * {@code bench --cli}: the commands as an administrator runs them — each a process of its own, start-up included —
 * beside the same work done in-process through the engine API, on one generated mailbox:
 * <ul>
 *   <li><b>start-up</b>: {@code mstore --version}, and {@code imcheck -q} on an empty store;</li>
 *   <li><b>reconstruct</b> of the mailbox (index and cache rebuilt from the message files);</li>
 *   <li><b>lifecycle</b>: {@code client delete} of the first tenth of the UIDs, {@code client expunge}, then
 *       {@code impurge --exit-when-empty} (Clean, Remove due at once, Purge);</li>
 *   <li><b>imcheck -q</b> and <b>imcheck -m</b> (the first 1,000 messages).</li>
 * </ul>
 * Processes are started through {@code target/mstore} (the launcher with the class-data archive) when it is beside
 * the jar, else with {@code java -cp}. The ratio process / in-process is what the issue asks to keep within 1.5.
 */
public final class BenchmarkCli {
    static final String BOX = "user/bench";

    private final int messages;
    private final int rounds;
    private final Path base;
    private final PrintWriter out;

    public BenchmarkCli(int messages, int rounds, Path dir, PrintWriter out) {
        this.messages = messages;
        this.rounds = rounds;
        this.base = dir;
        this.out = out;
    }

    public void run() throws Exception {
        Path work = base != null ? Files.createDirectories(base) : Files.createTempDirectory("mstore-bench-cli");
        try {
            Path pristine = work.resolve("pristine");
            say("generating " + messages + " messages in " + BOX + " (once)");
            ClassicStore.deleteRecursively(pristine);
            check(cli(List.of("generate", "--mailbox", BOX, "--messages", Integer.toString(messages), "--store", pristine.toString())));
            check(cli(List.of("msconfig", "set", "store.cleanupage", "0s", "--store", pristine.toString())));
            Path empty = work.resolve("empty");
            ClassicStore.deleteRecursively(empty);
            check(cli(List.of("init", "--store", empty.toString())));
            List<String[]> rows = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                double version = cli(List.of("--version")).seconds;
                double emptyQ = cli(List.of("imcheck", "-q", "--store", empty.toString())).seconds;
                Path s = copy(pristine, work.resolve("round"));
                double pRec = check(cli(List.of("reconstruct", BOX, "--store", s.toString()))).seconds;
                double pLife = lifecycleAsProcesses(s);
                double pQ = check(cli(List.of("imcheck", "-q", "--store", s.toString()))).seconds;
                double pM = check(cli(List.of("imcheck", "-m", BOX, "--store", s.toString()))).seconds;
                s = copy(pristine, work.resolve("round"));
                double[] in = inProcess(s);
                say(String.format(Locale.ROOT, "round %d (load %.2f): --version %.3f s, imcheck -q on an empty store %.3f s; reconstruct %.2f s "
                        + "(in-process %.2f s), lifecycle %.2f s (%.2f s), imcheck -q %.3f s (%.3f s), imcheck -m %.3f s (%.3f s)", round, load(),
                        version, emptyQ, pRec, in[0], pLife, in[1], pQ, in[2], pM, in[3]));
                rows.add(new String[] {fmt(version), fmt(emptyQ), fmt(pRec), fmt(in[0]), fmt(pLife), fmt(in[1]), fmt(pQ), fmt(in[2]), fmt(pM),
                        fmt(in[3])});
            }
            out.println();
            out.println("| round | --version | imcheck -q (empty) | reconstruct: process / in-process | lifecycle 10% | imcheck -q | imcheck -m |");
            out.println("|---|---|---|---|---|---|---|");
            int r = 1;
            for (String[] row : rows) {
                out.printf(Locale.ROOT, "| %d | %s s | %s s | %s / %s s | %s / %s s | %s / %s s | %s / %s s |%n", r++, row[0], row[1], row[2], row[3],
                        row[4], row[5], row[6], row[7], row[8], row[9]);
            }
            out.flush();
        } finally {
            if (base == null) {
                ClassicStore.deleteRecursively(work);
            }
        }
    }

    private double lifecycleAsProcesses(Path s) throws IOException, InterruptedException {
        String uids = tenth();
        double[] t = {check(cli(List.of("client", "delete", BOX, uids, "--store", s.toString()))).seconds,
                check(cli(List.of("client", "expunge", BOX, "--store", s.toString()))).seconds,
                check(cli(List.of("msconfig", "set", "store.cleanupsize", "0", "--store", s.toString()))).seconds,
                check(cli(List.of("impurge", "--exit-when-empty", "--store", s.toString()))).seconds};
        say(String.format(Locale.ROOT, "lifecycle as processes: client delete %.2f s, client expunge %.2f s, msconfig set %.2f s, "
                + "impurge --exit-when-empty %.2f s", t[0], t[1], t[2], t[3]));
        return t[0] + t[1] + t[2] + t[3];
    }

    /** The same work in this JVM through the API: reconstruct, lifecycle, the queue listed, the mailbox listed. */
    private double[] inProcess(Path s) throws IOException {
        double[] t = new double[4];
        try (MessageStore e = Stores.open(s, new OpenOptions(Clock.systemDefaultZone(), "bench", false, false))) {
            long t0 = System.nanoTime();
            e.maintenance().reconstruct(BOX);
            t[0] = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            e.mailboxes().setDeleted(BOX, UidSet.parse(tenth()), true);
            e.mailboxes().expunge(BOX);
            e.settings().set(Setting.CLEANUP_SIZE, "0");
            e.queue().request(BOX, Action.CLEAN);
            e.daemon().drain();
            t[1] = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            long[] n = {0};
            e.queue().forEach(org.mstore.api.QueueQuery.all(), q -> n[0]++);
            t[2] = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            e.mailboxes().messages(BOX, 0, 1000);
            e.mailboxes().details(BOX);
            t[3] = (System.nanoTime() - t0) / 1e9;
        }
        return t;
    }

    /** The first tenth of the UIDs, one range (every 10th UID would be a command line longer than Linux takes). */
    private String tenth() {
        return "1:" + Math.max(1, messages / 10);
    }

    private static Path copy(Path from, Path to) throws IOException {
        ClassicStore.deleteRecursively(to);
        try (var files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else if (!p.getFileName().toString().endsWith(".lck") && !p.getFileName().toString().equals("server")) {
                    Files.copy(p, q);
                    // on disk before anything is timed: else the copy's write-back, and whether the blocks of the files
                    // Remove deletes were ever allocated, fall on whichever side (process or in-process) runs first
                    try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(q, java.nio.file.StandardOpenOption.WRITE)) {
                        c.force(true);
                    }
                }
            }
        }
        return to;
    }

    record Run(int exit, double seconds, String command) {
    }

    private static Run check(Run r) {
        if (r.exit != 0) {
            throw new IllegalStateException("bench --cli: '" + r.command + "' exited with " + r.exit);
        }
        return r;
    }

    /** Runs one command as a process, through the launcher when there is one; its output is discarded. */
    static Run cli(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(launcher());
        cmd.addAll(args);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        int exit = p.waitFor();
        return new Run(exit, (System.nanoTime() - t0) / 1e9, String.join(" ", args));
    }

    /** {@code target/mstore} beside the jar this runs from, else {@code java -cp <class path> org.mstore.cli.Main}. */
    static List<String> launcher() {
        String cp = System.getProperty("java.class.path");
        Path first = Path.of(cp.split(java.io.File.pathSeparator)[0]).toAbsolutePath();
        Path script = first.getParent() == null ? null : first.getParent().resolve("mstore");
        if (first.toString().endsWith(".jar") && script != null && Files.isExecutable(script)) {
            return List.of(script.toString());
        }
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp, "org.mstore.cli.Main");
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.3f", d);
    }

    private void say(String s) {
        out.println("bench --cli: " + s);
        out.flush();
    }
}
