package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.NoNodeAvailableException;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.ReadTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.WriteType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.DaemonMode;
import org.mstore.api.DaemonState;
import org.mstore.api.OpenOptions;
import org.mstore.api.Outcome;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.StoreUnreachableException;
import org.mstore.api.TaskResult;
import org.mstore.api.UidSet;
import org.mstore.backend.MailboxHandle;
import org.mstore.engine.Engine;
import org.mstore.testing.SettableClock;

/**
 * A Cassandra store whose node stops answering for a while: a long-running impurge waits the outage out and carries on.
 * The store reaches the shared node through a {@link TcpProxy} of its own, which the test takes down and brings back
 * (the node itself runs on for the other test classes).
 */
@ExtendWith(CassandraFixture.class)
class CassandraOutageTest {
    static final String BOX = "user/alice";
    static String prefix;
    @TempDir
    Path tmp;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("outage");
    }

    @Test
    void impurge_waits_while_cassandra_is_unreachable_and_drains_when_it_answers_again() throws Exception {
        SettableClock clock = SettableClock.fixed();
        try (TcpProxy proxy = new TcpProxy(CassandraFixture.contactPoint())) {
            Map<String, String> options = CassandraFixture.options(prefix);
            options.put("contact-points", proxy.contactPoint());
            Path root = tmp.resolve("store");
            try (Engine e = Engine.init(root, new OpenOptions(clock, "test", false, false), "cassandra", options)) {
                e.settings().set(Setting.CLEANUP_SIZE, "5");
                CassandraTestStore s = CassandraTestStore.of(e, root, clock);
                s.mailbox(BOX);
                s.append(BOX, 10);
                s.expunge(BOX, "1:6"); // queues a Purge, due after store.cleanupage (1 h)
                List<QueueEntry> queued = s.queue();
                assertThat(queued).extracting(QueueEntry::action).containsExactly(Action.PURGE);

                List<TaskResult> results = new CopyOnWriteArrayList<>();
                e.daemon().onResult(results::add);
                e.daemon().start(DaemonMode.daemon());
                waitFor(Duration.ofSeconds(30), () -> e.daemon().status().state() == DaemonState.WAITING
                        && e.daemon().status().message().contains("next entry due"));

                proxy.down();
                clock.advance(Duration.ofMinutes(61)); // the Purge is due now, but the store cannot be reached
                waitFor(Duration.ofSeconds(40), () -> e.daemon().status().state() == DaemonState.UNREACHABLE);
                assertThat(e.daemon().status().message()).contains("unreachable since");
                Thread.sleep(2_000); // tries again, and fails
                assertThat(e.daemon().running()).isTrue();
                assertThat(e.daemon().status().state()).isEqualTo(DaemonState.UNREACHABLE);
                assertThat(results).isEmpty();

                proxy.up();
                waitFor(Duration.ofSeconds(90), () -> results.stream().anyMatch(TaskResult::finished));
                assertThat(results).filteredOn(TaskResult::finished).singleElement().satisfies(r -> {
                    assertThat(r.entry().recno()).isEqualTo(queued.get(0).recno());
                    assertThat(r.outcome()).isEqualTo(Outcome.DONE);
                });
                assertThat(results).noneMatch(r -> !r.finished()); // no failed attempt was counted
                waitFor(Duration.ofSeconds(10), () -> e.daemon().status().state() == DaemonState.WAITING);
                assertThat(e.daemon().running()).isTrue();
                assertThat(e.mailboxes().get(BOX).expunged()).isZero();
                assertThat(s.queue()).isEmpty();

                List<String> log = Files.readAllLines(e.log().file());
                assertThat(log).filteredOn(l -> l.contains("the store is unreachable")).hasSize(1); // one per outage
                assertThat(log).filteredOn(l -> l.contains("the store answers again")).hasSize(1);
                assertThat(log).noneMatch(l -> l.contains("impurge stopped"));
            }
        }
    }

    @Test
    void the_cassandra_backend_calls_no_node_answering_unreachable_and_other_errors_not() {
        assertThat(CassandraBackend.unreachableCause(new NoNodeAvailableException())).isTrue();
        assertThat(CassandraBackend.unreachableCause(AllNodesFailedException.fromErrors(Map.of()))).isTrue();
        assertThat(CassandraBackend.unreachableCause(new DriverTimeoutException("Query timed out after PT12S"))).isTrue();
        assertThat(CassandraBackend.unreachableCause(new UnavailableException(null, ConsistencyLevel.LOCAL_QUORUM, 2, 1))).isTrue();
        assertThat(CassandraBackend.unreachableCause(new ReadTimeoutException(null, ConsistencyLevel.LOCAL_QUORUM, 1, 2, false))).isTrue();
        assertThat(CassandraBackend.unreachableCause(new WriteTimeoutException(null, ConsistencyLevel.LOCAL_QUORUM, 1, 2, WriteType.CAS)))
                .isTrue();
        // wrapped, as the store's layers pass it on
        assertThat(CassandraBackend.unreachableCause(new UncheckedIOException(new IOException("append failed", new NoNodeAvailableException()))))
                .isTrue();
        assertThat(CassandraBackend.unreachableCause(new IllegalStateException("x", new DriverTimeoutException("t")))).isTrue();

        assertThat(CassandraBackend.unreachableCause(new InvalidQueryException(null, "unconfigured table queue_entries"))).isFalse();
        assertThat(CassandraBackend.unreachableCause(new IllegalStateException("bad"))).isFalse();
        assertThat(CassandraBackend.unreachableCause(new IOException("disk", new IllegalArgumentException()))).isFalse();
        assertThat(CassandraBackend.unreachableCause(null)).isFalse();
    }

    @Test
    void lease_renewals_that_fail_through_an_outage_are_warned_of_once_and_their_return_said_once() throws Exception {
        SettableClock clock = SettableClock.fixed();
        try (TcpProxy proxy = new TcpProxy(CassandraFixture.contactPoint())) {
            Map<String, String> options = CassandraFixture.options(prefix);
            options.put("contact-points", proxy.contactPoint());
            Path root = tmp.resolve("renewals");
            try (Engine e = Engine.init(root, new OpenOptions(clock, "test", false, false), "cassandra", options)) {
                CassandraTestStore s = CassandraTestStore.of(e, root, clock);
                String box = "user/renewals";
                s.mailbox(box);
                s.append(box, 1);
                List<String> log;
                try (MailboxHandle mb = s.backend.storage().open(e.mailboxes().get(box), false)) {
                    mb.setFlags(UidSet.of(1), Flags.SEEN, FlagMode.ADD); // takes the mailbox's lock: the keeper renews it
                    proxy.down();
                    waitFor(Duration.ofSeconds(30), () -> lines(e).stream().anyMatch(l -> l.contains("lease renewal failed")));
                    Thread.sleep(4 * 1_700); // four more renewals (5-second leases: one every 1.7 s), all failing
                    clock.advance(Duration.ofSeconds(40));
                    proxy.up();
                    waitFor(Duration.ofSeconds(90), () -> lines(e).stream().anyMatch(l -> l.contains("lease renewed again")));
                    log = lines(e);
                }
                assertThat(log).filteredOn(l -> l.contains("lease renewal failed")).singleElement().asString()
                        .contains("Store Warning:");
                assertThat(log).filteredOn(l -> l.contains("lease renewed again")).singleElement().asString()
                        .contains("lease renewed again after 40 s");
            }
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // a caller left waiting for an answer is the failure this guards against
    void run_now_while_the_store_is_unreachable_says_so_in_one_line_and_the_entry_stays_queued_to_run_when_it_answers() throws Exception {
        SettableClock clock = SettableClock.fixed();
        try (TcpProxy proxy = new TcpProxy(CassandraFixture.contactPoint())) {
            Map<String, String> options = CassandraFixture.options(prefix);
            options.put("contact-points", proxy.contactPoint());
            Path root = tmp.resolve("runnow");
            try (Engine e = Engine.init(root, new OpenOptions(clock, "test", false, false), "cassandra", options)) {
                CassandraTestStore s = CassandraTestStore.of(e, root, clock);
                String box = "user/runnow";
                s.mailbox(box);
                long recno = e.queue().request(box, Action.PURGE).recno();

                proxy.down();
                assertThatThrownBy(() -> e.daemon().runNow(List.of(recno))).isInstanceOf(StoreUnreachableException.class)
                        .hasMessage("the store is unreachable: RecNo " + recno + " stays in the queue and runs when the store answers");

                proxy.up();
                waitFor(Duration.ofSeconds(90), () -> answers(e));
                assertThat(e.queue().get(recno)).hasValueSatisfying(q -> {
                    assertThat(q.state()).isEqualTo(QueueEntry.State.WAITING);
                    assertThat(q.attempts()).isZero();
                });
                assertThat(e.daemon().runNow(List.of(recno))).singleElement().satisfies(r -> assertThat(r.finished()).isTrue());
                assertThat(e.queue().get(recno)).isEmpty();
            }
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void a_run_now_that_an_outage_cut_short_runs_at_the_next_run_now_once_the_store_answers() throws Exception {
        SettableClock clock = SettableClock.fixed();
        // keyspaces of its own, with a lease longer than the test: what is checked is that nobody waits for it
        String p = CassandraFixture.newPrefix("cutshort");
        try (TcpProxy proxy = new TcpProxy(CassandraFixture.contactPoint())) {
            Map<String, String> options = CassandraFixture.options(p);
            options.put("contact-points", proxy.contactPoint());
            options.put("lease-seconds", "600");
            Path root = tmp.resolve("cutshort");
            try (Engine e = Engine.init(root, new OpenOptions(clock, "test", false, false), "cassandra", options)) {
                CassandraTestStore s = CassandraTestStore.of(e, root, clock);
                String box = "user/cutshort";
                s.mailbox(box);
                long recno = e.queue().request(box, Action.REPAIR).recno();
                // the outage begins once the entry is claimed, as its task starts
                java.util.concurrent.atomic.AtomicBoolean cut = new java.util.concurrent.atomic.AtomicBoolean();
                AutoCloseable sub = e.subscribe(ev -> {
                    if (ev instanceof org.mstore.api.StoreEvent.DaemonChanged d && d.status().state() == DaemonState.WORKING && cut.compareAndSet(false, true)) {
                        try {
                            proxy.down();
                        } catch (IOException x) {
                            throw new UncheckedIOException(x);
                        }
                    }
                });
                assertThatThrownBy(() -> e.daemon().runNow(List.of(recno))).isInstanceOf(StoreUnreachableException.class)
                        .hasMessage("the store is unreachable: RecNo " + recno + " stays in the queue and runs when the store answers");
                sub.close();
                assertThat(cut).isTrue();

                proxy.up();
                waitFor(Duration.ofSeconds(90), () -> answers(e));
                assertThat(e.daemon().runNow(List.of(recno))).as("the second Run now").singleElement()
                        .satisfies(r -> assertThat(r.finished()).as(r.toString()).isTrue());
                assertThat(e.queue().get(recno)).isEmpty();
            }
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void a_request_while_the_store_is_unreachable_says_so_in_one_line_not_in_the_drivers_words() throws Exception {
        SettableClock clock = SettableClock.fixed();
        try (TcpProxy proxy = new TcpProxy(CassandraFixture.contactPoint())) {
            Map<String, String> options = CassandraFixture.options(prefix);
            options.put("contact-points", proxy.contactPoint());
            Path root = tmp.resolve("request");
            try (Engine e = Engine.init(root, new OpenOptions(clock, "test", false, false), "cassandra", options)) {
                CassandraTestStore s = CassandraTestStore.of(e, root, clock);
                String box = "user/request";
                s.mailbox(box);

                proxy.down();
                assertThatThrownBy(() -> e.queue().request(box, Action.REPAIR)).isInstanceOf(StoreUnreachableException.class)
                        .hasMessage("the store is unreachable: the Repair of " + box + " may not have been queued; try again when the"
                                + " store answers");

                proxy.up();
                waitFor(Duration.ofSeconds(90), () -> answers(e));
                assertThat(e.queue().request(box, Action.REPAIR).recno()).isPositive();
            }
        }
    }

    /** Whether the store answers a read. */
    private static boolean answers(Engine e) {
        try {
            e.queue().count();
            return true;
        } catch (RuntimeException x) {
            return false;
        }
    }

    private static List<String> lines(Engine e) {
        try {
            return Files.exists(e.log().file()) ? Files.readAllLines(e.log().file()) : List.of();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    private static void waitFor(Duration max, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + max);
            }
            Thread.sleep(50);
        }
    }
}
