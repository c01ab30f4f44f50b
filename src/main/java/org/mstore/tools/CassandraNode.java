package org.mstore.tools;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * A single Apache Cassandra 5.0 node for trying the Cassandra store and for its tests: {@code cassandra-all} in a JVM of
 * its own (with the {@code --add-exports}/{@code --add-opens} options Cassandra lists for Java 17 and a small heap),
 * its configuration, data and logs under one directory. {@link #start} returns once the node answers CQL;
 * {@link #stop} ends it. The node's class path is the one the build wrote to {@code target/cassandra/classpath.txt}
 * (see the pom): {@code cassandra-all} is never part of {@code mstore.jar}.
 *
 * <p>Files under the directory: {@code conf/cassandra.yaml}, {@code conf/logback.xml}, {@code node.properties}
 * (address, ports, pid), {@code data/}, {@code logs/system.log}, {@code logs/stdout.log}.
 */
public final class CassandraNode {
    /** Where the build records cassandra-all's class path, relative to the project's {@code target/}. */
    public static final String CLASSPATH_FILE = "cassandra/classpath.txt";
    static final String MAIN = "org.apache.cassandra.service.CassandraDaemon";
    static final String NODETOOL = "org.apache.cassandra.tools.NodeTool";

    /** What Cassandra 5.0's {@code conf/jvm17-server.options} lists for Java 17. */
    static final List<String> JAVA17_OPTIONS = List.of(
            "-Djdk.attach.allowAttachSelf=true",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
            "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
            "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
            "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
            "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
            "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.io=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens", "java.base/java.util=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/java.math=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens", "java.base/java.net=ALL-UNNAMED");

    /**
     * How to run a node.
     *
     * @param dir         its directory (configuration, data, logs)
     * @param address     listen and CQL address (127.0.0.1; .2 and .3 for a loopback cluster)
     * @param cqlPort     CQL (native transport) port
     * @param storagePort inter-node port (the same on every node of a cluster)
     * @param jmxPort     local JMX port (nodetool)
     * @param seeds       the cluster's seed addresses ({@code host:port,...}); this node alone when empty
     * @param heap        the JVM's -Xmx, e.g. {@code 1g}
     * @param cluster     the cluster name
     */
    public record Options(Path dir, String address, int cqlPort, int storagePort, int jmxPort, String seeds, String heap, String cluster) {
        public static Options defaults(Path dir) {
            return new Options(dir, "127.0.0.1", 9042, 7000, 7199, "", "1g", "mstore");
        }

        String seedList() {
            return seeds == null || seeds.isBlank() ? address + ":" + storagePort : seeds;
        }
    }

    /** A node that {@link #start} found running or started: where it answers. */
    public record Running(String address, int cqlPort, long pid, boolean started, Duration took) {
        public String contactPoint() {
            return address + ":" + cqlPort;
        }
    }

    private CassandraNode() {
    }

    /** The node's datacenter: SimpleSnitch puts every node in {@code datacenter1}. */
    public static final String DATACENTER = "datacenter1";

    /**
     * Starts a node (or finds the one already running from {@code dir}) and waits until it answers CQL, at most
     * {@code timeout}. Throws with the last lines of its log if it does not come up.
     */
    public static Running start(Options o, Duration timeout) throws IOException {
        Path dir = o.dir().toAbsolutePath().normalize();
        Optional<Running> already = running(dir);
        if (already.isPresent()) {
            return already.get();
        }
        List<String> cp = classPath();
        Files.createDirectories(dir.resolve("conf"));
        Files.createDirectories(dir.resolve("logs"));
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("conf/cassandra.yaml"), yaml(o, dir));
        Files.writeString(dir.resolve("conf/logback.xml"), logback(dir));
        if (portOpen(o.address(), o.cqlPort(), 300)) {
            throw new IOException("port " + o.address() + ":" + o.cqlPort() + " is already in use; choose another with --port");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms" + o.heap());
        cmd.add("-Xmx" + o.heap());
        cmd.add("-Xss512k");
        cmd.add("-XX:+UseG1GC");
        cmd.add("-XX:-UsePerfData");
        cmd.add("-Djava.io.tmpdir=" + dir.resolve("data"));
        cmd.addAll(JAVA17_OPTIONS);
        cmd.add("-Dcassandra.config=" + dir.resolve("conf/cassandra.yaml").toUri());
        cmd.add("-Dcassandra.storagedir=" + dir.resolve("data"));
        cmd.add("-Dcassandra.logdir=" + dir.resolve("logs"));
        cmd.add("-Dlogback.configurationFile=" + dir.resolve("conf/logback.xml"));
        cmd.add("-Dcassandra.jmx.local.port=" + o.jmxPort());
        cmd.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
        cmd.add("-Dcassandra.superuser_setup_delay_ms=0");
        cmd.add("-Dcassandra.ring_delay_ms=1000");
        cmd.add("-Dcassandra-foreground=yes");
        cmd.add("-cp");
        cmd.add(String.join(java.io.File.pathSeparator, cp));
        cmd.add(MAIN);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("logs/stdout.log").toFile()));
        long t0 = System.nanoTime();
        Process p = pb.start();
        Properties props = new Properties();
        props.setProperty("address", o.address());
        props.setProperty("cqlPort", Integer.toString(o.cqlPort()));
        props.setProperty("storagePort", Integer.toString(o.storagePort()));
        props.setProperty("jmxPort", Integer.toString(o.jmxPort()));
        props.setProperty("pid", Long.toString(p.pid()));
        try (var w = Files.newBufferedWriter(dir.resolve("node.properties"))) {
            props.store(w, "mstore cassandra node");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("Cassandra exited with status " + p.exitValue() + " while starting: " + tail(dir));
            }
            if (portOpen(o.address(), o.cqlPort(), 500) && CqlProbe.answers(o.address(), o.cqlPort())) {
                return new Running(o.address(), o.cqlPort(), p.pid(), true, Duration.ofNanos(System.nanoTime() - t0));
            }
            sleep(500);
        }
        p.destroyForcibly();
        throw new IOException("Cassandra did not answer CQL on " + o.address() + ":" + o.cqlPort() + " within " + timeout.toSeconds()
                + " s: " + tail(dir));
    }

    /** The node run from {@code dir}, if its process is alive and answers CQL. */
    public static Optional<Running> running(Path dir) throws IOException {
        Path f = dir.toAbsolutePath().normalize().resolve("node.properties");
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (var r = Files.newBufferedReader(f)) {
            props.load(r);
        }
        long pid = Long.parseLong(props.getProperty("pid", "-1"));
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return Optional.empty();
        }
        String address = props.getProperty("address");
        int port = Integer.parseInt(props.getProperty("cqlPort"));
        if (!portOpen(address, port, 500)) {
            return Optional.empty();
        }
        return Optional.of(new Running(address, port, pid, false, Duration.ZERO));
    }

    /** Stops the node run from {@code dir} (SIGTERM, then SIGKILL after {@code grace}); false if none ran. */
    public static boolean stop(Path dir, Duration grace) throws IOException {
        Path f = dir.toAbsolutePath().normalize().resolve("node.properties");
        if (!Files.exists(f)) {
            return false;
        }
        Properties props = new Properties();
        try (var r = Files.newBufferedReader(f)) {
            props.load(r);
        }
        Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(props.getProperty("pid", "-1")));
        if (h.isEmpty() || !h.get().isAlive() || !h.get().info().command().orElse("java").contains("java")) {
            return false;
        }
        h.get().destroy();
        try {
            h.get().onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            h.get().destroyForcibly();
        }
        return true;
    }

    /** Runs nodetool against the node of {@code dir} with the same class path; returns its output and status. */
    public static int nodetool(Path dir, List<String> args, StringBuilder out) throws IOException, InterruptedException {
        Properties props = new Properties();
        try (var r = Files.newBufferedReader(dir.toAbsolutePath().normalize().resolve("node.properties"))) {
            props.load(r);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.addAll(JAVA17_OPTIONS);
        cmd.add("-Dlogback.configurationFile=" + dir.toAbsolutePath().resolve("conf/logback.xml"));
        cmd.add("-cp");
        cmd.add(String.join(java.io.File.pathSeparator, classPath()));
        cmd.add(NODETOOL);
        cmd.add("-h");
        cmd.add("127.0.0.1");
        cmd.add("-p");
        cmd.add(props.getProperty("jmxPort"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        return p.waitFor();
    }

    /**
     * cassandra-all's class path as the build wrote it: next to {@code mstore.jar} ({@code target/}), under the working
     * directory's {@code target/}, or where {@code MSTORE_CASSANDRA_CLASSPATH} points.
     */
    static List<String> classPath() throws IOException {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("MSTORE_CASSANDRA_CLASSPATH");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        try {
            Path code = Path.of(CassandraNode.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // target/mstore.jar or target/classes/
            candidates.add(code.getParent().resolve(CLASSPATH_FILE));
        } catch (Exception ignored) {
            // no code source: try the working directory
        }
        candidates.add(Path.of("target").resolve(CLASSPATH_FILE));
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) {
                List<String> out = new ArrayList<>();
                for (String e : Files.readString(c).strip().split(java.io.File.pathSeparator)) {
                    String name = Path.of(e).getFileName().toString();
                    // the plugin that wrote the list is on it, with its own dependencies: not Cassandra's
                    if (name.startsWith("maven-antrun-plugin") || name.startsWith("ant-") || name.startsWith("plexus-utils")) {
                        continue;
                    }
                    if (!Files.exists(Path.of(e))) {
                        throw new IOException("Cassandra's class path lists " + e + ", which is missing; rebuild with 'mvn -B package -DskipTests'");
                    }
                    out.add(e);
                }
                return out;
            }
        }
        throw new IOException("no Cassandra class path: build with 'mvn -B package -DskipTests' (it writes target/" + CLASSPATH_FILE
                + ") or set MSTORE_CASSANDRA_CLASSPATH");
    }

    static String yaml(Options o, Path dir) {
        Path d = dir.resolve("data");
        return """
                # written by 'mstore cassandra start': a small single-purpose node
                cluster_name: '%s'
                num_tokens: 16
                allocate_tokens_for_local_replication_factor: 3
                partitioner: org.apache.cassandra.dht.Murmur3Partitioner
                endpoint_snitch: SimpleSnitch
                commitlog_sync: periodic
                commitlog_sync_period: 10000ms
                commitlog_segment_size: 8MiB
                seed_provider:
                  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
                    parameters:
                      - seeds: "%s"
                listen_address: %s
                rpc_address: %s
                storage_port: %d
                native_transport_port: %d
                start_native_transport: true
                data_file_directories:
                  - %s
                commitlog_directory: %s
                saved_caches_directory: %s
                hints_directory: %s
                cdc_raw_directory: %s
                auto_snapshot: false
                snapshot_before_compaction: false
                concurrent_reads: 8
                concurrent_writes: 8
                concurrent_counter_writes: 8
                concurrent_compactors: 1
                memtable_heap_space: 128MiB
                memtable_offheap_space: 128MiB
                key_cache_size: 16MiB
                compaction_throughput: 64MiB/s
                cas_contention_timeout: 2000ms
                write_request_timeout: 5000ms
                read_request_timeout: 5000ms
                range_request_timeout: 10000ms
                hinted_handoff_enabled: true
                max_hint_window: 3h
                """.formatted(o.cluster(), o.seedList(), o.address(), o.address(), o.storagePort(), o.cqlPort(), d.resolve("data"),
                d.resolve("commitlog"), d.resolve("saved_caches"), d.resolve("hints"), d.resolve("cdc_raw"));
    }

    static String logback(Path dir) {
        return """
                <configuration scan="false">
                  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                    <file>%s</file>
                    <encoder><pattern>%%-5level [%%thread] %%date{ISO8601} %%F:%%L - %%msg%%n</pattern></encoder>
                  </appender>
                  <root level="INFO"><appender-ref ref="FILE"/></root>
                </configuration>
                """.formatted(dir.resolve("logs/system.log"));
    }

    private static String tail(Path dir) {
        for (String f : new String[] {"logs/system.log", "logs/stdout.log"}) {
            try {
                List<String> lines = Files.readAllLines(dir.resolve(f));
                List<String> errors = lines.stream().filter(l -> l.startsWith("ERROR") || l.contains("Exception")).toList();
                List<String> pick = errors.isEmpty() ? lines : errors;
                if (!pick.isEmpty()) {
                    return String.join(" | ", pick.subList(Math.max(0, pick.size() - 3), pick.size())) + " (see " + dir.resolve(f) + ")";
                }
            } catch (IOException ignored) {
                // try the next file
            }
        }
        return "no log (see " + dir.resolve("logs") + ")";
    }

    static boolean portOpen(String host, int port, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Cassandra");
        }
    }

    /** Asks a node over the CQL native protocol (v5 OPTIONS) whether it is ready: it answers SUPPORTED. */
    static final class CqlProbe {
        static boolean answers(String host, int port) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                s.setSoTimeout(2000);
                // v4 frame header: version 0x04, flags 0, stream 0x0001, opcode OPTIONS (0x05), length 0
                s.getOutputStream().write(new byte[] {0x04, 0, 0, 1, 0x05, 0, 0, 0, 0});
                s.getOutputStream().flush();
                byte[] h = s.getInputStream().readNBytes(9);
                return h.length == 9 && (h[0] & 0xff) == 0x84 && h[4] == 0x06; // response, SUPPORTED
            } catch (IOException e) {
                return false;
            }
        }
    }
}
