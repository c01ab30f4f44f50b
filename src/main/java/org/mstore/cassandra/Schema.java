package org.mstore.cassandra;

import java.util.List;

/**
 * The Cassandra store's keyspaces and tables, one table per query (see {@code docs/cassandra.md} for the reasoning of
 * each). Created with {@code IF NOT EXISTS}: a second host's {@code init} on the same keyspaces joins the store.
 */
final class Schema {
    /** UIDs per partition of a mailbox's message tables: a million-message mailbox is 200 partitions of 5,000 rows. */
    static final int UID_BUCKET = 5000;
    /** RecNos per partition of the queue. */
    static final int RECNO_BUCKET = 1000;
    /** Bytes per row of a message blob. */
    static final int CHUNK = 256 * 1024;
    /** gc_grace_seconds of tables whose every cell has a TTL (nothing there can come back from a missed tombstone). */
    static final int SHORT_GRACE = 3 * 3600;
    /** How long the queue's history is kept (its rows' TTL): 30 days. */
    static final int HISTORY_TTL = 30 * 86400;
    static final int VERSION = 1;

    private Schema() {
    }

    static List<String> keyspaces(CassandraConfig c) {
        String r = c.replicationCql();
        return List.of(
                "CREATE KEYSPACE IF NOT EXISTS {msg} WITH replication = " + r,
                "CREATE KEYSPACE IF NOT EXISTS {mbox} WITH replication = " + r,
                "CREATE KEYSPACE IF NOT EXISTS {cache} WITH replication = " + r);
    }

    /**
     * The mail users, their subscriptions and the servers' sessions (issue 9), in the metadata keyspace. Also made when
     * a store made before them is opened ({@link #addMissing}).
     */
    static final List<String> USER_TABLES = List.of(
            """
            CREATE TABLE IF NOT EXISTS {mbox}.users (
              name text PRIMARY KEY, credential text, created bigint, updated bigint)""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.subscriptions (
              user text, mailbox text,
              PRIMARY KEY ((user), mailbox))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.session_owners (
              shard int, owner text, heartbeat bigint,
              PRIMARY KEY ((shard), owner)) WITH gc_grace_seconds = """ + SHORT_GRACE,
            """
            CREATE TABLE IF NOT EXISTS {mbox}.sessions (
              shard int, owner text, id text, process text, host text, protocol text, user_name text, remote text,
              mailbox text, since bigint, last_command text, last_active bigint, idle boolean,
              PRIMARY KEY ((shard), owner, id)) WITH gc_grace_seconds = """ + SHORT_GRACE);

