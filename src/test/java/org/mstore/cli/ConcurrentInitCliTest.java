package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.engine.Engine;

/**
 * Creating a store is one process's work: of several commands that create the same store at once exactly one does it
 * (holding the init lock, {@code init.lck}, for the whole of its init); another {@code init} fails in one line saying
 * that a store is being created there, and nothing it does touches what the creator makes; {@code generate}, which
 * creates the store only if there is none, waits for the creator and then fills the finished store. A command that
 * meets a store whose init is running says so, not that the init was interrupted.
 */
class ConcurrentInitCliTest {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static Cli cli;
    static Path msg;

    @BeforeAll
    static void setUp() throws IOException {
        cli = new Cli(dir);
        cli.on(dir.resolve("warm-up"), "init").ok(); // the first command dumps the class-data archive the others map
        msg = dir.resolve("hello.eml");
        Files.writeString(msg, "From: a@example.org\r\nSubject: after the race\r\n\r\nhello\r\n", StandardCharsets.UTF_8);
    }

    /** Waits for a background command and returns its exit status. */
    static int exit(Cli.Background b) throws InterruptedException {
        if (!b.process().waitFor(Cli.TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            b.close();
            throw new AssertionError("timed out: " + String.join(" ", b.command()));
        }
        return b.process().exitValue();
    }

    static String describe(Cli.Background b) {
        return String.join(" ", b.command()) + "\n  exit " + b.process().exitValue() + "\n  stdout: " + b.out() + "\n  stderr: " + b.err();
    }

    /** The store works: it lists, takes a new mailbox and a message, and serves the message back. */
    static void works(Path store) {
        assertThat(store.resolve(Engine.INIT_MARKER)).doesNotExist();
        assertThat(store.resolve(Engine.INIT_LOCK)).doesNotExist();
        cli.on(store, "mboxutil", "-l").ok();
        cli.on(store, "mboxutil", "-c", "user/alice").ok();
        cli.on(store, "client", "append", "user/alice", msg.toString()).ok();
        assertThat(cli.on(store, "client", "fetch", "user/alice", "1").ok().out()).contains("Subject: after the race");
    }

    @Test
    void only_one_of_several_concurrent_inits_creates_the_store_and_the_others_say_why() throws Exception {
        for (int round = 1; round <= 5; round++) {
            Path store = dir.resolve("inits-" + round);
            List<Cli.Background> inits = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                inits.add(cli.background(store, "init"));
            }
            int created = 0;
            for (Cli.Background b : inits) {
                int exit = exit(b);
                if (exit == 0) {
                    created++;
                    assertThat(b.out()).as(describe(b)).isEqualTo("created store " + store + "\n");
                    assertThat(b.err()).as(describe(b)).isEmpty();
                } else {
                    assertThat(exit).as(describe(b)).isEqualTo(1);
                    assertThat(b.out()).as(describe(b)).isEmpty();
                    assertThat(b.err().lines()).as(describe(b)).hasSize(1);
                    // it lost the race, or came after the winner had finished
                    assertThat(b.err()).as(describe(b)).containsAnyOf("cannot create a store at " + store + ": another mstore process",
                            "a store already exists at " + store);
                }
            }
            assertThat(created).as("round " + round + ": inits that said they created the store").isEqualTo(1);
            works(store);
        }
    }

    @Test
    void two_generates_on_a_new_store_at_once_both_fill_the_one_store_their_first_creates() throws Exception {
        for (int round = 1; round <= 3; round++) {
            Path store = dir.resolve("generates-" + round);
            Cli.Background users = cli.background(store, "generate", "--users", "1", "--messages", "20");
            Cli.Background zed = cli.background(store, "generate", "--mailbox", "user/zed", "--messages", "20");
            for (Cli.Background b : List.of(users, zed)) {
                assertThat(exit(b)).as(describe(b)).isZero();
                assertThat(b.out()).as(describe(b)).startsWith("generated 1 mailboxes, 20 messages");
                assertThat(b.err()).as(describe(b)).isEmpty();
            }
            List<String> list = cli.on(store, "mboxutil", "-l").ok().outLines();
            assertThat(list).as("round " + round).hasSize(3);
            assertThat(list.get(1)).matches("user/user0001 +primary +20 .*");
            assertThat(list.get(2)).matches("user/zed +primary +20 .*");
            works(store);
        }
    }

