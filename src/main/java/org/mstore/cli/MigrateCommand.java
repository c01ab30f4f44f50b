package org.mstore.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.mstore.api.MigrationReport;
import org.mstore.api.Stores;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mstore migrate --to cassandra ...}: copies a store into a new Cassandra store and verifies it message by message. */
@Command(name = "migrate", mixinStandardHelpOptions = true, header = "Copy a store into a Cassandra store and verify it.", description = "Copy a store (mailboxes, messages with their UIDs, flags and dates, settings, waiting queue entries) "
        + "into a new store on another backend, then compare every message of both.")
final class MigrateCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "--to", required = true, paramLabel = "KIND", description = "The target's backend (cassandra).")
    String to;
    @Option(names = "--target", required = true, paramLabel = "DIR", description = "The new store's directory.")
    Path target;
    @Option(names = "--contact-point", split = ",", paramLabel = "HOST:PORT", description = "Cassandra: a node to connect to.")
    List<String> contactPoints;
    @Option(names = "--datacenter", paramLabel = "DC", description = "Cassandra: the local datacenter.")
    String datacenter;
    @Option(names = "--keyspace-prefix", paramLabel = "PREFIX", description = "Cassandra: keyspace prefix (default ms_).")
    String prefix;
    @Option(names = "--replication", paramLabel = "N|DC:N,...", description = "Cassandra: replicas per datacenter (default 1).")
    String replication;
    @Option(names = "--consistency", paramLabel = "LEVEL", description = "Cassandra: reads and writes (default LOCAL_QUORUM).")
    String consistency;
    @Option(names = "--quiet", description = "Print only the summary line.")
    boolean quiet;
    @Option(names = "--undecided-as-expunged", description = "Carry messages a Repair held back as undecided (not known to be"
            + " expunged or live) as expunged: recoverable on the target until its Purge deletes them. Without it, a source that"
            + " holds any is refused, naming them.")
    boolean undecidedAsExpunged;

    @Override
    public Integer call() throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        if (contactPoints != null && !contactPoints.isEmpty()) {
            options.put("contact-points", String.join(",", contactPoints));
        }
        if (datacenter != null) {
            options.put("datacenter", datacenter);
        }
        if (prefix != null) {
            options.put("keyspace-prefix", prefix);
        }
        if (replication != null) {
            options.put("replication", replication);
        }
        if (consistency != null) {
            options.put("consistency", consistency);
        }
        PrintWriter out = spec.commandLine().getOut();
        Path source = store.root();
        MigrationReport r = Stores.migrate(source, target, to, options, undecidedAsExpunged, line -> {
            if (!quiet) {
                out.println(line);
                out.flush();
            }
        });
        if (!r.ok()) {
            for (String d : r.differences().subList(0, Math.min(20, r.differences().size()))) {
                spec.commandLine().getErr().println("migrate: " + d);
            }
            throw new IllegalStateException("the copy differs from " + source + " in " + r.differences().size() + " places (first: "
                    + r.differences().get(0) + ")");
        }
        out.printf("migrated %d mailboxes, %d messages (%d bytes), %d expunged messages still recoverable (carried as expunged: "
                + "unexpunge --list), %d settings, %d queue entries (%d Clean/Remove left out: the target purges instead) to %s; "
                + "verified %d messages: bytes and flags equal; %.1f s%n", r.mailboxes(), r.messages(), r.bytes(), r.expunged(), r.settings(),
                r.entries(), r.entriesLeftOut(), target, r.verified(), r.took().toMillis() / 1000.0);
        return 0;
    }
}
