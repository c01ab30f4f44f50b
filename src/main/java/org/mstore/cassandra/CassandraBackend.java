package org.mstore.cassandra;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.ReadTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;

import org.mstore.api.StoreInfo;
import org.mstore.backend.Backend;
import org.mstore.backend.ChangeFeed;
import org.mstore.backend.MailboxDirectory;
import org.mstore.backend.MessageStorage;
import org.mstore.backend.Metadata;
import org.mstore.backend.QueueStore;
import org.mstore.backend.SettingsStore;

/**
 * The Cassandra message store (SPEC §12): message blobs in {@code <prefix>msg}, mailboxes, message records, flags and
 * the single maintenance queue in {@code <prefix>mbox}, envelope summaries in {@code <prefix>cache}. The store's
 * local directory keeps only its configuration, its default log and the host's purge session lock.
 *
 * <p>Features: no cleanup step (past {@code store.cleanupsize} a Purge is queued, deferred by
 * {@code store.cleanupage}); RecNos unique but ordered only roughly across hosts; no cache offsets; mail users,
 * subscriptions and the servers' sessions in {@code <prefix>mbox} (so imapd and lmtpd run on any host of the store);
 * no mailbox rename.
 */
public final class CassandraBackend implements Backend {
    public static final String KIND = "cassandra";
    private static final StoreInfo.Features FEATURES = new StoreInfo.Features(false, true, false, true);

    private final Path root;
    private final CassandraConfig config;
    private final Cql cql;
    private final LeaseKeeper keeper;
    private final CassandraChanges changes;
    private final CassandraMailboxList mailboxes;
    private final CassandraQueue queue;
    private final CassandraSettings settings;
    private final CassandraStorage storage;
    private final CassandraMetadata metadata;
    private final CassandraUsers users;
    private final CassandraSessions sessions;

    private CassandraBackend(Path root, CassandraConfig config, Cql cql, Clock clock) {
        this.root = root;
        this.config = config;
        this.cql = cql;
        this.keeper = new LeaseKeeper(config.lease(), clock);
        this.changes = new CassandraChanges(cql, clock);
        this.mailboxes = new CassandraMailboxList(cql, changes);
        this.queue = new CassandraQueue(cql, clock, mailboxes, changes, (int) config.lease().toSeconds());
        changes.resolver(queue);
        this.settings = new CassandraSettings(cql, clock, changes);
        MailboxLocks locks = new MailboxLocks(cql, config.lease(), Duration.ofMinutes(2));
        this.storage = new CassandraStorage(cql, locks);
        this.metadata = new CassandraMetadata(cql, mailboxes, queue, changes);
        this.users = new CassandraUsers(cql);
        this.sessions = new CassandraSessions(cql);
        keeper.add(queue::renewLeases);
        keeper.add(locks::renew);
    }

    static CassandraBackend open(Path root, CassandraConfig config, Clock clock, boolean create) throws IOException {
        return open(root, config, clock, create, null, false);
    }

    static CassandraBackend open(Path root, CassandraConfig config, Clock clock, boolean create, String migratingFrom) throws IOException {
        return open(root, config, clock, create, migratingFrom, false);
    }

    /**
     * Opens the store for browsing only ({@link org.mstore.api.OpenOptions#readOnly}: the console's {@code --read-only},
     * {@code migrate}'s source): as a read-write open checks it, but nothing is written to the keyspaces. A store made
     * before its store-wide options were recorded is used with this host's (what a read-write open would record, kept
     * in memory only); one that lacks tables of this release is refused in one line (a read-write open adds them); the
     * deletions of mailboxes that a crash left unfinished are left for a read-write open.
     */
    static CassandraBackend openReadOnly(Path root, CassandraConfig config, Clock clock) throws IOException {
        return open(root, config, clock, false, null, true);
    }

