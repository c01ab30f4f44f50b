package org.mstore.cassandra;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.metadata.Node;

/**
 * One driver session for a Cassandra store, with the store's keyspace names, its consistency (LOCAL_QUORUM by default;
 * lightweight transactions at LOCAL_SERIAL) and a cache of prepared statements. Every statement text names its
 * keyspaces as {@code {msg}}, {@code {mbox}} and {@code {cache}}, replaced by the store's prefixed names.
 */
final class Cql implements AutoCloseable {
    private final CqlSession session;
    private final CassandraConfig config;
    private final ConcurrentHashMap<String, PreparedStatement> prepared = new ConcurrentHashMap<>();

    private Cql(CqlSession session, CassandraConfig config) {
        this.session = session;
        this.config = config;
    }

    static Cql connect(CassandraConfig c) {
        DriverConfigLoader loader = DriverConfigLoader.programmaticBuilder()
                .withString(DefaultDriverOption.REQUEST_CONSISTENCY, c.consistency().name())
                .withString(DefaultDriverOption.REQUEST_SERIAL_CONSISTENCY, c.serialConsistency().name())
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(12))
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30))
                .withInt(DefaultDriverOption.REQUEST_PAGE_SIZE, 2000)
                // a request cut off by a node that died is tried on the next node: every statement of the store may run
                // twice with the same effect, except counter updates (marked in bind); a lightweight transaction run twice
                // reports "not applied" the second time, which every caller treats as lost contention and gets over
                .withBoolean(DefaultDriverOption.REQUEST_DEFAULT_IDEMPOTENCE, true)
                .withClass(DefaultDriverOption.RETRY_POLICY_CLASS, StoreRetryPolicy.class)
                // the store knows its tables: no schema or token metadata to fetch at every start (seconds per command)
                .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
                .withBoolean(DefaultDriverOption.REQUEST_WARN_IF_SET_KEYSPACE, false)
                .build();
        List<InetSocketAddress> points = new ArrayList<>();
        for (String hp : c.contactPoints()) {
            int colon = hp.lastIndexOf(':');
            points.add(new InetSocketAddress(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1))));
        }
        CqlSession s;
        try {
            s = CqlSession.builder().addContactPoints(points).withLocalDatacenter(c.datacenter()).withConfigLoader(loader)
                    .withApplicationName("mstore").build();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to Cassandra at " + String.join(",", c.contactPoints()) + " (datacenter "
                    + c.datacenter() + "): " + oneLine(e.getMessage()), e);
        }
        Cql cql = new Cql(s, c);
        try {
            cql.requireLocalDatacenter();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return cql;
    }

    /**
     * The nodes the contact points report (the driver's node metadata, read from {@code system.local} and
     * {@code system.peers} whatever the local datacenter), counted by datacenter, in name order.
     */
    Map<String, Integer> nodesByDatacenter() {
        Map<String, Integer> out = new TreeMap<>();
        for (Node n : session.getMetadata().getNodes().values()) {
            if (n.getDatacenter() != null) {
                out.merge(n.getDatacenter(), 1, Integer::sum);
            }
        }
        return out;
    }

    /**
     * Refuses a local datacenter that no node is in. The driver connects all the same (the contact points answer) and
     * only its first query fails, with "No node was available to execute the query", which names neither.
     */
    private void requireLocalDatacenter() {
        Map<String, Integer> dcs = nodesByDatacenter();
        if (!dcs.containsKey(config.datacenter())) {
            throw new IllegalArgumentException("no node in datacenter '" + config.datacenter() + "' at " + String.join(",", config.contactPoints())
                    + "; the cluster's datacenters: " + (dcs.isEmpty() ? "none reported" : String.join(", ", dcs.keySet())));
        }
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    CassandraConfig config() {
        return config;
    }

    CqlSession session() {
        return session;
    }

    String expand(String cql) {
        return cql.replace("{msg}", config.msgKeyspace()).replace("{mbox}", config.mboxKeyspace()).replace("{cache}", config.cacheKeyspace());
    }

    PreparedStatement prepare(String cql) {
        return prepared.computeIfAbsent(cql, k -> session.prepare(expand(k)));
    }

    BoundStatement bind(String cql, Object... values) {
        BoundStatement b = prepare(cql).bind(values);
        // a counter increment applied twice counts twice: never retried
        return cql.contains(" = n + ") ? b.setIdempotent(false) : b;
    }

    ResultSet execute(String cql, Object... values) {
        return session.execute(bind(cql, values));
    }

    ResultSet execute(Statement<?> st) {
        return session.execute(st);
    }

    CompletionStage<AsyncResultSet> executeAsync(Statement<?> st) {
        return session.executeAsync(st);
    }

    /** The one row a query returns, or null. */
    Row one(String cql, Object... values) {
        return execute(cql, values).one();
    }

    /** A read that sees every lightweight transaction committed before it (LOCAL_SERIAL). */
    Row oneSerial(String cql, Object... values) {
        return session.execute(bind(cql, values).setConsistencyLevel(config.serialConsistency())).one();
    }

    /** A lightweight transaction: true when its condition held and it was applied. */
    boolean lwt(String cql, Object... values) {
        return execute(cql, values).wasApplied();
    }

    /** A lightweight transaction's result row (the current values when it was not applied). */
    Row lwtRow(String cql, Object... values) {
        return execute(cql, values).one();
    }

    /** Schema changes: with a long timeout, at ALL so that every node has the table before it is used. */
    void ddl(String cql) {
        session.execute(SimpleStatement.newInstance(expand(cql)).setTimeout(Duration.ofSeconds(60)));
        awaitSchemaAgreement();
    }

    /**
     * Waits until every node has the same schema (the driver does not wait by itself when it keeps no schema metadata):
     * a table just made on one coordinator is then known to all.
     */
    void awaitSchemaAgreement() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!session.checkSchemaAgreement()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the Cassandra nodes do not agree on the schema after 60 s (is a node down?)");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for schema agreement");
            }
        }
    }

    ConsistencyLevel consistency() {
        return config.consistency();
    }

    static DefaultConsistencyLevel level(String name) {
        try {
            return DefaultConsistencyLevel.valueOf(name.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown consistency level '" + name + "'; use LOCAL_QUORUM, QUORUM, EACH_QUORUM, ALL, LOCAL_ONE or ONE");
        }
    }

    @Override
    public void close() {
        session.close();
    }
}
