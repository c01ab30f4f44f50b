package org.mstore.cassandra;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import org.mstore.backend.Backend;
import org.mstore.backend.BackendProvider;

/**
 * The Cassandra store's {@link BackendProvider}: {@code init}'s options (contact points, datacenter, keyspace prefix,
 * replication, consistency, lease) are checked here and kept in {@code store.conf}; opening connects to the cluster,
 * and {@code create} makes the keyspaces and tables (or joins a store that another host created in them).
 */
public final class CassandraProvider implements BackendProvider {
    @Override
    public String kind() {
        return CassandraBackend.KIND;
    }

    @Override
    public boolean takesMessagesWithUids() {
        return true;
    }

    @Override
    public Map<String, String> configure(Map<String, String> options) {
        return CassandraConfig.parse(options).toOptions();
    }

    /**
     * Connects to the cluster before anything is made: refuses a datacenter without nodes, a replication larger than the
     * datacenter's nodes, and store-wide options (replication, consistency, lease) other than those of a store already on
     * the keyspaces; takes the store's for those left out (see {@link CassandraBackend#prepare}).
     */
    @Override
    public Map<String, String> prepare(Map<String, String> options, boolean migration) throws IOException {
        return CassandraBackend.prepare(CassandraConfig.parse(options), options.keySet(), migration).toOptions();
    }

    @Override
    public Backend open(Path root, Map<String, String> config, Clock clock, boolean create) throws IOException {
        return CassandraBackend.open(root, CassandraConfig.parse(config), clock, create);
    }

    @Override
    public Backend openReadOnly(Path root, Map<String, String> config, Clock clock) throws IOException {
        return CassandraBackend.openReadOnly(root, CassandraConfig.parse(config), clock);
    }

    @Override
    public Backend createForMigration(Path root, Map<String, String> config, Clock clock, String madeBy) throws IOException {
        return CassandraBackend.open(root, CassandraConfig.parse(config), clock, true, madeBy);
    }
}
