package org.mstore.cassandra;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mstore.api.SessionInfo;
import org.mstore.backend.SessionStore;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The protocol servers' sessions of a Cassandra store, in the metadata keyspace: {@code <prefix>mbox.sessions}
 * ({@code ((shard), owner, id)}: one row a session) and {@code <prefix>mbox.session_owners} ({@code ((shard), owner)}:
 * one row a server process, its heartbeat). The shard is a hash of the owner over {@link #SHARDS} partitions, so
 * {@link #list()} reads a fixed few partitions (no {@code ALLOW FILTERING}, no scan) and the rows of one process are
 * one clustering range that {@link #removeOwners} deletes at once.
 *
 * <p>Every row is written with a TTL of {@link #TTL_SECONDS}: the owner's heartbeat row at every publish (once a
 * second), its sessions' rows when they change and again every {@link #REFRESH_MS} (this object keeps the owner's live
 * sessions in memory for that). A process that dies stops writing, and its rows vanish by themselves a minute later
 * even if no console ever lists them; until then the engine sees the old heartbeat and leaves them out (and removes
 * them), as on the classic store.
 */
final class CassandraSessions implements SessionStore {
    static final int SHARDS = 4;
    static final int TTL_SECONDS = 60;
    static final long REFRESH_MS = TTL_SECONDS * 1000L / 3;

    private final Cql cql;
    /** The sessions this process published, by owner then id: rewritten before their TTL runs out. */
    private final Map<String, Map<String, SessionInfo>> mine = new HashMap<>();
    private final Map<String, Long> refreshed = new HashMap<>();

    CassandraSessions(Cql cql) {
        this.cql = cql;
    }

    static int shard(String owner) {
        return Math.floorMod(owner.hashCode(), SHARDS);
    }

    @Override
    public synchronized void publish(String owner, long now, Collection<SessionInfo> changed, Collection<String> closed) {
        int shard = shard(owner);
        Map<String, SessionInfo> live = mine.computeIfAbsent(owner, o -> new LinkedHashMap<>());
        // the heartbeat first: a session row is never seen without its owner's row
        cql.execute("INSERT INTO {mbox}.session_owners (shard, owner, heartbeat) VALUES (?, ?, ?) USING TTL " + TTL_SECONDS, shard, owner, now);
        for (String id : closed) {
            live.remove(id);
            cql.execute("DELETE FROM {mbox}.sessions WHERE shard = ? AND owner = ? AND id = ?", shard, owner, id);
        }
        for (SessionInfo s : changed) {
            live.put(s.id(), s);
        }
        Collection<SessionInfo> write = changed;
        long last = refreshed.getOrDefault(owner, Long.MIN_VALUE / 2);
        if (now - last >= REFRESH_MS || now < last) {
            write = live.values(); // every live row again, before its TTL runs out
            refreshed.put(owner, now);
        }
        for (SessionInfo s : write) {
            if (!live.containsKey(s.id())) {
                continue; // closed in the same publish
            }
            cql.execute("INSERT INTO {mbox}.sessions (shard, owner, id, process, host, protocol, user_name, remote, mailbox, since, "
                    + "last_command, last_active, idle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL " + TTL_SECONDS,
                    shard, owner, s.id(), s.process(), s.host(), s.protocol(), s.user(), s.remote(), s.mailbox(),
                    s.since().toEpochMilli(), s.lastCommand(), s.lastActive().toEpochMilli(), s.idle());
        }
    }

    @Override
    public List<Stored> list() {
        List<Stored> out = new ArrayList<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            Map<String, Long> beats = new HashMap<>();
            for (Row r : cql.execute("SELECT owner, heartbeat FROM {mbox}.session_owners WHERE shard = ?", shard)) {
                beats.put(r.getString(0), r.getLong(1));
            }
            for (Row r : cql.execute("SELECT owner, id, process, host, protocol, user_name, remote, mailbox, since, last_command, "
                    + "last_active, idle FROM {mbox}.sessions WHERE shard = ?", shard)) {
                String owner = r.getString(0);
                SessionInfo s = new SessionInfo(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                        r.getString(6), r.getString(7), Instant.ofEpochMilli(r.getLong(8)), r.getString(9),
                        Instant.ofEpochMilli(r.getLong(10)), r.getBoolean(11));
                // no heartbeat row: the owner stopped a minute ago (its rows outlive it by less than their TTL)
                out.add(new Stored(s, owner, beats.getOrDefault(owner, 0L)));
            }
        }
        out.sort(Comparator.comparing((Stored s) -> s.info().since()).thenComparing(s -> s.info().id()));
        return out;
    }

    @Override
    public void removeOwners(Collection<String> owners) {
        for (String owner : owners) {
            int shard = shard(owner);
            cql.execute("DELETE FROM {mbox}.sessions WHERE shard = ? AND owner = ?", shard, owner);
            cql.execute("DELETE FROM {mbox}.session_owners WHERE shard = ? AND owner = ?", shard, owner);
            synchronized (this) {
                mine.remove(owner);
                refreshed.remove(owner);
            }
        }
    }
}
