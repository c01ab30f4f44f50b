package org.mstore.cassandra;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.mstore.api.OpenOptions;
import org.mstore.engine.Engine;
import org.mstore.testing.SettableClock;
import org.mstore.tools.CassandraNode;

/**
 * One real single-node Cassandra for the whole test run, shared by every Cassandra test class: started by the first
 * class that needs it (ports chosen free), stopped when the run ends. A node already running is reused: the one named
 * by {@code -Dmstore.cassandra.contactPoint=HOST:PORT}, or the one this fixture left running under
 * {@code target/cassandra-test-node}. If Cassandra cannot start on this machine, the tests are skipped, loudly.
 *
 * <p>Each test class gets keyspaces of its own (a prefix); every store a test makes joins them.
 */
public final class CassandraFixture implements BeforeAllCallback {
    private static final Object LOCK = new Object();
    private static String contactPoint;
    private static String failure;
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (LOCK) {
            if (contactPoint == null && failure == null) {
                start(context);
            }
        }
        if (failure != null) {
            System.err.println("*** CASSANDRA TESTS SKIPPED: " + failure);
        }
        Assumptions.assumeTrue(failure == null, () -> "Cassandra could not start on this machine: " + failure);
    }

    private static void start(ExtensionContext context) {
        String given = System.getProperty("mstore.cassandra.contactPoint");
        if (given != null && !given.isBlank()) {
            contactPoint = given.strip();
            return;
        }
        Path dir = Path.of("target", "cassandra-test-node").toAbsolutePath();
        try {
            var running = CassandraNode.running(dir);
            if (running.isPresent()) {
                contactPoint = running.get().contactPoint();
                System.err.println("Cassandra tests: reusing the node at " + contactPoint + " (" + dir + ")");
                return;
            }
            if (Files.exists(dir)) {
                org.mstore.store.ClassicStore.deleteRecursively(dir);
            }
            CassandraNode.Options o = new CassandraNode.Options(dir, "127.0.0.1", freePort(), freePort(), freePort(), "", "1g", "mstore-test");
            long t0 = System.nanoTime();
            CassandraNode.Running r = CassandraNode.start(o, Duration.ofSeconds(240));
            contactPoint = r.contactPoint();
            System.err.println("Cassandra tests: started a node at " + contactPoint + " in " + Duration.ofNanos(System.nanoTime() - t0).toSeconds() + " s");
            // stopped once the whole run is over (the root context's store closes last)
            context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).put("mstore-cassandra-node", new StopNode(dir));
        } catch (IOException | RuntimeException e) {
            failure = e.getMessage();
        }
    }

    /** Stops the node when the root context closes (the end of the run). */
    private record StopNode(Path dir) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() throws IOException {
            CassandraNode.stop(dir, Duration.ofSeconds(30));
            System.err.println("Cassandra tests: stopped the node at " + contactPoint);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public static String contactPoint() {
        return contactPoint;
    }

    /** A keyspace prefix no other test class uses in this run. */
    public static String newPrefix(String name) {
        return "t" + Long.toString(System.currentTimeMillis() % 1_000_000L, 36) + "_" + name + PREFIXES.incrementAndGet() + "_";
    }

    /** The options of {@code init --backend cassandra} for a prefix (5-second leases: a dead worker's entry is taken over fast). */
    public static Map<String, String> options(String prefix) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("contact-points", contactPoint);
        m.put("datacenter", CassandraNode.DATACENTER);
        m.put("keyspace-prefix", prefix);
        m.put("lease-seconds", "5");
        return m;
    }

    /** A new store at {@code root} on the keyspaces of {@code prefix} (made by the first, joined by the next). */
    public static Engine store(Path root, String prefix, SettableClock clock) throws IOException {
        return Engine.init(root, new OpenOptions(clock, "test", false, false), "cassandra", options(prefix));
    }
}
