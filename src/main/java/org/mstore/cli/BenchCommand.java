package org.mstore.cli;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import org.mstore.tools.Benchmark;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "bench", mixinStandardHelpOptions = true, header = "Measure the engine on a generated mailbox.", description = {
        "Measure the engine on a generated mailbox (see docs/benchmarks.md):",
        "  reconstruct  store.idx and store.cache deleted, rebuilt from the files",
        "  lifecycle    \\Deleted on every 10th UID, expunge, Clean, Remove, Purge",
        "  purge        the lifecycle's Purge in MB/s, beside a plain file copy",
        "  enqueue      enqueueAll beside a raw JDBC batch insert of the same rows",
        "Needs about 5.3 KB of disk per message: 1.1 GB for 200,000.",
        "bench --drain measures the queue instead: impurge's drain rate at several depths of entries "
        + "that are only dropped or skipped, and imcheck -q as a process on the deepest."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;


    @Option(names = "--messages", defaultValue = "200000", paramLabel = "N", description = "Messages in the mailbox (default ${DEFAULT-VALUE}).")
    int messages;
    @Option(names = "--dir", paramLabel = "DIR", description = "Put the store in DIR/store (default: a new temporary directory).")
    Path dir;
    @Option(names = "--keep", description = "Keep the store at the end (to rerun with --reuse).")
    boolean keep;
    @Option(names = "--reuse", description = "Run on the store an earlier --keep left in --dir DIR instead of generating one.")
    boolean reuse;
    @Option(names = "--rounds", defaultValue = "3", paramLabel = "R", description = "Repeat each timed part R times (default ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--only", split = ",", paramLabel = "PART", description = "Only these parts: reconstruct, lifecycle, purge, enqueue "
            + "(purge runs the lifecycle, whose Purge it measures).")
    List<String> only;
    @Option(names = "--enqueue", defaultValue = "100000", paramLabel = "E", description = "Entries to enqueue (default ${DEFAULT-VALUE}).")
    int enqueue;
    @Option(names = "--single", defaultValue = "10000", paramLabel = "S",
            description = "Entries to enqueue one call at a time, for context (default ${DEFAULT-VALUE}; 0 skips it).")
    int single;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S")
    long seed;
    @Option(names = "--drain", description = "Measure the queue (see docs/benchmarks.md): drain rates and imcheck -q.")
    boolean drain;
    @Option(names = "--depths", split = ",", paramLabel = "N", description = "With --drain: queue depths (default 1000,100000,1000000).")
    List<Integer> depths;
    @Option(names = "--kinds", split = ",", paramLabel = "KIND", description = "With --drain: dropped, skipped (default both).")
    List<String> kinds;
    @Option(names = "--no-imcheck", description = "With --drain: do not time imcheck -q (it runs --rounds times).")
    boolean noImcheck;
    @Option(names = "--cli", description = "Time the commands as processes (start-up included) beside the same work in-process: "
            + "reconstruct, the 10%% lifecycle, imcheck -q, imcheck -m, and start-up alone.")
    boolean cliPart;
    @Option(names = "--drop-caches", description = "Drop the OS page cache before each reconstruct (Linux, root): a cold read.")
    boolean dropCaches;

    @Override
    public Integer call() throws Exception {
        if (cliPart) {
            new org.mstore.tools.BenchmarkCli(messages, rounds, dir, spec.commandLine().getOut()).run();
            return 0;
        }
        if (drain) {
            Set<org.mstore.tools.BenchmarkQueue.Kind> k = new java.util.HashSet<>();
            if (kinds != null) {
                for (String s : kinds) {
                    k.add(org.mstore.tools.BenchmarkQueue.Kind.parse(s));
                }
            }
            new org.mstore.tools.BenchmarkQueue(new org.mstore.tools.BenchmarkQueue.Config(depths, k, dir, keep, !noImcheck, null, 20_000, rounds),
                    spec.commandLine().getOut()).run();
            return 0;
        }
        Set<Benchmark.Part> parts = EnumSet.noneOf(Benchmark.Part.class);
        if (only != null) {
            for (String p : only) {
                parts.add(Benchmark.Part.parse(p));
            }
        }
        Benchmark.Config cfg = new Benchmark.Config(messages, dir, keep, reuse, rounds, parts, seed, enqueue, single, dropCaches);
        new Benchmark(cfg, spec.commandLine().getOut()).run();
        return 0;
    }
}