    static final List<String> TABLES = List.of(
            // ---- {msg}: message bytes
            """
            CREATE TABLE IF NOT EXISTS {msg}.blobs (
              blob_id uuid, chunk int, data blob,
              size bigint STATIC, crc32c int STATIC, chunks int STATIC, mailbox_id uuid STATIC, uid bigint STATIC,
              PRIMARY KEY ((blob_id), chunk))""",
            """
            CREATE TABLE IF NOT EXISTS {msg}.blob_refs (
              mailbox_id uuid, bucket int, uid bigint, blob_id uuid, size bigint, written_at bigint,
              PRIMARY KEY ((mailbox_id, bucket), uid))""",
            // ---- {mbox}: mailboxes, message records and flags, the queue
            """
            CREATE TABLE IF NOT EXISTS {mbox}.mailboxes (
              user text, name text, partition_name text, uidvalidity bigint, next_uid bigint, message_count bigint,
              size_bytes bigint, expunged bigint, cache_records bigint, cache_expunged bigint, created bigint,
              last_expunge bigint, last_cleanup bigint, last_purge bigint, last_repair bigint,
              PRIMARY KEY ((user), name))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.mailbox_storage (
              user text, name text, mailbox_id uuid, uidvalidity bigint, next_uid bigint, messages bigint, bytes bigint,
              expunged bigint, created bigint, pending_op text,
              PRIMARY KEY ((user), name))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.messages (
              mailbox_id uuid, bucket int, uid bigint, blob_id uuid, size bigint, crc32c int, internal_date bigint,
              flags int, expunged_at bigint,
              PRIMARY KEY ((mailbox_id, bucket), uid))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.expunged (
              mailbox_id uuid, bucket int, uid bigint, blob_id uuid, size bigint, expunged_at bigint,
              PRIMARY KEY ((mailbox_id, bucket), uid))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.quarantine (
              mailbox_id uuid, uid bigint, blob_id uuid, size bigint, at bigint, reason text,
              PRIMARY KEY ((mailbox_id), uid))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.deleted_mailboxes (
              shard int, mailbox_id uuid, name text, next_uid bigint, at bigint,
              PRIMARY KEY ((shard), mailbox_id))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.mailbox_locks (
              name text PRIMARY KEY, owner text, since bigint) WITH gc_grace_seconds = """ + SHORT_GRACE,
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_entries (
              lane text, bucket bigint, recno bigint, mailbox text, action text, ts bigint, forced boolean, not_before bigint,
              attempts int, last_error text, state text, version int, lease_id uuid, lease_owner text, lease_at bigint,
              reason text, queued_by text, queued_at bigint,
              PRIMARY KEY ((lane, bucket), recno))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_by_mailbox (
              mailbox text, action text, recno bigint, lane text, parked boolean,
              PRIMARY KEY ((mailbox), action, recno))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_pending (
              mailbox text, action text, recno bigint, lane text,
              PRIMARY KEY ((mailbox), action))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_seq (
              name text PRIMARY KEY, value bigint)""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_counts (
              action text PRIMARY KEY, n counter)""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_history (
              hour bigint, seq bigint, recno bigint, mailbox text, action text, ts bigint, forced boolean, outcome text,
              detail text, done_at bigint, bytes_reclaimed bigint, worker text, attempts int, last_error text,
              reason text, queued_by text, queued_at bigint,
              PRIMARY KEY ((hour), seq))
              WITH default_time_to_live = """ + HISTORY_TTL + " AND gc_grace_seconds = " + SHORT_GRACE
                    + " AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': 1}",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_history_by_outcome (
              outcome text, day bigint, seq bigint, recno bigint, mailbox text, action text, ts bigint, forced boolean,
              detail text, done_at bigint, bytes_reclaimed bigint, worker text, attempts int, last_error text,
              reason text, queued_by text, queued_at bigint,
              PRIMARY KEY ((outcome, day), seq))
              WITH CLUSTERING ORDER BY (seq DESC) AND default_time_to_live = """ + HISTORY_TTL + " AND gc_grace_seconds = " + SHORT_GRACE
                    + " AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': 1}",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_history_by_recno (
              bucket bigint, recno bigint, seq bigint, mailbox text, action text, ts bigint, forced boolean, outcome text,
              detail text, done_at bigint, bytes_reclaimed bigint, worker text, attempts int, last_error text,
              reason text, queued_by text, queued_at bigint,
              PRIMARY KEY ((bucket), recno))
              WITH default_time_to_live = """ + HISTORY_TTL + " AND gc_grace_seconds = " + SHORT_GRACE,
            """
            CREATE TABLE IF NOT EXISTS {mbox}.queue_history_counts (
              outcome text, day bigint, n counter,
              PRIMARY KEY ((outcome), day))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.workers (
              shard int, worker text, host text, pid bigint, owner text, started bigint, seen bigint,
              recno bigint, mailbox text, action text, claimed_at bigint,
              PRIMARY KEY ((shard), worker)) WITH gc_grace_seconds = """ + SHORT_GRACE,
            """
            CREATE TABLE IF NOT EXISTS {mbox}.changes (
              hour bigint, seq bigint, kind text, subject text, ids list<bigint>, at bigint,
              PRIMARY KEY ((hour), seq))
              WITH default_time_to_live = 172800 AND gc_grace_seconds = """ + SHORT_GRACE
                    + " AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'HOURS', 'compaction_window_size': 6}",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.settings (
              store int, name text, value text, updated_at bigint,
              PRIMARY KEY ((store), name))""",
            """
            CREATE TABLE IF NOT EXISTS {mbox}.store_meta (
              key text PRIMARY KEY, value text)""",
            // ---- {cache}: what is derived from the messages and can be rebuilt from them
            """
            CREATE TABLE IF NOT EXISTS {cache}.summaries (
              mailbox_id uuid, bucket int, uid bigint, date text, from_ text, to_ text, cc text, subject text,
              message_id text, in_reply_to text, content_type text,
              PRIMARY KEY ((mailbox_id, bucket), uid))""");