    /** What a running init of {@code store} has made when it is about to make the database: its lock file, marker, configuration. */
    static void madeSoFar(Path store) throws IOException {
        Files.createDirectories(store);
        long pid = ProcessHandle.current().pid();
        Files.writeString(store.resolve(Engine.INIT_LOCK), "pid " + pid + " init\n");
        Files.writeString(store.resolve(Engine.INIT_MARKER), "init\na classic store, pid " + pid + "\n");
        Files.writeString(store.resolve("store.conf"), "backend=classic\n");
    }

    /**
     * Holds the init lock of {@code store}, as its running init does, until the channel is closed. Meanwhile nothing in
     * this JVM may open {@code init.lck} (closing that would free the lock: POSIX locks belong to the process).
     */
    static FileChannel hold(Path store) throws IOException {
        FileChannel ch = FileChannel.open(store.resolve(Engine.INIT_LOCK), StandardOpenOption.READ, StandardOpenOption.WRITE);
        assertThat(ch.lock().isValid()).isTrue();
        return ch;
    }

    @Test
    void a_command_meeting_a_running_init_says_the_store_is_being_created_and_init_leaves_it_alone() throws Exception {
        Path store = dir.resolve("running");
        madeSoFar(store);
        var before = StoreState.files(store);
        try (FileChannel lock = hold(store)) {
            cli.on(store, "mboxutil", "-l").failsWith(1, "the store at " + store + " is being created", "pid " + ProcessHandle.current().pid());
            cli.on(store, "imcheck", "-q").failsWith(1, "is being created");
            cli.on(store, "init").failsWith(1, "cannot create a store at " + store + ": another mstore process", "is creating it");
        }
        assertThat(StoreState.files(store)).as("what the running init made so far").isEqualTo(before);
        // its creator is gone (the lock is free) and left its marker: an interrupted init, which init makes again
        cli.on(store, "mboxutil", "-l").failsWith(1, "its init was interrupted", "run 'mstore init --store " + store + "'");
        cli.on(store, "init").ok();
        works(store);
    }

    @Test
    void generate_on_a_store_being_created_waits_for_its_creator_then_carries_on() throws Exception {
        Path locks = Path.of("/proc/locks");
        Assumptions.assumeTrue(Files.isReadable(locks), "needs /proc/locks to see a process wait for a lock");
        Path store = dir.resolve("waiting");
        madeSoFar(store);
        Cli.Background g;
        try (FileChannel lock = hold(store)) {
            g = cli.background(store, "generate", "--mailbox", "user/zed", "--messages", "5");
            // a lock request that waits shows in /proc/locks as "N: -> POSIX ADVISORY WRITE <pid> ..."
            String waiting = "-> POSIX ADVISORY WRITE " + g.pid() + " ";
            Cli.await("generate " + g.pid() + " to wait for the init lock", WAIT, () -> {
                if (!g.process().isAlive()) {
                    throw new AssertionError("generate did not wait: " + describe(g));
                }
                try {
                    return Files.readString(locks).replaceAll(" +", " ").contains(waiting);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        // the creator stopped without finishing: generate, which waited, makes the store and fills it
        assertThat(exit(g)).as(describe(g)).isZero();
        assertThat(g.out()).as(describe(g)).startsWith("generated 1 mailboxes, 5 messages");
        assertThat(cli.on(store, "mboxutil", "-l").ok().outLines()).hasSize(2).last().asString().matches("user/zed +primary +5 .*");
        works(store);
    }
}
