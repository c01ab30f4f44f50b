package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mstore.api.Action;
import org.mstore.api.Outcome;
import org.mstore.api.QueueRequest;
import org.mstore.api.TaskResult;
import org.mstore.api.WorkerInfo;
import org.mstore.engine.Engine;
import org.mstore.testing.SettableClock;

/**
 * Many impurge workers, one queue: engines with store directories of their own stand for hosts (each has its own
 * session lock) on one Cassandra store. Every entry is done exactly once; a worker killed with SIGKILL in the middle of
 * a task leaves its entry leased until the lease runs out, then another worker finishes it. The queue size is 1,000 in
 * CI; {@code -Dmstore.cassandra.queueSize=10000} runs the full size.
 */
@ExtendWith(CassandraFixture.class)
class CassandraWorkersTest {
    static final int SIZE = Integer.getInteger("mstore.cassandra.queueSize", 1000);
    static String prefix;
    @TempDir
    Path tmp;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("work");
    }

    @ParameterizedTest(name = "{0} workers")
    @ValueSource(ints = {2, 3})
    void workers_on_several_hosts_drain_one_queue_every_entry_exactly_once(int workers) throws Exception {
        SettableClock clock = SettableClock.fixed();
        List<Engine> hosts = new ArrayList<>();
        try {
            for (int i = 0; i < workers; i++) {
                hosts.add(CassandraFixture.store(tmp.resolve("host" + i), prefix, clock));
            }
            Engine first = hosts.get(0);
            List<Long> stale = new ArrayList<>();
            first.queue().forEach(e -> stale.add(e.recno()));
            first.queue().remove(stale);
            first.mailboxes().create("user/real", CassandraStorage.PARTITION);
            List<QueueRequest> requests = new ArrayList<>();
            for (int i = 0; i < SIZE; i++) {
                // entries of mailboxes that are gone: each is a real claim, check and completion ("dropped")
                requests.add(new QueueRequest("user/gone" + workers + "x" + i, Action.PURGE, clock.millis(), true));
            }
            requests.add(new QueueRequest("user/real", Action.REPAIR, clock.millis(), true));
            long t0 = System.nanoTime();
            assertThat(first.queue().requestAll(requests)).isEqualTo(SIZE + 1);
            double enqueueSeconds = (System.nanoTime() - t0) / 1e9;

            Map<Long, AtomicInteger> done = new ConcurrentHashMap<>();
            Map<String, AtomicInteger> perHost = new ConcurrentHashMap<>();
            for (int i = 0; i < workers; i++) {
                String h = "host" + i;
                hosts.get(i).daemon().onResult(r -> {
                    if (r.finished()) {
                        done.computeIfAbsent(r.entry().recno(), k -> new AtomicInteger()).incrementAndGet();
                        perHost.computeIfAbsent(h, k -> new AtomicInteger()).incrementAndGet();
                    }
                });
            }
            ExecutorService pool = Executors.newFixedThreadPool(workers);
            long t1 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (Engine e : hosts) {
                fs.add(pool.submit(() -> {
                    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                    while (e.queue().count() > 0 && System.nanoTime() < deadline) {
                        e.daemon().drain();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(11, TimeUnit.MINUTES);
            }
            pool.shutdown();
            double seconds = (System.nanoTime() - t1) / 1e9;
            System.err.printf("Cassandra queue: %d entries enqueued in %.1f s (%.0f/s); %d workers drained them in %.1f s (%.0f tasks/s); per host %s%n",
                    SIZE + 1, enqueueSeconds, (SIZE + 1) / enqueueSeconds, workers, seconds, (SIZE + 1) / seconds, perHost);

            assertThat(done).hasSize(SIZE + 1);
            assertThat(done.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
            assertThat(perHost).hasSize(workers); // every host took part
            assertThat(first.queue().entriesAfter(0, 10)).isEmpty();
            assertThat(first.queue().count()).isZero();
            assertThat(first.mailboxes().get("user/real").lastRepair()).isNotNull();
            first.mailboxes().delete("user/real");
        } finally {
            hosts.forEach(Engine::close);
        }
    }

    @Test
    void a_worker_killed_mid_task_loses_its_entry_to_another_after_the_lease() throws Exception {
        SettableClock clock = SettableClock.fixed();
        try (Engine a = CassandraFixture.store(tmp.resolve("hostA"), prefix, clock);
             Engine b = CassandraFixture.store(tmp.resolve("hostB"), prefix, clock)) {
            List<Long> stale = new ArrayList<>();
            a.queue().forEach(e -> stale.add(e.recno()));
            a.queue().remove(stale);
            String box = "user/big";
            a.mailboxes().create(box, CassandraStorage.PARTITION);
            List<org.mstore.api.NewMessage> msgs = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                msgs.add(new org.mstore.api.NewMessage(org.mstore.testing.TestStore.message("m" + i, "body " + i + "\r\n".repeat(50)), clock.millis(), 0));
            }
            a.mailboxes().append(box, msgs);
            a.queue().request(box, Action.REPAIR);
            b.close();

            // host B's impurge, a process of its own, takes the Repair (reads 3,000 blobs) and is killed in the middle
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), "org.mstore.cli.Main", "impurge", "--exit-when-empty", "--store",
                    tmp.resolve("hostB").toString())
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("impurge-b.log").toFile()).start();
            WorkerInfo busy = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (busy == null && System.nanoTime() < deadline && p.isAlive()) {
                busy = a.queue().workers().stream().filter(w -> w.pid() == p.pid() && w.busy()).findFirst().orElse(null);
                Thread.sleep(100);
            }
            assertThat(busy).as(() -> "host B's worker claimed the Repair; its output: " + read(tmp.resolve("impurge-b.log"))).isNotNull();
            assertThat(busy.mailbox()).isEqualTo(box);
            assertThat(busy.action()).isEqualTo(Action.REPAIR);
            assertThat(busy.leaseAge(java.time.Instant.now())).isNotNull();
            p.destroyForcibly(); // SIGKILL
            p.waitFor(10, TimeUnit.SECONDS);
            long killedAt = System.nanoTime();

            // the entry is still leased to the dead worker: host A cannot take it at once
            assertThat(a.daemon().drain()).isEmpty();
            List<TaskResult> mine = new ArrayList<>();
            while (mine.isEmpty() && System.nanoTime() - killedAt < Duration.ofSeconds(90).toNanos()) {
                mine.addAll(a.daemon().drain());
                Thread.sleep(200);
            }
            double after = (System.nanoTime() - killedAt) / 1e9;
            System.err.printf("Cassandra queue: the killed worker's Repair was taken over after %.1f s (lease 5 s)%n", after);
            assertThat(mine).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
            assertThat(mine.get(0).entry().mailbox()).isEqualTo(box);
            assertThat(a.queue().count()).isZero();
            // nothing lost
            assertThat(a.mailboxes().get(box).messageCount()).isEqualTo(3000);
            assertThat(a.maintenance().inspect(box).problems()).isEmpty();
            assertThat(new String(a.mailboxes().fetch(box, 1234))).contains("body 1233");
            a.mailboxes().delete(box);
        }
    }

    private static String read(Path p) {
        try {
            return java.nio.file.Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