    /**
     * Opens (or, with {@code create}, makes or joins) the store on the keyspaces of {@code config}. Refused while the
     * keyspaces hold an unfinished migration's mark ({@link #MIGRATION_KEY}): what is there is part of the mail. With
     * {@code migratingFrom} (what {@code migrate} names itself: "migrate from SOURCE"), the keyspaces must hold no store
     * yet, and the mark is written before the store's schema version row, so that no host joins them before it is there.
     */
    private static CassandraBackend open(Path root, CassandraConfig config, Clock clock, boolean create, String migratingFrom, boolean readOnly)
            throws IOException {
        Cql cql = Cql.connect(config);
        try {
            if (migratingFrom != null) {
                if (!Schema.exists(cql)) {
                    requireNodes(cql, config, null);
                }
                Schema.createTables(cql);
                beginMigration(cql, migratingFrom);
                agreeWithStore(cql, config);
            } else if (create) {
                if (!Schema.exists(cql)) {
                    requireNodes(cql, config, null);
                }
                Schema.createTables(cql);
                requireNoMigration(cql);
                agreeWithStore(cql, config); // what prepare checked, again: another host's init may have made the store since
                Schema.markVersion(cql);
            } else if (!Schema.exists(cql)) {
                throw new IOException("no Cassandra store in keyspace " + config.mboxKeyspace() + " at " + String.join(",", config.contactPoints())
                        + " (was it created with 'mstore init --backend cassandra'?)");
            } else {
                Map<String, String> meta = storeMeta(cql);
                if (meta.containsKey(MIGRATION_KEY)) {
                    throw unfinished(config, meta.get(MIGRATION_KEY));
                }
                if (readOnly) {
                    // options not recorded yet stay so: this host's, which it uses, are what its next read-write open records
                    requireStoreOptions(root, meta, config);
                    if (!Schema.hasAllTables(cql)) {
                        throw new IOException("the Cassandra store on keyspaces " + config.prefix() + "* lacks the users and sessions tables "
                                + "(made by an earlier release), and a read-only open adds none: open it read-write once (mstore msconfig list --store "
                                + root + ") to add them");
                    }
                } else {
                    // a store made before its options were recorded gets this host's at its first open, then is held to them
                    meta.computeIfAbsent(CONSISTENCY_KEY, k -> recordIfAbsent(cql, k, config.consistency().name()));
                    meta.computeIfAbsent(LEASE_KEY, k -> recordIfAbsent(cql, k, Long.toString(config.lease().toSeconds())));
                    requireStoreOptions(root, meta, config);
                    Schema.addMissing(cql);
                }
            }
            CassandraBackend b = new CassandraBackend(root, config, cql, clock);
            b.migrationMark = migratingFrom;
            if (!create && !readOnly) {
                b.storage.finishDeletions();
            }
            return b;
        } catch (IOException | RuntimeException e) {
            cql.close();
            throw e;
        }
    }

    /**
     * The rows of {@code store_meta} that keep the options every host of a store must share, written by the
     * {@code init} that made the store (or by the first {@code init} that joins a store made before they were kept).
     * The third such option, the replication, is the keyspaces' own ({@code system_schema.keyspaces}): an administrator
     * may change it with {@code ALTER KEYSPACE}, and the keyspaces are what counts.
     *
     * <p>Why they are the store's, not the host's: the lease is how long every other host waits before it takes a dead
     * worker's entry or mailbox lock over; the consistency level is half of a read-write pair whose other half another
     * host runs (a delete at one host's level must meet a read at another's, SPEC §12 and docs/cassandra.md), and it
     * chooses the serial level of the lightweight transactions, which must be the same for every transaction on a row
     * (SERIAL and LOCAL_SERIAL mixed do not exclude each other). The contact points and the local datacenter are the
     * host's own.
     */
    static final String CONSISTENCY_KEY = CassandraConfig.CONSISTENCY;
    static final String LEASE_KEY = CassandraConfig.LEASE;