    /**
     * The tables that keep why, by whom and when an entry was queued (issue 7): a store made by an earlier release lacks
     * these columns; a read-write open adds them ({@link #addMissing}), a read-only one reads the store without them.
     */
    static final List<String> REASON_TABLES = List.of("queue_entries", "queue_history", "queue_history_by_outcome", "queue_history_by_recno");

    static int uidBucket(long uid) {
        return (int) (uid / UID_BUCKET);
    }

    static long recnoBucket(long recno) {
        return recno / RECNO_BUCKET;
    }

    /** The user partition of a mailbox name ({@code user/<user>/...}). */
    static String user(String name) {
        int a = name.indexOf('/');
        int b = name.indexOf('/', a + 1);
        return b < 0 ? name.substring(a + 1) : name.substring(a + 1, b);
    }

    /** The keyspaces and tables, each if not there yet: not a store until {@link #markVersion}. */
    static void createTables(Cql cql) {
        for (String ks : keyspaces(cql.config())) {
            cql.ddl(ks);
        }
        for (String t : TABLES) {
            cql.ddl(t);
        }
        for (String t : USER_TABLES) {
            cql.ddl(t);
        }
    }

    /** Writes the schema version row, which makes the keyspaces a store ({@link #exists}); false when it was there already. */
    static boolean markVersion(Cql cql) {
        return cql.lwt("INSERT INTO {mbox}.store_meta (key, value) VALUES ('schema_version', ?) IF NOT EXISTS", Integer.toString(VERSION));
    }

    /**
     * Makes the tables of a store made by an earlier release that lacked them (the users and sessions tables): one
     * cheap read when they are there.
     */
    static void addMissing(Cql cql) {
        if (!hasAllTables(cql)) {
            for (String t : USER_TABLES) {
                cql.ddl(t);
            }
        }
        for (String t : REASON_TABLES) {
            if (!hasReasonColumns(cql, t)) {
                try {
                    cql.ddl("ALTER TABLE {mbox}." + t + " ADD (reason text, queued_by text, queued_at bigint)");
                } catch (com.datastax.oss.driver.api.core.servererrors.InvalidQueryException e) {
                    if (!hasReasonColumns(cql, t)) {
                        throw e; // not another host's open that added them first
                    }
                }
            }
        }
    }

    /** Whether every table of {@link #REASON_TABLES} has the reason columns. */
    static boolean hasReasonColumns(Cql cql) {
        return REASON_TABLES.stream().allMatch(t -> hasReasonColumns(cql, t));
    }

    private static boolean hasReasonColumns(Cql cql, String table) {
        try {
            cql.execute("SELECT reason, queued_by, queued_at FROM {mbox}." + table + " LIMIT 1");
            return true;
        } catch (com.datastax.oss.driver.api.core.servererrors.InvalidQueryException e) {
            return false; // undefined column
        }
    }

    /** Whether the store has the tables that a store made by an earlier release may lack ({@link #addMissing}). */
    static boolean hasAllTables(Cql cql) {
        try {
            cql.execute("SELECT name FROM {mbox}.users LIMIT 1");
            cql.execute("SELECT owner FROM {mbox}.sessions WHERE shard = 0 LIMIT 1");
            return true;
        } catch (com.datastax.oss.driver.api.core.servererrors.InvalidQueryException e) {
            return false; // unconfigured table
        }
    }

    /** True when the store's keyspaces hold a store (its schema version row). */
    static boolean exists(Cql cql) {
        try {
            return cql.one("SELECT value FROM {mbox}.store_meta WHERE key = 'schema_version'") != null;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
