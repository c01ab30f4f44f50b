package org.mstore.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import org.mstore.tools.CassandraNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mstore cassandra start|stop|status|nodetool}: a single Apache Cassandra node for trying the Cassandra store. */
@Command(name = "cassandra", mixinStandardHelpOptions = true, header = "Run a single Cassandra node for trying the Cassandra store.", description = "Run a single Apache Cassandra 5.0 node for trying the Cassandra store (production points "
        + "'init --backend cassandra' at an existing cluster).",
        subcommands = {CassandraCommand.Start.class, CassandraCommand.Stop.class, CassandraCommand.Status.class, CassandraCommand.Nodetool.class})
final class CassandraCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    @Command(name = "start", mixinStandardHelpOptions = true, header = "Start a Cassandra node.", description = "Start a node in a JVM of its own (data, logs and configuration under --dir) and wait until it answers CQL.")
    static final class Start implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The node's directory.")
        Path dir;
        @Option(names = "--port", defaultValue = "9042", description = "CQL port (default ${DEFAULT-VALUE}).")
        int port;
        @Option(names = "--listen-address", defaultValue = "127.0.0.1", paramLabel = "ADDR", description = "Listen and CQL address (default ${DEFAULT-VALUE}).")
        String address;
        @Option(names = "--storage-port", defaultValue = "7000", description = "Inter-node port, the same on every node (default ${DEFAULT-VALUE}).")
        int storagePort;
        @Option(names = "--jmx-port", defaultValue = "7199", description = "Local JMX port for nodetool (default ${DEFAULT-VALUE}).")
        int jmxPort;
        @Option(names = "--seeds", defaultValue = "", paramLabel = "ADDR:PORT,...", description = "The cluster's seeds (default: this node alone).")
        String seeds;
        @Option(names = "--heap", defaultValue = "1g", description = "The node's heap (default ${DEFAULT-VALUE}).")
        String heap;
        @Option(names = "--timeout", defaultValue = "180", description = "Seconds to wait for CQL (default ${DEFAULT-VALUE}).")
        int timeout;

        @Override
        public Integer call() throws Exception {
            if (!heap.matches("[0-9]+[mMgG]")) {
                throw new IllegalArgumentException("--heap: '" + heap + "' is not a size like 768m or 1g");
            }
            CassandraNode.Running r = CassandraNode.start(new CassandraNode.Options(dir, address, port, storagePort, jmxPort, seeds, heap, "mstore"),
                    Duration.ofSeconds(timeout));
            PrintWriter out = spec.commandLine().getOut();
            out.println((r.started() ? "started Cassandra in " + r.took().toSeconds() + " s" : "Cassandra already runs") + ": pid " + r.pid()
                    + ", CQL on " + r.contactPoint() + ", datacenter " + CassandraNode.DATACENTER);
            out.println("next: mstore init --backend cassandra --contact-point " + r.contactPoint() + " --datacenter " + CassandraNode.DATACENTER
                    + " --store DIR");
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, header = "Stop the node.", description = "Stop the node run from --dir.")
    static final class Stop implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The node's directory.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            boolean stopped = CassandraNode.stop(dir, Duration.ofSeconds(30));
            spec.commandLine().getOut().println(stopped ? "stopped Cassandra of " + dir : "no Cassandra running from " + dir);
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, header = "Say whether the node runs.", description = "Say whether the node of --dir runs and answers CQL.")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The node's directory.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            var r = CassandraNode.running(dir);
            spec.commandLine().getOut().println(r.map(x -> "running: pid " + x.pid() + ", CQL on " + x.contactPoint()).orElse("not running"));
            return r.isPresent() ? 0 : 3;
        }
    }

    @Command(name = "nodetool", mixinStandardHelpOptions = true, header = "Run Cassandra's nodetool against the node.", description = "Run Cassandra's nodetool against the node of --dir; nodetool's own options after --, "
            + "e.g. 'mstore cassandra nodetool --dir DIR -- repair -full'.")
    static final class Nodetool implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The node's directory.")
        Path dir;
        @Parameters(paramLabel = "ARGS", description = "nodetool's arguments.")
        List<String> args;

        @Override
        public Integer call() throws Exception {
            StringBuilder out = new StringBuilder();
            int rc = CassandraNode.nodetool(dir, args == null ? List.of() : args, out);
            spec.commandLine().getOut().print(out);
            spec.commandLine().getOut().flush();
            return rc;
        }
    }
}