    /**
     * Checks a new host's {@code init} (or a {@code migrate}) against the cluster before anything is made, on the
     * cluster or in the store directory, and returns the configuration its {@code store.conf} is to keep. Refused, in
     * one line naming what is wrong: a local datacenter that no node is in (naming those there are); keyspaces that hold
     * an unfinished migration; a store-wide option ({@link #CONSISTENCY_KEY}, {@link #LEASE_KEY}, the keyspaces'
     * replication) given with another value than the store's; a replication that the cluster has too few nodes for
     * (before any keyspace is made). An option left out is taken from the store ({@code givenOptions}: the options the
     * administrator gave). For a migration into keyspaces that already hold a store, the open that follows refuses.
     */
    static CassandraConfig prepare(CassandraConfig given, java.util.Set<String> givenOptions, boolean migration) throws IOException {
        try (Cql cql = Cql.connect(given)) { // refuses a datacenter the contact points do not report
            Map<String, Map<String, String>> keyspaces = keyspacesReplication(cql);
            if (!keyspaces.isEmpty()) {
                // keyspaces made with more replicas than the cluster has nodes (by an init before this check) answer no
                // lightweight transaction: said here, before the first read of them fails with the driver's words
                Map<String, Integer> theirs = asReplication(keyspaces.getOrDefault(given.mboxKeyspace(), keyspaces.values().iterator().next()));
                if (theirs != null) {
                    requireNodes(cql, given.withReplication(theirs), keyspaces.keySet());
                }
            }
            Map<String, String> meta = storeMeta(cql);
            String mark = meta.get(MIGRATION_KEY);
            if (mark != null) {
                throw unfinished(given, mark);
            }
            boolean store = Schema.exists(cql);
            if (migration && store) {
                return given;
            }
            CassandraConfig c = given;
            if (!keyspaces.isEmpty()) {
                if (givenOptions.contains(CassandraConfig.REPLICATION)) {
                    requireReplication(c, keyspaces);
                } else {
                    Map<String, String> theirs = keyspaces.getOrDefault(c.mboxKeyspace(), keyspaces.values().iterator().next());
                    Map<String, Integer> r = asReplication(theirs);
                    if (r != null) {
                        c = c.withReplication(r);
                    }
                }
            }
            String cl = meta.get(CONSISTENCY_KEY);
            if (cl != null) {
                if (givenOptions.contains(CassandraConfig.CONSISTENCY) && !cl.equals(c.consistency().name())) {
                    throw mismatch(c, CassandraConfig.CONSISTENCY, cl, c.consistency().name());
                }
                c = c.withConsistency(Cql.level(cl));
            }
            String lease = meta.get(LEASE_KEY);
            if (lease != null) {
                String mine = Long.toString(c.lease().toSeconds());
                if (givenOptions.contains(CassandraConfig.LEASE) && !lease.equals(mine)) {
                    throw mismatch(c, CassandraConfig.LEASE, lease, mine);
                }
                c = c.withLease(Duration.ofSeconds(Long.parseLong(lease)));
            }
            if (keyspaces.isEmpty()) {
                requireNodes(cql, c, null); // before any keyspace is made
            }
            return c;
        }
    }

    /** A store-wide option given with another value than the store's. */
    private static IllegalArgumentException mismatch(CassandraConfig c, String option, String stores, String given) {
        return new IllegalArgumentException("--" + option + ": the Cassandra store on keyspaces " + c.prefix() + "* has " + stores + ", given "
                + given + "; it is the same on every host of the store (leave --" + option + " out to take the store's)");
    }

    /**
     * Refuses a replication larger than the nodes the cluster has in a datacenter: its keyspaces could never be written
     * at a quorum. {@code existing}: the store's keyspaces that are there already with that replication (a hint).
     */
    private static void requireNodes(Cql cql, CassandraConfig c, java.util.Set<String> existing) {
        Map<String, Integer> nodes = cql.nodesByDatacenter();
        for (Map.Entry<String, Integer> e : c.replication().entrySet()) {
            int have = nodes.getOrDefault(e.getKey(), 0);
            if (e.getValue() > have) {
                String need = e.getValue() == 1 ? "1 replica in " + e.getKey() + " needs 1 node"
                        : e.getValue() + " replicas in " + e.getKey() + " need " + e.getValue() + " nodes";
                throw new IllegalArgumentException((existing == null ? "--replication: " : "the keyspaces' replication: ") + need + " there; the cluster has "
                        + (have == 0 ? "none there (its datacenters: " + String.join(", ", nodes.keySet()) + ")" : Integer.toString(have))
                        + (existing == null ? "" : " (keyspaces " + String.join(", ", existing) + " exist with it: if they hold no store, "
                        + "drop them, cqlsh: " + dropKeyspaces(c) + ")"));
            }
        }
    }

