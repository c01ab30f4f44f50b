package org.mstore.cassandra;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.mstore.backend.ChangeFeed;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * What changed in the mailbox list and the settings, for other processes' events: {@code <prefix>mbox.changes},
 * partitioned by hour, rows expiring after two days (TTL, so no deletes). A sequence number is the time in
 * milliseconds shifted left by 20 bits plus 20 random bits: increasing with time across hosts, unique in practice,
 * and a reader that looks again from the last one it saw finds the newer ones (a host whose clock is behind can be
 * missed by a watcher: events are for display; nothing depends on them).
 */
final class CassandraChanges implements ChangeFeed {
    static final int SHIFT = 20;
    private static final long HOUR = 3_600_000L;
    private final Cql cql;
    private final Clock clock;

    CassandraChanges(Cql cql, Clock clock) {
        this.cql = cql;
        this.clock = clock;
    }

    /** A sequence number for now (see the class comment). */
    static long seq(long millis) {
        return (millis << SHIFT) | ThreadLocalRandom.current().nextLong(1L << SHIFT);
    }

    static long hourOf(long seq) {
        return (seq >>> SHIFT) / HOUR;
    }

    /** Uses the wall clock, not the store's (a test's settable clock stands still; these rows must still order). */
    void record(String kind, String subject) {
        long now = System.currentTimeMillis();
        long seq = seq(now);
        cql.execute("INSERT INTO {mbox}.changes (hour, seq, kind, subject, at) VALUES (?, ?, ?, ?, ?)", hourOf(seq), seq, kind, subject,
                clock.millis());
    }

    @Override
    public List<Change> after(long seq, int limit) {
        List<Change> out = new ArrayList<>();
        long nowHour = System.currentTimeMillis() / HOUR;
        for (long h = Math.max(hourOf(seq), nowHour - 47); h <= nowHour + 1 && out.size() < limit; h++) {
            for (Row r : cql.execute("SELECT seq, kind, subject, at FROM {mbox}.changes WHERE hour = ? AND seq > ? LIMIT ?", h, seq,
                    limit - out.size())) {
                out.add(new Change(r.getLong("seq"), r.getString("kind"), r.getString("subject"), r.getLong("at")));
            }
        }
        return out;
    }

    @Override
    public long maxSeq() {
        long nowHour = System.currentTimeMillis() / HOUR;
        for (long h = nowHour + 1; h >= nowHour - 1; h--) {
            Row r = cql.one("SELECT seq FROM {mbox}.changes WHERE hour = ? ORDER BY seq DESC LIMIT 1", h);
            if (r != null) {
                return r.getLong(0);
            }
        }
        return (nowHour * HOUR) << SHIFT;
    }

    /** Rows expire by themselves (TTL). */
    @Override
    public int prune(long keep) {
        return 0;
    }
}
