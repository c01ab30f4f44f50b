package org.mstore.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "init", mixinStandardHelpOptions = true, header = "Create an empty store (classic, or on Cassandra).", description = {"Create an empty store: the classic store (default), or a Cassandra store whose mail lives on a "
        + "Cassandra cluster (--backend cassandra); the store directory then keeps its configuration, default log and session lock.",
        "A second host's init with the same contact points and keyspace prefix joins that Cassandra store: --replication, "
                + "--consistency and --lease-seconds are the store's, taken from it when left out, refused when they differ.",
        "Nothing is made (on the cluster or in the directory) when --datacenter has no node, or a datacenter has fewer nodes "
                + "than --replication."})
final class InitCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", defaultValue = "classic", paramLabel = "KIND", description = "classic (default) or cassandra.")
    String backend;
    @Option(names = "--contact-point", split = ",", paramLabel = "HOST:PORT", description = "Cassandra: a node to connect to (repeat, or separate with commas).")
    List<String> contactPoints;
    @Option(names = "--datacenter", paramLabel = "DC", description = "Cassandra: the local datacenter (a node from 'mstore cassandra start' is in datacenter1).")
    String datacenter;
    @Option(names = "--keyspace-prefix", paramLabel = "PREFIX", description = "Cassandra: keyspaces PREFIXmsg, PREFIXmbox, PREFIXcache (default ms_).")
    String prefix;
    @Option(names = "--replication", paramLabel = "N|DC:N,...", description = "Cassandra: replicas per datacenter, at most its nodes (default 1; 3 in production; joining: the store's).")
    String replication;
    @Option(names = "--consistency", paramLabel = "LEVEL", description = "Cassandra: reads and writes, the same on every host (default LOCAL_QUORUM; joining: the store's).")
    String consistency;
    @Option(names = "--lease-seconds", paramLabel = "N", description = "Cassandra: how long a worker's claim and a mailbox lock live unrenewed, the same on every host (default 30; joining: the store's).")
    String lease;

    @Override
    public Integer call() throws Exception {
        Path root = store.store;
        if (root != null && root.toString().isBlank()) {
            throw new IllegalArgumentException("--store needs a directory, not an empty string");
        }
        if (root == null) {
            String env = System.getenv("MSTORE_STORE");
            if (env == null || env.isBlank()) {
                throw new IllegalArgumentException("init needs --store DIR (or MSTORE_STORE)");
            }
            root = Path.of(env);
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (contactPoints != null && !contactPoints.isEmpty()) {
            options.put("contact-points", String.join(",", contactPoints));
        }
        put(options, "datacenter", datacenter);
        put(options, "keyspace-prefix", prefix);
        put(options, "replication", replication);
        put(options, "consistency", consistency);
        put(options, "lease-seconds", lease);
        if ("classic".equals(backend) && !options.isEmpty()) {
            throw new IllegalArgumentException("--contact-point, --datacenter and the other Cassandra options need --backend cassandra");
        }
        try (MessageStore e = Stores.init(root, OpenOptions.cli("init"), backend, options)) {
            boolean classic = "classic".equals(e.info().backend());
            spec.commandLine().getOut().println("created " + (classic ? "" : e.info().backend() + " ") + "store " + e.info().root()
                    + (classic ? "" : " on " + e.info().location()));
        }
        return 0;
    }

    private static void put(Map<String, String> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }
}
