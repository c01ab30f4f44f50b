package org.mstore.cassandra;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

/**
 * A Cassandra store's configuration, as {@code init} takes it and {@code store.conf} keeps it.
 *
 * @param contactPoints {@code host:port} of one or more nodes
 * @param datacenter    the local datacenter (LOCAL_QUORUM counts its replicas)
 * @param prefix        keyspace prefix: the store's keyspaces are {@code <prefix>msg}, {@code <prefix>mbox}, {@code <prefix>cache}
 * @param replication   replicas per datacenter (NetworkTopologyStrategy)
 * @param consistency   reads and writes (LOCAL_QUORUM by default); lightweight transactions use the matching serial level
 * @param lease         how long a claim on a queue entry or a mailbox lock lives without renewal
 */
record CassandraConfig(List<String> contactPoints, String datacenter, String prefix, Map<String, Integer> replication,
                       DefaultConsistencyLevel consistency, Duration lease) {
    static final String CONTACT_POINTS = "contact-points";
    static final String DATACENTER = "datacenter";
    static final String PREFIX = "keyspace-prefix";
    static final String REPLICATION = "replication";
    static final String CONSISTENCY = "consistency";
    static final String LEASE = "lease-seconds";
    private static final Set<String> KEYS = Set.of(CONTACT_POINTS, DATACENTER, PREFIX, REPLICATION, CONSISTENCY, LEASE);
    private static final Pattern PREFIX_RE = Pattern.compile("[a-z][a-z0-9_]{0,30}");
    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}");
    private static final Pattern DC = Pattern.compile("[A-Za-z0-9_.\\-]{1,48}");

    String msgKeyspace() {
        return prefix + "msg";
    }

    String mboxKeyspace() {
        return prefix + "mbox";
    }

    String cacheKeyspace() {
        return prefix + "cache";
    }

    DefaultConsistencyLevel serialConsistency() {
        return consistency == DefaultConsistencyLevel.QUORUM || consistency == DefaultConsistencyLevel.EACH_QUORUM
                || consistency == DefaultConsistencyLevel.ALL ? DefaultConsistencyLevel.SERIAL : DefaultConsistencyLevel.LOCAL_SERIAL;
    }

    /** The CQL replication map of the store's keyspaces. */
    String replicationCql() {
        StringBuilder sb = new StringBuilder("{'class': 'NetworkTopologyStrategy'");
        for (Map.Entry<String, Integer> e : replication.entrySet()) {
            sb.append(", '").append(e.getKey()).append("': ").append(e.getValue());
        }
        return sb.append('}').toString();
    }

    /** Where the mail lives, for people. */
    String location() {
        return "cassandra://" + String.join(",", contactPoints) + "/" + prefix + "* (datacenter " + datacenter + ", "
                + consistency.name() + ")";
    }

    /** Parses and checks {@code init}'s options; every problem names the option. */
    static CassandraConfig parse(Map<String, String> options) {
        for (String k : options.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown Cassandra option '" + k + "' (options: " + String.join(", ", new TreeMap<>(
                        Map.of(CONTACT_POINTS, "", DATACENTER, "", PREFIX, "", REPLICATION, "", CONSISTENCY, "", LEASE, "")).keySet()) + ")");
            }
        }
        String cps = options.get(CONTACT_POINTS);
        if (cps == null || cps.isBlank()) {
            throw new IllegalArgumentException("a Cassandra store needs --contact-point HOST:PORT");
        }
        List<String> points = new ArrayList<>();
        for (String p : cps.split(",")) {
            String hp = p.strip();
            if (!HOST_PORT.matcher(hp).matches()) {
                throw new IllegalArgumentException("--contact-point: '" + hp + "' is not HOST:PORT");
            }
            int port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--contact-point: port " + port + " is not between 1 and 65535");
            }
            points.add(hp);
        }
        String dc = options.get(DATACENTER);
        if (dc == null || dc.isBlank()) {
            throw new IllegalArgumentException("a Cassandra store needs --datacenter DC (the local datacenter's name; a node started by "
                    + "'mstore cassandra start' is in datacenter1)");
        }
        if (!DC.matcher(dc.strip()).matches()) {
            throw new IllegalArgumentException("--datacenter: '" + dc + "' is not a datacenter name");
        }
        String prefix = options.getOrDefault(PREFIX, "ms_").strip();
        if (!PREFIX_RE.matcher(prefix).matches()) {
            throw new IllegalArgumentException("--keyspace-prefix: '" + prefix + "' must be a lower-case letter then up to 30 letters, digits or _");
        }
        Map<String, Integer> repl = parseReplication(options.getOrDefault(REPLICATION, "1"), dc.strip());
        DefaultConsistencyLevel cl = Cql.level(options.getOrDefault(CONSISTENCY, "LOCAL_QUORUM"));
        if (cl == DefaultConsistencyLevel.SERIAL || cl == DefaultConsistencyLevel.LOCAL_SERIAL || cl == DefaultConsistencyLevel.ANY) {
            throw new IllegalArgumentException("--consistency: " + cl + " is not a level for reads and writes");
        }
        long leaseSeconds;
        try {
            leaseSeconds = Long.parseLong(options.getOrDefault(LEASE, "30").strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--lease-seconds: '" + options.get(LEASE) + "' is not a number of seconds");
        }
        if (leaseSeconds < 3 || leaseSeconds > 3600) {
            throw new IllegalArgumentException("--lease-seconds: " + leaseSeconds + " is outside 3..3600");
        }
        return new CassandraConfig(List.copyOf(points), dc.strip(), prefix, repl, cl, Duration.ofSeconds(leaseSeconds));
    }

    /** {@code 3} (that many replicas in the local datacenter) or {@code dc1:3,dc2:2}. */
    static Map<String, Integer> parseReplication(String s, String localDc) {
        Map<String, Integer> out = new LinkedHashMap<>();
        String v = s.strip();
        try {
            if (!v.contains(":")) {
                out.put(localDc, Integer.parseInt(v));
            } else {
                for (String part : v.split(",")) {
                    String[] kv = part.strip().split(":");
                    if (kv.length != 2 || !DC.matcher(kv[0].strip()).matches()) {
                        throw new NumberFormatException();
                    }
                    out.put(kv[0].strip(), Integer.parseInt(kv[1].strip()));
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--replication: '" + s + "' is not N or DC:N[,DC:N...]");
        }
        for (Map.Entry<String, Integer> e : out.entrySet()) {
            if (e.getValue() < 1 || e.getValue() > 9) {
                throw new IllegalArgumentException("--replication: " + e.getValue() + " replicas in " + e.getKey() + " is outside 1..9");
            }
        }
        return out;
    }

    /** A replication map as {@code store.conf} keeps it and messages show it: {@code dc1:3,dc2:2}. */
    static String replicationText(Map<String, Integer> replication) {
        StringBuilder r = new StringBuilder();
        for (Map.Entry<String, Integer> e : replication.entrySet()) {
            r.append(r.length() == 0 ? "" : ",").append(e.getKey()).append(':').append(e.getValue());
        }
        return r.toString();
    }

    CassandraConfig withReplication(Map<String, Integer> r) {
        return new CassandraConfig(contactPoints, datacenter, prefix, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(r)), consistency, lease);
    }

    CassandraConfig withConsistency(DefaultConsistencyLevel cl) {
        return new CassandraConfig(contactPoints, datacenter, prefix, replication, cl, lease);
    }

    CassandraConfig withLease(Duration d) {
        return new CassandraConfig(contactPoints, datacenter, prefix, replication, consistency, d);
    }

    /** What {@code store.conf} keeps. */
    Map<String, String> toOptions() {
        Map<String, String> m = new TreeMap<>();
        m.put(CONTACT_POINTS, String.join(",", contactPoints));
        m.put(DATACENTER, datacenter);
        m.put(PREFIX, prefix);
        m.put(REPLICATION, replicationText(replication));
        m.put(CONSISTENCY, consistency.name());
        m.put(LEASE, Long.toString(lease.toSeconds()));
        return m;
    }
}