    /** The store's keyspaces that exist, each with its replication map as {@code system_schema.keyspaces} has it. */
    private static Map<String, Map<String, String>> keyspacesReplication(Cql cql) {
        CassandraConfig c = cql.config();
        Map<String, Map<String, String>> out = new java.util.LinkedHashMap<>();
        for (String ks : java.util.List.of(c.mboxKeyspace(), c.msgKeyspace(), c.cacheKeyspace())) {
            Row r = cql.execute(SimpleStatement.newInstance("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", ks)
                    .setConsistencyLevel(DefaultConsistencyLevel.ONE)).one();
            if (r != null) {
                out.put(ks, r.getMap(0, String.class, String.class));
            }
        }
        return out;
    }

    /** A keyspace's replication as the store's configuration says it (null unless NetworkTopologyStrategy). */
    private static Map<String, Integer> asReplication(Map<String, String> raw) {
        if (!raw.getOrDefault("class", "").endsWith("NetworkTopologyStrategy")) {
            return null;
        }
        Map<String, Integer> out = new java.util.TreeMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (!e.getKey().equals("class")) {
                out.put(e.getKey(), Integer.parseInt(e.getValue()));
            }
        }
        return out;
    }

    /** How a keyspace's replication reads in a message: {@code dc1:3,dc2:2}, or its class and map when not ours. */
    private static String replicationText(Map<String, String> raw) {
        Map<String, Integer> r = asReplication(raw);
        if (r != null) {
            return CassandraConfig.replicationText(r);
        }
        Map<String, String> rest = new java.util.TreeMap<>(raw);
        String cls = rest.remove("class");
        return (cls == null ? "" : cls.substring(cls.lastIndexOf('.') + 1) + " ") + rest;
    }

    /** Refuses keyspaces of the store replicated otherwise than {@code c} says. */
    private static void requireReplication(CassandraConfig c, Map<String, Map<String, String>> keyspaces) {
        Map<String, Integer> mine = new java.util.TreeMap<>(c.replication());
        for (Map.Entry<String, Map<String, String>> ks : keyspaces.entrySet()) {
            if (!mine.equals(asReplication(ks.getValue()))) {
                throw mismatch(c, CassandraConfig.REPLICATION, replicationText(ks.getValue()) + " (keyspace " + ks.getKey() + ")",
                        CassandraConfig.replicationText(c.replication()));
            }
        }
    }

    /**
     * The rows of {@code store_meta} that an open and an {@code init} look at — the unfinished migration's mark and the
     * store-wide options — by key (empty: none, or no such table yet), in one query. Each row is written by a lightweight
     * transaction and read at the serial level, so that one just written is seen. Cassandra refuses an unpaged serial
     * read of several partitions, and serves a paged one a partition at a time, each a serial (Paxos) read of its own
     * (its CASRead count grows by three): the page size set here keeps it paged whatever the driver's default.
     */
    private static Map<String, String> storeMeta(Cql cql) {
        Map<String, String> out = new java.util.HashMap<>();
        try {
            var st = cql.bind("SELECT key, value FROM {mbox}.store_meta WHERE key IN ?", java.util.List.of(MIGRATION_KEY, CONSISTENCY_KEY, LEASE_KEY))
                    .setConsistencyLevel(cql.config().serialConsistency()).setPageSize(META_PAGE);
            for (Row r : cql.execute(st)) {
                if (r.getString("value") != null) {
                    out.put(r.getString("key"), r.getString("value"));
                }
            }
        } catch (InvalidQueryException e) {
            // no keyspace or table yet
        }
        return out;
    }

    /** More than the rows {@link #storeMeta} reads: they come in one page. */
    private static final int META_PAGE = 16;

    /**
     * The keyspaces made (or found), checks that they and the recorded store-wide options are this configuration's, and
     * records those not recorded yet (each by a lightweight transaction: of two hosts' inits at once, one records its
     * options and the other is refused if its own differ).
     */
    private static void agreeWithStore(Cql cql, CassandraConfig c) {
        requireReplication(c, keyspacesReplication(cql));
        record(cql, c, CONSISTENCY_KEY, c.consistency().name(), CassandraConfig.CONSISTENCY);
        record(cql, c, LEASE_KEY, Long.toString(c.lease().toSeconds()), CassandraConfig.LEASE);
    }

    private static void record(Cql cql, CassandraConfig c, String key, String value, String option) {
        String theirs = recordIfAbsent(cql, key, value);
        if (!value.equals(theirs)) {
            throw mismatch(c, option, theirs, value);
        }
    }

    /**
     * The store's value of a store-wide option: {@code value}, recorded by a lightweight transaction, where the store has
     * none yet (made before these rows were kept); else the one it has. The one place where {@code init} (which joins or
     * makes a store) and an open record them: of two hosts at once, the first wins and the other is compared with it.
     */
    private static String recordIfAbsent(Cql cql, String key, String value) {
        Row r = cql.lwtRow("INSERT INTO {mbox}.store_meta (key, value) VALUES (?, ?) IF NOT EXISTS", key, value);
        return r.getBoolean(0) ? value : r.getString("value");
    }

    /**
     * The row of {@code store_meta} that {@code migrate} writes before it copies anything and deletes once the copy is
     * verified equal: while it is there, the keyspaces hold part of the mail, and every open and join refuses them.
     * Its value is what made them ("migrate from SOURCE").
     */
    static final String MIGRATION_KEY = "migration";

    /** This backend's migration mark, while {@code migrate} fills the store (null otherwise). */
    private volatile String migrationMark;

    /**
     * Refuses to open the store from a host whose {@code store.conf} keeps another lease or consistency than the store
     * records ({@link #CONSISTENCY_KEY}, {@link #LEASE_KEY}): a host set up before the store recorded them, or whose file
     * was edited since. Such a host would take other hosts' entries and mailbox locks over too early, or read below what
     * another host's writes reach. A store that recorded none yet (made before they were recorded) has this host's by
     * now: the first host to open it read-write after this release sets them (a read-only open uses its own in memory).
     */
    private static void requireStoreOptions(Path root, Map<String, String> meta, CassandraConfig c) throws IOException {
        String mine = null;
        String theirs = null;
        String option = null;
        for (String key : java.util.List.of(CONSISTENCY_KEY, LEASE_KEY)) {
            String value = meta.get(key);
            String here = key.equals(LEASE_KEY) ? Long.toString(c.lease().toSeconds()) : c.consistency().name();
            if (value != null && !value.equals(here) && option == null) {
                option = key.equals(LEASE_KEY) ? CassandraConfig.LEASE : CassandraConfig.CONSISTENCY;
                mine = here;
                theirs = value;
            }
        }
        if (option != null) {
            throw new IOException("this host's " + root.resolve("store.conf") + " has " + option + "=" + mine + ", the Cassandra store on keyspaces "
                    + c.prefix() + "* has " + theirs + ": every host of a store uses the same; set " + option + "=" + theirs + " there");
        }
    }

    /** Refuses keyspaces that hold an unfinished migration's mark (read at LOCAL_SERIAL: a mark just written is seen). */
    private static void requireNoMigration(Cql cql) throws IOException {
        var r = cql.oneSerial("SELECT value FROM {mbox}.store_meta WHERE key = ?", MIGRATION_KEY);
        if (r != null) {
            throw unfinished(cql.config(), r.getString(0));
        }
    }

    private static IOException unfinished(CassandraConfig c, String madeBy) {
        return new IOException("the Cassandra keyspaces with prefix " + c.prefix() + " hold an unfinished migration ('" + madeBy
                + "' was interrupted or found the copy different); they are not a store: drop them (cqlsh: " + dropKeyspaces(c)
                + ") or use another --keyspace-prefix");
    }

    private static String dropKeyspaces(CassandraConfig c) {
        return "DROP KEYSPACE " + c.msgKeyspace() + "; DROP KEYSPACE " + c.mboxKeyspace() + "; DROP KEYSPACE " + c.cacheKeyspace() + ";";
    }

    /**
     * Marks the keyspaces as being filled by {@code migrate}, before anything is copied: they must hold no store and no
     * other migration. The mark goes first, the schema version row (what makes the keyspaces a store) after it, each
     * by a lightweight transaction: a host whose {@code init} joins them finds the mark; if another host's {@code init}
     * made the store first, the migration takes its mark back and is refused.
     */
    private static void beginMigration(Cql cql, String madeBy) throws IOException {
        CassandraConfig c = cql.config();
        requireNoMigration(cql);
        IOException taken = new IOException("the Cassandra keyspaces with prefix " + c.prefix() + " already hold a store: migrate copies "
                + "into new keyspaces; use another --keyspace-prefix");
        if (cql.oneSerial("SELECT value FROM {mbox}.store_meta WHERE key = 'schema_version'") != null) {
            throw taken;
        }
        var r = cql.lwtRow("INSERT INTO {mbox}.store_meta (key, value) VALUES (?, ?) IF NOT EXISTS", MIGRATION_KEY, madeBy);
        if (!r.getBoolean(0)) {
            throw unfinished(c, r.getString("value")); // another migrate, a moment before
        }
        if (!Schema.markVersion(cql)) {
            cql.lwt("DELETE FROM {mbox}.store_meta WHERE key = ? IF value = ?", MIGRATION_KEY, madeBy);
            throw taken;
        }
    }

    /**
     * Deletes this migration's mark from the keyspaces: the copy was verified equal, and they are a store from now on
     * (every host may join and open it). Nothing to do for a backend that no migration made.
     */
    @Override
    public void finishMigration() throws IOException {
        String mark = migrationMark;
        if (mark == null) {
            return;
        }
        if (!cql.lwt("DELETE FROM {mbox}.store_meta WHERE key = ? IF value = ?", MIGRATION_KEY, mark)
                && cql.oneSerial("SELECT value FROM {mbox}.store_meta WHERE key = ?", MIGRATION_KEY) != null) {
            throw new IOException("the migration mark in " + config.mboxKeyspace() + ".store_meta is not this migration's ('" + mark + "')");
        }
        migrationMark = null;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public StoreInfo.Features features() {
        return FEATURES;
    }

    @Override
    public String location() {
        return config.location();
    }

    @Override
    public Path localDir() {
        return root;
    }

    @Override
    public MailboxDirectory mailboxList() {
        return mailboxes;
    }

    @Override
    public QueueStore queue() {
        return queue;
    }

    @Override
    public SettingsStore settings() {
        return settings;
    }

    @Override
    public MessageStorage storage() {
        return storage;
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public ChangeFeed changes() {
        return changes;
    }

    @Override
    public org.mstore.backend.UserStore users() {
        return users;
    }

    @Override
    public org.mstore.backend.SessionStore sessions() {
        return sessions;
    }

    /**
     * The driver's failures that mean "no node can serve this now", anywhere in the cause chain: no node available or
     * every node tried failed ({@link AllNodesFailedException}, which {@code NoNodeAvailableException} is), the driver's
     * own timeout, and the coordinator's answer that too few replicas are alive ({@link UnavailableException}) or
     * answered in time ({@link ReadTimeoutException}, {@link WriteTimeoutException}). Anything else (a bad query, a missing
     * table, an authentication error) is not an outage.
     */
    @Override
    public boolean unreachable(Throwable e) {
        return unreachableCause(e);
    }

    static boolean unreachableCause(Throwable e) {
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof AllNodesFailedException || t instanceof DriverTimeoutException || t instanceof UnavailableException
                    || t instanceof ReadTimeoutException || t instanceof WriteTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** Claims on queue entries this process holds (tests look). */
    public int claimsHeld() {
        return queue.claimsHeld();
    }

    /** Runs a CQL statement on the store's keyspaces ({@code {msg}}, {@code {mbox}}, {@code {cache}}): tests damage the store with it. */
    public void cqlForTests(String statement, Object... values) {
        cql.execute(statement, values);
    }

    /** A schema statement on the store's keyspaces, waiting for schema agreement (tests take a table away to make tasks fail). */
    public void ddlForTests(String statement) {
        cql.ddl(statement);
    }


    /** The first column of the first row a query returns, as a UUID (tests find blobs). */
    public java.util.UUID uuidForTests(String statement, Object... values) {
        var r = cql.execute(statement, values).one();
        return r == null ? null : r.getUuid(0);
    }

    /** The first column of the first row a query returns, as the driver gives it, or null (tests read a TTL). */
    public Object valueForTests(String statement, Object... values) {
        var r = cql.execute(statement, values).one();
        return r == null ? null : r.getObject(0);
    }

    /** The mailbox id that keys a mailbox's rows (tests find its rows). */
    public java.util.UUID mailboxIdForTests(String name) {
        CassandraStorage.Header h = storage.header(name);
        return h == null ? null : h.id();
    }

    @Override
    public void logTo(java.util.function.BiConsumer<org.mstore.api.LogLevel, String> log) {
        keeper.logTo(log);
    }

    @Override
    public void close() {
        keeper.close();
        queue.releaseAll();
        cql.close();
    }
}
