package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mstore.api.Action;
import org.mstore.api.CheckReport;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MailboxSnapshot;
import org.mstore.api.MessageRecord;
import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.QueueEntry;
import org.mstore.api.Stores;
import org.mstore.api.TaskResult;
import org.mstore.testing.ExpungeListV2;

/**
 * The crash-point matrix (SPEC §10), the way SQLite's and FoundationDB's crash tests work: every command and task of the
 * removal lifecycle is run as a real {@code mstore} process, first with {@code -Dmstore.crashpoint.trace} to learn which
 * crash points it passes (and how often), then once per point (and hit) on a fresh copy of the same prepared store,
 * halted there with {@code -Dmstore.crashpoint=NAME#N} (exit 86). After each halt the store is recovered the way a user
 * would (open and fetch, {@code impurge --exit-when-empty}, {@code reconstruct}) and checked:
 *
 * <ul>
 *   <li>every message the user did not expunge is fetchable with exactly the bytes appended;</li>
 *   <li>no expunged message (nor one of a deleted mailbox, once it was seen gone) is ever fetchable again, not after
 *       {@code reconstruct} either; no bytes that were never appended are ever served;</li>
 *   <li>the full check ({@code reconstruct -n}) finds nothing wrong, the mailbox list agrees with storage, and the queue
 *       holds no parked, running or failed entry.</li>
 * </ul>
 *
 * The recovery runs in this JVM through the same API calls that the commands make ({@code client fetch},
 * {@code impurge --exit-when-empty}, {@code reconstruct}, {@code reconstruct --mboxlist}): a JVM start per step would
 * take most of CI's time. CI size: the first and the last hit of each point, 5 messages a mailbox. Full size
 * ({@code -Dmstore.crash.full=true}): every hit of every point, 20 messages a mailbox.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashPointMatrixTest {
    static final boolean FULL = Boolean.getBoolean("mstore.crash.full");
    static final int MESSAGES = FULL ? 20 : 5;
    static final String ALICE = "user/alice";
    static final String BOB = "user/bob";
    static final String WORK = "user/alice/Work";
    static final String PLAY = "user/alice/Play";
    static final Path SAMPLE = Path.of("sample-store").toAbsolutePath();

    @TempDir
    static Path dir;
    static Cli cli;
    /** Every crash point a scenario's trace run passed, with the scenarios that passed it. */
    static final Map<String, Set<String>> REACHED = new ConcurrentHashMap<>();
    static final Map<String, String> FIGURES = Collections.synchronizedMap(new LinkedHashMap<>());
    static final Map<String, Path> PREPARED = new HashMap<>();
    static final Map<String, Map<String, Integer>> TRACES = new HashMap<>();
    /** Trials run this many at a time: most of a trial is a JVM starting, which waits as much as it computes. */
    static final int THREADS = Integer.getInteger("mstore.crash.threads", 2);
    static final java.util.concurrent.ExecutorService POOL = java.util.concurrent.Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(r, "crash-trial");
        t.setDaemon(true);
        return t;
    });
    static final Map<String, Model> MODELS = new ConcurrentHashMap<>();
    static long started;

    @BeforeAll
    static void setUp() {
        cli = new Cli(dir);
        started = System.nanoTime();
    }

    @AfterAll
    static void figures() {
        long ms = (System.nanoTime() - started) / 1_000_000;
        int trials = 0;
        StringBuilder sb = new StringBuilder("crash-point matrix (" + (FULL ? "full" : "CI") + " size):\n");
        for (var e : FIGURES.entrySet()) {
            sb.append("  ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            Matcher m = Pattern.compile("(\\d+) trials").matcher(e.getValue());
            if (m.find()) {
                trials += Integer.parseInt(m.group(1));
            }
        }
        sb.append("  ").append(REACHED.size()).append(" crash points reached, ").append(trials).append(" trials, ").append(ms / 1000)
                .append(" s\n");
        System.out.print(sb);
    }

    // ---------------------------------------------------------------- what the user did

    /** What the test expects of one message after a crash and the recovery. */
    enum Kind {
        /** Not expunged: fetchable at the end, with its bytes, in one of its mailboxes. */
        LIVE,
        /** Being appended by the crashed command: absent, or present with its bytes. */
        ADDING,
        /** Being expunged (or its mailbox deleted) by the crashed command: present, or gone; once seen gone, gone for ever. */
        REMOVING,
        /** Expunged (or damaged) before the crashed command: never served. */
        GONE
    }

    /** {@code deleted}: whether {@code \Deleted} must be set (null: either); {@code flags}: exactly these (null: any). */
    record Expect(Kind kind, Set<String> mailboxes, Boolean deleted, Integer flags) {
        Expect(Kind kind, Set<String> mailboxes, Boolean deleted) {
            this(kind, mailboxes, deleted, null);
        }
    }

    /** The messages of a scenario by their bytes (each message's bytes are unique). */
    static final class Model {
        final Map<String, Expect> messages = new LinkedHashMap<>();

        Model put(byte[] content, Kind kind, Boolean deleted, String... mailboxes) {
            messages.put(key(content), new Expect(kind, Set.of(mailboxes), deleted));
            return this;
        }

        /** A message that must have exactly {@code flags} wherever it is seen. */
        Model putFlags(byte[] content, Kind kind, int flags, String... mailboxes) {
            messages.put(key(content), new Expect(kind, Set.of(mailboxes), (flags & org.mstore.api.Flags.DELETED) != 0, flags));
            return this;
        }
    }

    static String key(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** Message {@code i} of a mailbox: bytes no other message has. */
    static byte[] message(String mailbox, int i) {
        return Mail.message("sender" + i + "@example.com", "Message " + i + " of " + mailbox,
                "Body of message " + i + " in " + mailbox + ".\r\n" + "x".repeat(i * 37 % 300)).getBytes(StandardCharsets.UTF_8);
    }

    static List<byte[]> messages(String mailbox, int from, int to) {
        List<byte[]> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(message(mailbox, i));
        }
        return out;
    }

    /** A scenario: a prepared store, the command to halt, what it may change, and the recovery. */
    record Scenario(String name, String prepared, List<String> command, java.util.function.Supplier<Model> expected,
                    boolean rebuildMailboxList) {
        Scenario(String name, String prepared, List<String> command, Model model, boolean rebuildMailboxList) {
            this(name, prepared, command, () -> model, rebuildMailboxList);
        }

        /** Built when first asked for (a model may read its prepared store). */
        Model model() {
            return MODELS.computeIfAbsent(name, n -> expected.get());
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Model alice(Consumer<Model> rest) {
        Model m = new Model();
        rest.accept(m);
        for (int i = 1; i <= MESSAGES; i++) {
            m.messages.putIfAbsent(key(message(ALICE, i)), new Expect(Kind.LIVE, Set.of(ALICE), false));
        }
        return m;
    }

    /** A message of alice appended with these flags and {@code \Deleted}, and expunged, for the unexpunge scenario. */
    static final int FLAGGED_FLAGS = org.mstore.api.Flags.SEEN | org.mstore.api.Flags.ANSWERED | org.mstore.api.Flags.FLAGGED;

    static byte[] flaggedMessage() {
        return message(ALICE, 99);
    }

    /** Messages 2 and 3 of alice are flagged {@code \Deleted} and expunged in most scenarios. */
    static void expunged23(Model m, Kind kind) {
        m.put(message(ALICE, 2), kind, kind == Kind.GONE ? null : true, ALICE);
        m.put(message(ALICE, 3), kind, kind == Kind.GONE ? null : true, ALICE);
    }

    static List<Scenario> scenarios() {
        List<Scenario> s = new ArrayList<>();
        s.add(new Scenario("append", "base", List.of("client", "append", ALICE, "@new"),
                alice(m -> messages(ALICE, MESSAGES + 1, MESSAGES + 3).forEach(b -> m.put(b, Kind.ADDING, false, ALICE))), false));
        s.add(new Scenario("flag change", "base", List.of("client", "delete", ALICE, "2:3"), alice(m -> {
            m.put(message(ALICE, 2), Kind.LIVE, null, ALICE);
            m.put(message(ALICE, 3), Kind.LIVE, null, ALICE);
        }), false));
        s.add(new Scenario("delete+expunge", "deleted", List.of("client", "expunge", ALICE), alice(m -> expunged23(m, Kind.REMOVING)), false));
        s.add(new Scenario("expunge past store.cleanupsize", "deleted-cleanupsize", List.of("client", "expunge", ALICE),
                alice(m -> expunged23(m, Kind.REMOVING)), false));
        s.add(new Scenario("impurge: Clean", "expunged", List.of("impurge", "--exit-when-empty"), alice(m -> expunged23(m, Kind.GONE)), false));
        s.add(new Scenario("impurge: Remove (store.cleanupage 0s)", "removable", List.of("impurge", "--exit-when-empty"),
                alice(m -> expunged23(m, Kind.GONE)), false));
        s.add(new Scenario("impurge: Purge", "purgeable", List.of("impurge", "--exit-when-empty"), alice(m -> expunged23(m, Kind.GONE)), false));
        s.add(new Scenario("impurge: Repair of a damaged mailbox", "damaged", List.of("impurge", "--exit-when-empty"), alice(m -> {
            expunged23(m, Kind.GONE);
            m.put(message(ALICE, 4), Kind.GONE, null, ALICE); // its file was damaged: quarantined, never served
        }), false));
        s.add(new Scenario("reconstruct", "cleaned", List.of("reconstruct", ALICE), alice(m -> expunged23(m, Kind.GONE)), false));
        s.add(new Scenario("open rolls a cut Clean forward", "clean-cut", List.of("client", "fetch", ALICE, "1"),
                alice(m -> expunged23(m, Kind.GONE)), false));
        s.add(new Scenario("open completes a cut Purge", "purge-cut", List.of("client", "fetch", ALICE, "1"),
                alice(m -> expunged23(m, Kind.GONE)), false));
        s.add(new Scenario("first change to a version-1 mailbox", "version1", List.of("client", "delete", BOB, "1:*"),
                CrashPointMatrixTest::version1Model,
                false));
        s.add(new Scenario("mailbox create", "base", List.of("mboxutil", "-c", "user/alice/New"), alice(m -> { }), true));
        s.add(new Scenario("mailbox delete", "folders", List.of("mboxutil", "-d", WORK), folders(Kind.REMOVING, WORK), true));
        // Work in another partition than Sub below it: the tree is deleted in each partition, Sub's first
        s.add(new Scenario("mailbox delete across partitions", "folders-partitions", List.of("mboxutil", "-d", WORK),
                folders(Kind.REMOVING, WORK), true));
        s.add(new Scenario("mailbox rename", "folders", List.of("mboxutil", "-r", WORK, PLAY), folders(Kind.LIVE, WORK, PLAY), true));
        // recovered messages come back as new messages (absent, or present with their bytes), never with \Deleted, and
        // with the other flags they had (2 and 3 had only \Deleted)
        s.add(new Scenario("unexpunge", "expunged-flagged", List.of("unexpunge", ALICE, "--all"), alice(m -> {
            m.putFlags(message(ALICE, 2), Kind.ADDING, 0, ALICE);
            m.putFlags(message(ALICE, 3), Kind.ADDING, 0, ALICE);
            m.putFlags(flaggedMessage(), Kind.ADDING, FLAGGED_FLAGS, ALICE);
        }), false));
        // an expunge onto a store.exp of version 2 (the previous release's) rewrites it in version 3
        s.add(new Scenario("expunge onto a version-2 store.exp", "expunged-v2", List.of("client", "expunge", ALICE), alice(m -> {
            expunged23(m, Kind.GONE);
            m.put(message(ALICE, 4), Kind.REMOVING, true, ALICE);
        }), false));
        String only = System.getProperty("mstore.crash.only"); // -Dmstore.crash.only=NAME: the scenarios whose name contains it
        if (only != null) {
            s.removeIf(x -> !x.name().contains(only));
        }
        return s;
    }

    static Model folders(Kind kind, String... at) {
        return alice(m -> {
            Set<String> work = new TreeSet<>();
            Set<String> sub = new TreeSet<>();
            for (String a : at) {
                work.add(a);
                sub.add(a + "/Sub");
            }
            for (byte[] b : messages(WORK, 1, 2)) {
                m.put(b, kind, false, work.toArray(String[]::new));
            }
            m.put(message(WORK + "/Sub", 1), kind, false, sub.toArray(String[]::new));
        });
    }

    /** The version-1 mailbox copied from the sample: its messages as they are on disk, expunged ones gone. */
    static Model version1Model() {
        Path box = prepared("version1").resolve(BOB_DIR_MARK);
        try {
            Path mb = Path.of(Files.readString(box).strip());
            Model m = alice(x -> { });
            Set<Integer> live = v1IndexUids(mb.resolve("store.idx"));
            for (Path f : messageFiles(mb)) {
                int uid = Integer.parseInt(f.getFileName().toString().replace(".msg", ""));
                m.put(Files.readAllBytes(f), live.contains(uid) ? Kind.LIVE : Kind.GONE, null, BOB);
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final String BOB_DIR_MARK = "bob-dir.txt";

    static Set<Integer> v1IndexUids(Path idx) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(idx));
        int headerSize = b.getShort(6);
        int recordSize = b.getInt(8);
        int count = b.getInt(20);
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < count; i++) {
            out.add(b.getInt(headerSize + i * recordSize));
        }
        return out;
    }

    static List<Path> messageFiles(Path mailboxDir) throws IOException {
        try (Stream<Path> s = Files.find(mailboxDir, 2, (p, a) -> a.isRegularFile() && p.getFileName().toString().endsWith(".msg")
                && p.getParent().getFileName().toString().matches("[0-9a-f]{2}"))) {
            return s.sorted().toList();
        }
    }

    // ---------------------------------------------------------------- prepared stores (built once, copied per trial)

    static synchronized Path prepared(String name) {
        Path p = PREPARED.get(name);
        if (p == null) {
            p = dir.resolve("prepared").resolve(name.replaceAll("[^a-z0-9-]", "_"));
            build(name, p);
            PREPARED.put(name, p);
        }
        return p;
    }

    /** Copies prepared store {@code from} to {@code to}, then runs {@code mstore ARGS --store to} for each command. */
    static void from(String from, Path to, List<List<String>> commands) {
        copyTree(prepared(from), to);
        for (List<String> c : commands) {
            cli.on(to, c.toArray(String[]::new)).ok();
        }
    }

    static List<String> cmd(String... a) {
        return List.of(a);
    }

    static void build(String name, Path p) {
        try {
            switch (name) {
                case "base" -> {
                    cli.on(p, "init").ok();
                    cli.on(p, "mboxutil", "-c", ALICE).ok();
                    append(p, ALICE, messages(ALICE, 1, MESSAGES));
                }
                case "deleted" -> from("base", p, List.of(cmd("client", "delete", ALICE, "2:3")));
                case "deleted-cleanupsize" -> from("base", p, List.of(cmd("msconfig", "set", "store.cleanupsize", "1"),
                        cmd("client", "delete", ALICE, "2:3")));
                case "expunged" -> from("deleted-cleanupsize", p, List.of(cmd("client", "expunge", ALICE)));
                case "cleaned" -> from("expunged", p, List.of(cmd("impurge", "--exit-when-empty")));
                case "expunged-flagged" -> {
                    from("deleted-cleanupsize", p, List.of());
                    append(p, ALICE, List.of(flaggedMessage()), "seen,answered,flagged,deleted");
                    cli.on(p, "client", "expunge", ALICE).ok();
                }
                case "expunged-v2" -> {
                    from("expunged", p, List.of(cmd("client", "delete", ALICE, "4")));
                    ExpungeListV2.rewrite(Mail.inboxDir(p, "alice").resolve("store.exp"));
                }
                case "removable" -> from("cleaned", p, List.of(cmd("msconfig", "set", "store.cleanupage", "0s")));
                case "purgeable" -> from("removable", p, List.of(cmd("impurge", "--exit-when-empty"),
                        cmd("msconfig", "set", "store.purge.count", "1"), cmd("msconfig", "set", "store.purge.percentage", "1"),
                        cmd("impurge", "--queue-only")));
                case "damaged" -> {
                    from("cleaned", p, List.of());
                    Path mb = Mail.inboxDir(p, "alice");
                    // the cache's header garbled (the open fails), and the bytes of message 4 altered (same size)
                    try (var ch = java.nio.channels.FileChannel.open(mb.resolve("store.cache"), java.nio.file.StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.wrap(new byte[] {'g', 'a', 'r', 'b', 'l', 'e', 'd', '!'}), 4);
                    }
                    Path four = messageFiles(mb).stream().filter(f -> f.getFileName().toString().equals("4.msg")).findFirst().orElseThrow();
                    byte[] b = Files.readAllBytes(four);
                    b[b.length / 2] ^= 0x20;
                    Files.write(four, b);
                    // a client meets the damage: the open fails and queues the Repair
                    assertThat(cli.on(p, "client", "fetch", ALICE, "1").exit()).isNotZero();
                }
                case "clean-cut" -> {
                    from("expunged", p, List.of());
                    halt(p, "clean.after-rename", 1, List.of("impurge", "--exit-when-empty"));
                }
                case "purge-cut" -> {
                    from("purgeable", p, List.of());
                    halt(p, "purge.after-index-new", 1, List.of("impurge", "--exit-when-empty"));
                }
                case "folders" -> {
                    from("base", p, List.of(cmd("mboxutil", "-c", WORK), cmd("mboxutil", "-c", WORK + "/Sub")));
                    append(p, WORK, messages(WORK, 1, 2));
                    append(p, WORK + "/Sub", messages(WORK + "/Sub", 1, 1));
                }
                case "folders-partitions" -> {
                    from("base", p, List.of());
                    Files.createDirectories(p.resolve("partition").resolve("secondary")); // an administrator adds a partition
                    cli.on(p, "mboxutil", "-c", WORK, "-p", "secondary").ok();
                    cli.on(p, "mboxutil", "-c", WORK + "/Sub").ok();
                    append(p, WORK, messages(WORK, 1, 2));
                    append(p, WORK + "/Sub", messages(WORK + "/Sub", 1, 1));
                }
                case "version1" -> {
                    from("base", p, List.of(cmd("mboxutil", "-c", BOB)));
                    Path bob = Mail.inboxDir(p, "bob");
                    Path sample = Mail.inboxDir(SAMPLE, "user0001");
                    try (Stream<Path> s = Files.list(bob)) {
                        for (Path f : s.filter(f -> !f.getFileName().toString().equals("store.lck")).toList()) {
                            deleteTree(f);
                        }
                    }
                    try (Stream<Path> s = Files.list(sample)) {
                        for (Path f : s.filter(f -> !f.getFileName().toString().matches("folders|store\\.lck")).toList()) {
                            copyTree(f, bob.resolve(f.getFileName().toString()));
                        }
                    }
                    cli.on(p, "reconstruct", "--mboxlist").ok();
                    Files.writeString(p.resolve(BOB_DIR_MARK), bob.toString());
                }
                default -> throw new IllegalArgumentException(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void append(Path store, String mailbox, List<byte[]> msgs) throws IOException {
        append(store, mailbox, msgs, null);
    }

    /** The same with {@code client append --flags FLAGS} (null: none). */
    static void append(Path store, String mailbox, List<byte[]> msgs, String flags) throws IOException {
        Path in = dir.resolve("in").resolve(mailbox.replace('/', '_') + "-" + System.nanoTime());
        Files.createDirectories(in);
        List<String> args = new ArrayList<>(List.of("client", "append", mailbox));
        if (flags != null) {
            args.addAll(List.of("--flags", flags));
        }
        for (int i = 0; i < msgs.size(); i++) {
            args.add(Files.write(in.resolve(i + ".eml"), msgs.get(i)).toString());
        }
        args.addAll(List.of("--store", store.toString()));
        cli.run(args).ok();
    }

    /** The command with {@code @new} replaced by the files of the messages the append scenario adds. */
    static List<String> resolve(List<String> command) throws IOException {
        List<String> out = new ArrayList<>();
        for (String a : command) {
            if (a.equals("@new")) {
                Path in = dir.resolve("in").resolve("new");
                Files.createDirectories(in);
                List<byte[]> news = messages(ALICE, MESSAGES + 1, MESSAGES + 3);
                for (int i = 0; i < news.size(); i++) {
                    out.add(Files.write(in.resolve(i + ".eml"), news.get(i)).toString());
                }
            } else {
                out.add(a);
            }
        }
        return out;
    }

    static Cli.Result halt(Path store, String point, int hit, List<String> command) {
        Cli.Result r = cli.withJvm(List.of("-Dmstore.crashpoint=" + point + "#" + hit), store, command.toArray(String[]::new));
        assertThat(r.exit()).as("halted at " + point + "#" + hit + ": " + r.describe()).isEqualTo(86);
        return r;
    }

    // ---------------------------------------------------------------- the trace run

    /** Runs the scenario's command once with a trace: the crash points it passes, with how often. */
    static synchronized Map<String, Integer> trace(Scenario s) throws IOException {
        Map<String, Integer> t = TRACES.get(s.name());
        if (t != null) {
            return t;
        }
        Path store = dir.resolve("trace").resolve(s.name().replaceAll("[^A-Za-z0-9]+", "_"));
        copyTree(prepared(s.prepared()), store);
        Path file = store.resolveSibling(store.getFileName() + ".trace");
        Cli.Result r = cli.withJvm(List.of("-Dmstore.crashpoint.trace=" + file), store, resolve(s.command()).toArray(String[]::new));
        assertThat(r.exit()).as(r.describe()).isZero();
        t = new LinkedHashMap<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    t.merge(line.strip(), 1, Integer::sum);
                }
            }
        }
        for (String point : t.keySet()) {
            REACHED.computeIfAbsent(point, k -> ConcurrentHashMap.newKeySet()).add(s.name());
        }
        // the untouched run recovers cleanly too: the checks themselves hold without a crash
        TRACES.put(s.name(), t);
        return t;
    }

    // ---------------------------------------------------------------- the matrix

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    @Order(1)
    void every_crash_point_of_the_command_recovers_with_no_message_lost_resurrected_or_altered(Scenario s) throws Exception {
        long t0 = System.nanoTime();
        Map<String, Integer> points = trace(s);
        assertThat(points).as("crash points passed by '" + s.name() + "' (a scenario that passes none proves nothing)").isNotEmpty();
        // the command without a crash: the checks hold
        Path clean = dir.resolve("trace").resolve(s.name().replaceAll("[^A-Za-z0-9]+", "_"));
        List<String> problems = new ArrayList<>(recoverAndCheck(s, clean, "no crash"));
        List<String[]> trials = new ArrayList<>();
        for (var e : points.entrySet()) {
            for (int hit : hits(e.getValue())) {
                trials.add(new String[] {e.getKey(), Integer.toString(hit)});
            }
        }
        java.util.concurrent.atomic.AtomicLong haltNanos = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong recoverNanos = new java.util.concurrent.atomic.AtomicLong();
        List<String> command = resolve(s.command());
        List<java.util.concurrent.Future<List<String>>> results = new ArrayList<>();
        for (int i = 0; i < trials.size(); i++) {
            String point = trials.get(i)[0];
            int hit = Integer.parseInt(trials.get(i)[1]);
            Path store = dir.resolve("trials").resolve(s.name().replaceAll("[^A-Za-z0-9]+", "_") + "-" + (i + 1));
            results.add(POOL.submit(() -> {
                copyTree(prepared(s.prepared()), store);
                long t1 = System.nanoTime();
                halt(store, point, hit, command);
                long t2 = System.nanoTime();
                List<String> p = recoverAndCheck(s, store, point + "#" + hit);
                haltNanos.addAndGet(t2 - t1);
                recoverNanos.addAndGet(System.nanoTime() - t2);
                deleteTree(store);
                return p;
            }));
        }
        for (var f : results) {
            try {
                problems.addAll(f.get());
            } catch (java.util.concurrent.ExecutionException ex) {
                throw ex.getCause() instanceof AssertionError a ? a : new AssertionError(ex.getCause());
            }
        }
        FIGURES.put(s.name(), points.size() + " points, " + trials.size() + " trials, " + (System.nanoTime() - t0) / 1_000_000
                + " ms (halted runs " + haltNanos.get() / 1_000_000 + " ms, recoveries " + recoverNanos.get() / 1_000_000 + " ms, "
                + THREADS + " at a time)");
        assertThat(problems).as("scenario '" + s.name() + "'").isEmpty();
    }

    /** CI: the first and the last hit of a point; full size: every hit. */
    static List<Integer> hits(int n) {
        if (FULL || n <= 2) {
            List<Integer> all = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                all.add(i);
            }
            return all;
        }
        return List.of(1, n);
    }

    // ---------------------------------------------------------------- recovery and the invariants

    /** What one look at the store saw: each message's bytes, where, with what flags; and what could not be read. */
    record Look(Map<String, List<String>> where, Map<String, Integer> flags, List<String> errors) {
        boolean complete() {
            return errors.isEmpty();
        }
    }

    static Look look(MessageStore st) {
        Map<String, List<String>> where = new HashMap<>();
        Map<String, Integer> flags = new HashMap<>();
        List<String> errors = new ArrayList<>();
        for (MailboxInfo mi : st.mailboxes().list()) {
            try {
                MailboxSnapshot snap = st.mailboxes().snapshot(mi.name());
                for (MessageRecord r : snap.records()) {
                    try {
                        String k = key(st.mailboxes().fetch(mi.name(), r.uid()));
                        where.computeIfAbsent(k, x -> new ArrayList<>()).add(mi.name() + " UID " + r.uid());
                        flags.put(k, r.flags());
                    } catch (Exception ex) {
                        errors.add("fetch " + mi.name() + " UID " + r.uid() + ": " + ex);
                    }
                }
            } catch (Exception ex) {
                errors.add("open " + mi.name() + ": " + ex);
            }
        }
        return new Look(where, flags, errors);
    }

    /**
     * Recovers a store as a user would after the crash and returns every broken promise (empty: all kept). {@code at}
     * names the trial in each problem.
     */
    static List<String> recoverAndCheck(Scenario s, Path store, String at) {
        List<String> problems = new ArrayList<>();
        Set<String> seenGone = new HashSet<>();
        Map<String, Integer> seenFlags = new HashMap<>();
        try (MessageStore st = Stores.open(store, OpenOptions.cli("crashtest"))) {
            // 1. a client opens and fetches: a damaged mailbox may refuse (and queue a Repair), never serve wrong bytes
            check(s, look(st), "after the crash", false, seenGone, seenFlags, problems, at);
            if (s.rebuildMailboxList()) {
                // 2. the administrator rebuilds the mailbox list from the partitions (reconstruct --mboxlist)
                st.maintenance().rebuildMailboxList();
                check(s, look(st), "after reconstruct --mboxlist", false, seenGone, seenFlags, problems, at);
            }
            // 3. impurge --exit-when-empty
            drain(st, problems, at);
            check(s, look(st), "after impurge", true, seenGone, seenFlags, problems, at);
            // 4. reconstruct every mailbox
            for (MailboxInfo mi : st.mailboxes().list()) {
                st.maintenance().reconstruct(mi.name());
            }
            Look last = look(st);
            check(s, last, "after reconstruct", true, seenGone, seenFlags, problems, at);
            drain(st, problems, at);
            // 5. the full check finds nothing; the mailbox list agrees with storage; no stuck queue entry
            for (MailboxInfo mi : st.mailboxes().list()) {
                CheckReport r = st.maintenance().inspect(mi.name());
                if (!r.healthy()) {
                    problems.add(at + ": reconstruct -n " + mi.name() + " after recovery: " + r.problems());
                }
                int records = st.mailboxes().snapshot(mi.name()).records().size();
                if (mi.messageCount() != records) {
                    problems.add(at + ": the mailbox list says " + mi.messageCount() + " messages in " + mi.name() + ", storage " + records);
                }
            }
            List<QueueEntry> stuck = new ArrayList<>();
            st.queue().forEach(e -> {
                if (e.parked() || e.inProgress() || e.lastError() != null || e.action() != Action.REMOVE) {
                    stuck.add(e);
                }
            });
            if (!stuck.isEmpty()) {
                problems.add(at + ": stuck queue entries after recovery: " + stuck);
            }
        } catch (Exception ex) {
            problems.add(at + ": recovery failed: " + ex);
        }
        return problems;
    }

    /**
     * impurge --exit-when-empty, as many rounds as it takes: a task that met a damaged mailbox waits a second for the
     * Repair it queued. Every task must finish.
     */
    static void drain(MessageStore st, List<String> problems, String at) throws InterruptedException {
        for (int round = 0; round < 5; round++) {
            for (TaskResult r : st.daemon().drain()) {
                if (!r.finished() && r.entry().action() == Action.REPAIR) {
                    problems.add(at + ": " + r.entry().action() + " " + r.entry().mailbox() + " failed: " + r.detail());
                }
            }
            long now = System.currentTimeMillis();
            long[] soon = {Long.MAX_VALUE};
            st.queue().forEach(e -> {
                if (!e.parked() && e.action() != Action.REMOVE && e.notBefore() != null) {
                    soon[0] = Math.min(soon[0], e.notBefore().toEpochMilli());
                }
            });
            if (soon[0] == Long.MAX_VALUE || soon[0] - now > 5_000) {
                return;
            }
            Thread.sleep(Math.max(0, soon[0] - now) + 50);
        }
    }

    static void check(Scenario s, Look look, String when, boolean end, Set<String> seenGone, Map<String, Integer> seenFlags, List<String> problems,
                      String at) {
        String w = at + ", " + when + ": ";
        for (var e : look.where().entrySet()) {
            Expect x = s.model().messages.get(e.getKey());
            List<String> places = e.getValue();
            if (x == null) {
                problems.add(w + "bytes that were never appended are served as " + places);
                continue;
            }
            String what = firstLine(e.getKey());
            if (x.kind() == Kind.GONE) {
                problems.add(w + "an expunged message came back: " + what + " at " + places);
            }
            if (x.kind() == Kind.REMOVING && seenGone.contains(e.getKey())) {
                problems.add(w + "a message seen gone came back: " + what + " at " + places);
            }
            if (places.size() > 1) {
                problems.add(w + "a message is served twice: " + what + " at " + places);
            }
            for (String p : places) {
                String box = p.substring(0, p.indexOf(" UID "));
                if (!x.mailboxes().contains(box)) {
                    problems.add(w + what + " is in " + box + ", expected in " + x.mailboxes());
                }
            }
            Integer f = look.flags().get(e.getKey());
            if (x.deleted() != null && f != null && ((f & org.mstore.api.Flags.DELETED) != 0) != x.deleted()) {
                problems.add(w + what + " has flags " + f + ", \\Deleted expected " + x.deleted());
            }
            // An append that never committed is absent, unless a Repair adopts its message file (its bytes are whole):
            // then it comes back with no flags (they were to be in the index record the append never committed). Such a
            // message is first seen after the crash's first look; once seen, its flags do not change.
            Integer before = seenFlags.get(e.getKey());
            if (x.flags() != null && f != null) {
                boolean adopted = before == null && x.kind() == Kind.ADDING && f == 0 && !when.equals("after the crash");
                if (before != null ? !f.equals(before) : !f.equals(x.flags()) && !adopted) {
                    problems.add(w + what + " has flags " + f + ", expected " + (before != null ? before : x.flags()));
                }
                seenFlags.putIfAbsent(e.getKey(), f);
            }
        }
        if (end && !look.complete()) {
            problems.add(w + "not everything can be read: " + look.errors());
        }
        if (look.complete()) {
            for (var e : s.model().messages.entrySet()) {
                boolean present = look.where().containsKey(e.getKey());
                if (!present && e.getValue().kind() == Kind.LIVE) {
                    problems.add(w + "a message that was not expunged is lost: " + firstLine(e.getKey()));
                }
                if (!present && e.getValue().kind() == Kind.REMOVING) {
                    seenGone.add(e.getKey());
                }
            }
        }
    }

    static String firstLine(String content) {
        Matcher m = Pattern.compile("Subject: ([^\r\n]*)").matcher(content);
        return m.find() ? "'" + m.group(1) + "'" : "'" + content.substring(0, Math.min(40, content.length())) + "'";
    }

    // ---------------------------------------------------------------- every crash point is reached

    static final Pattern LITERAL = Pattern.compile("CrashPoint\\.hit\\(\"([^\"]+)\"\\)");
    static final Pattern COMPOSED = Pattern.compile("CrashPoint\\.hit\\((\\w+) \\+ \"([^\"]+)\"\\)");

    /**
     * Every crash point in {@code src/main}: the literal {@code CrashPoint.hit("name")}, and {@code CrashPoint.hit(op +
     * ".step")} composed with the operation names that the method's callers pass as string literals.
     */
    /** The crash points in {@code src/main} whose names start with {@code prefix} (the points a test of its own covers). */
    static Set<String> crashPointsInTheSource(String prefix) throws IOException {
        Set<String> names = crashPointsInTheSource();
        names.removeIf(n -> !n.startsWith(prefix));
        return names;
    }

    static Set<String> crashPointsInTheSource() throws IOException {
        Set<String> names = new TreeSet<>();
        List<Path> sources;
        try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
            // the Cassandra store's points are not the classic store's processes' to reach: CassandraUnexpungeTest
            // makes each of them fail in-process (CrashPoint.injectFault) on a real node and checks the recovery
            sources = s.filter(p -> p.toString().endsWith(".java") && !p.toString().contains("/org/mstore/cassandra/")).toList();
        }
        Map<String, String> all = new TreeMap<>();
        for (Path p : sources) {
            all.put(p.toString(), Files.readString(p));
        }
        for (var src : all.entrySet()) {
            String text = src.getValue();
            Matcher m = LITERAL.matcher(text);
            while (m.find()) {
                names.add(m.group(1));
            }
            Matcher c = COMPOSED.matcher(text);
            while (c.find()) {
                // the method around it, and the literals its callers pass
                String before = text.substring(0, c.start());
                Matcher decl = Pattern.compile("\\s(\\w+)\\([^()]*\\bString " + c.group(1) + "\\b[^()]*\\)\\s*(throws [\\w, .]+)?\\{").matcher(before);
                String method = null;
                while (decl.find()) {
                    method = decl.group(1);
                }
                assertThat(method).as("the method around " + c.group() + " in " + src.getKey()).isNotNull();
                Set<String> ops = new TreeSet<>();
                for (String t : all.values()) {
                    Matcher call = Pattern.compile("\\." + method + "\\(([^;]*)\\);|[^.\\w]" + method + "\\(([^;]*)\\);").matcher(t);
                    while (call.find()) {
                        String args = call.group(1) != null ? call.group(1) : call.group(2);
                        Matcher lit = Pattern.compile("\"([a-z-]+)\"").matcher(args);
                        while (lit.find()) {
                            ops.add(lit.group(1));
                        }
                    }
                }
                assertThat(ops).as("operation names passed to " + method).isNotEmpty();
                for (String op : ops) {
                    names.add(op + c.group(2));
                }
            }
        }
        return names;
    }

    @Test
    @Order(2)
    void every_crash_point_in_the_source_is_reached_by_a_scenario() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("mstore.crash.only") == null,
                "-Dmstore.crash.only runs a subset of the scenarios: the coverage needs them all");
        Set<String> inSource = crashPointsInTheSource();
        assertThat(inSource).as("crash points found in src/main").hasSizeGreaterThan(40)
                .contains("expunge.after-exp-written", "expunge.after-index-tmp", "purge.after-index-new", "task-clean.after-storage");
        // init's points come before there is a store to prepare, and the rebuild of a lost mailbox list needs a store
        // without its database: InitCrashTest and RebuildListCrashTest halt those commands at each of their points
        inSource.removeIf(n -> n.startsWith(InitCrashTest.PREFIX) || n.startsWith(RebuildListCrashTest.PREFIX));
        // migrate's copies into a Cassandra store: CassandraMigrateTest makes its point fail in-process on a real node
        inSource.remove("migrate.after-mailbox");
        for (Scenario s : scenarios()) {
            trace(s); // already run by the matrix, unless this test runs alone
        }
        Set<String> missing = new TreeSet<>(inSource);
        missing.removeAll(REACHED.keySet());
        assertThat(missing).as("crash points no scenario reaches: add a scenario that passes them").isEmpty();
        Set<String> unknown = new TreeSet<>(REACHED.keySet());
        unknown.removeAll(inSource);
        assertThat(unknown).as("crash points hit that the source scan does not find").isEmpty();
    }

    // ---------------------------------------------------------------- files

    static void copyTree(Path from, Path to) {
        try {
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                    Files.createDirectories(to.resolve(from.relativize(d).toString()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Path t = to.resolve(from.relativize(f).toString());
                    Files.copy(f, t, StandardCopyOption.COPY_ATTRIBUTES);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
