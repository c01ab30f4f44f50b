package org.mstore.cassandra;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.NewMessage;
import org.mstore.api.QueueRequest;
import org.mstore.api.UidSet;
import org.mstore.engine.Engine;
import org.mstore.testing.SettableClock;
import org.mstore.tools.MessageGenerator;

/**
 * The figures of docs/benchmarks.md's Cassandra section (not a timed test: it asserts nothing and runs only with
 * {@code -Dmstore.cassandra.bench=true}): queue throughput with 1, 2 and 3 workers on one queue, enqueue per second,
 * append and fetch per second against the single node, and the time of a Purge of 10% of a mailbox of
 * {@code -Dmstore.cassandra.bench.messages} (200,000) messages; and, alone ({@code -Dtest='CassandraBenchmark#flag_change'}),
 * the time of a flag change on one message.
 */
@ExtendWith(CassandraFixture.class)
class CassandraBenchmark {
    @TempDir
    Path tmp;

    private static void out(String f, Object... a) {
        System.err.println(String.format(Locale.ROOT, "BENCH " + f, a));
    }

    @Test
    void figures() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("mstore.cassandra.bench"), "run with -Dmstore.cassandra.bench=true");
        int entries = Integer.getInteger("mstore.cassandra.bench.entries", 3000);
        int messages = Integer.getInteger("mstore.cassandra.bench.messages", 200_000);
        String prefix = CassandraFixture.newPrefix("bench");
        SettableClock clock = SettableClock.fixed();
        List<Engine> hosts = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                hosts.add(CassandraFixture.store(tmp.resolve("host" + i), prefix, clock));
            }
            Engine a = hosts.get(0);
            a.mailboxes().create("user/real", CassandraStorage.PARTITION);
            for (int workers = 1; workers <= 3; workers++) {
                List<QueueRequest> rs = new ArrayList<>();
                for (int i = 0; i < entries; i++) {
                    rs.add(new QueueRequest("user/gone" + workers + "x" + i, Action.PURGE, clock.millis(), true));
                }
                long t0 = System.nanoTime();
                a.queue().requestAll(rs);
                double enq = (System.nanoTime() - t0) / 1e9;
                out("enqueue (requestAll, batched): %d entries in %.1f s = %.0f/s", entries, enq, entries / enq);
                ExecutorService pool = Executors.newFixedThreadPool(workers);
                long t1 = System.nanoTime();
                List<Future<?>> fs = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    Engine e = hosts.get(w);
                    fs.add(pool.submit(() -> {
                        while (e.queue().count() > 0) {
                            e.daemon().drain();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get(30, TimeUnit.MINUTES);
                }
                pool.shutdown();
                double s = (System.nanoTime() - t1) / 1e9;
                out("queue: %d workers drained %d entries in %.1f s = %.0f tasks/s", workers, entries, s, entries / s);
            }
            // single enqueues (an expunge past cleanupsize, a corruption report): one at a time
            long t2 = System.nanoTime();
            for (int i = 0; i < 300; i++) {
                a.queue().request("user/real", i % 2 == 0 ? Action.REPAIR : Action.PURGE);
                a.queue().remove(a.queue().entriesAfter(0, 10).stream().map(x -> x.recno()).toList());
            }
            out("enqueue one at a time (+ remove): %.0f/s", 300 / ((System.nanoTime() - t2) / 1e9));

            // append and fetch
            String box = "user/big";
            a.mailboxes().create(box, CassandraStorage.PARTITION);
            MessageGenerator g = new MessageGenerator(42);
            long bytes = 0;
            long t3 = System.nanoTime();
            int batch = 500;
            for (int done = 0; done < messages; done += batch) {
                List<NewMessage> ms = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    byte[] b = g.next("bench").bytes();
                    bytes += b.length;
                    ms.add(new NewMessage(b, clock.millis(), 0));
                }
                a.mailboxes().append(box, ms);
            }
            double ap = (System.nanoTime() - t3) / 1e9;
            out("append: %d messages (%.0f MB) in batches of %d in %.1f s = %.0f messages/s", messages, bytes / 1e6, batch, ap, messages / ap);
            long t4 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                a.mailboxes().append(box, List.of(new NewMessage(g.next("bench").bytes(), clock.millis(), 0)));
            }
            out("append one message per call (lock, UID, header, unlock: 4 LWTs): %.0f/s", 100 / ((System.nanoTime() - t4) / 1e9));
            java.util.Random rnd = new java.util.Random(1);
            long t5 = System.nanoTime();
            for (int i = 0; i < 2000; i++) {
                a.mailboxes().fetch(box, 1 + rnd.nextInt(messages));
            }
            out("fetch (random UIDs, checksum verified): %.0f/s", 2000 / ((System.nanoTime() - t5) / 1e9));

            // Purge of 10%
            int tenth = messages / 10;
            a.mailboxes().setDeleted(box, UidSet.parse("1:" + tenth), true);
            long t6 = System.nanoTime();
            a.mailboxes().expunge(box);
            out("expunge of %d messages: %.1f s", tenth, (System.nanoTime() - t6) / 1e9);
            a.queue().request(box, Action.PURGE);
            long t7 = System.nanoTime();
            var r = a.daemon().drain();
            out("Purge of %d of %d messages: %.1f s (%s)", tenth, messages, (System.nanoTime() - t7) / 1e9, r.isEmpty() ? "-" : r.get(0).detail());
        } finally {
            hosts.forEach(Engine::close);
        }
    }

    /**
     * One message's {@code \Flagged} set and cleared through the API (an IMAP STORE: open, lock, read, write, the
     * mailbox list's touch, close), {@code -Dmstore.cassandra.bench.flags} (200) times after 20 unmeasured; the median
     * and the 90th percentile.
     */
    @Test
    void flag_change() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("mstore.cassandra.bench"), "run with -Dmstore.cassandra.bench=true");
        int n = Integer.getInteger("mstore.cassandra.bench.flags", 200);
        String prefix = CassandraFixture.newPrefix("benchflags");
        SettableClock clock = SettableClock.fixed();
        try (Engine a = CassandraFixture.store(tmp.resolve("host"), prefix, clock)) {
            String box = "user/flags";
            a.mailboxes().create(box, CassandraStorage.PARTITION);
            MessageGenerator g = new MessageGenerator(42);
            List<NewMessage> ms = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                ms.add(new NewMessage(g.next("bench").bytes(), clock.millis(), 0));
            }
            a.mailboxes().append(box, ms);
            UidSet one = UidSet.of(50);
            double[] ms1 = new double[n];
            for (int i = -20; i < n; i++) {
                long t0 = System.nanoTime();
                int changed = a.mailboxes().setFlags(box, one, Flags.FLAGGED, i % 2 == 0 ? FlagMode.ADD : FlagMode.REMOVE).size();
                if (i >= 0) {
                    ms1[i] = (System.nanoTime() - t0) / 1e6;
                }
                if (changed != 1) {
                    throw new IllegalStateException("flag change " + i + " changed " + changed + " messages, not 1");
                }
            }
            java.util.Arrays.sort(ms1);
            out("flag change on one message of 100 (through the API): %d changes, median %.2f ms, 90th percentile %.2f ms", n, ms1[n / 2],
                    ms1[n * 9 / 10]);
        }
    }
}
