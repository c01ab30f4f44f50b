package org.mstore.cassandra;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.mstore.api.MailboxInfo;
import org.mstore.backend.MailboxDirectory;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The mailbox list in {@code <prefix>mbox.mailboxes}, partitioned by user: a mailbox is one row read by key; a user's
 * folders (a subtree) are one range of one partition; the whole list is a scan of the table, sorted here.
 */
final class CassandraMailboxList implements MailboxDirectory {
    private static final String COLS = "name, partition_name, uidvalidity, next_uid, message_count, size_bytes, expunged, cache_records, "
            + "cache_expunged, created, last_expunge, last_cleanup, last_purge, last_repair";

    private final Cql cql;
    private final CassandraChanges changes;

    CassandraMailboxList(Cql cql, CassandraChanges changes) {
        this.cql = cql;
        this.changes = changes;
    }

    @Override
    public Optional<MailboxInfo> get(String name) {
        Row r = cql.one("SELECT " + COLS + " FROM {mbox}.mailboxes WHERE user = ? AND name = ?", Schema.user(name), name);
        return Optional.ofNullable(r).map(CassandraMailboxList::map);
    }

    @Override
    public List<MailboxInfo> list() {
        List<MailboxInfo> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT " + COLS + " FROM {mbox}.mailboxes")) {
            out.add(map(r));
        }
        out.sort(Comparator.comparing(MailboxInfo::name));
        return out;
    }

    @Override
    public List<MailboxInfo> subtree(String name) {
        List<MailboxInfo> out = new ArrayList<>();
        get(name).ifPresent(out::add);
        // below "a/b": names from "a/b/" up to "a/b0" ('0' follows '/')
        for (Row r : cql.execute("SELECT " + COLS + " FROM {mbox}.mailboxes WHERE user = ? AND name > ? AND name < ?", Schema.user(name),
                name + "/", name + "0")) {
            out.add(map(r));
        }
        return out;
    }

    List<String> subtreeNames(String name) {
        return subtree(name).stream().map(MailboxInfo::name).toList();
    }

    void put(MailboxInfo m) {
        cql.execute("INSERT INTO {mbox}.mailboxes (user, " + COLS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                Schema.user(m.name()), m.name(), m.partition(), m.uidValidity(), m.nextUid(), m.messageCount(), m.sizeBytes(), m.expunged(),
                m.cacheRecords(), m.cacheExpunged(), ms(m.created()), ms(m.lastExpunge()), ms(m.lastCleanup()), ms(m.lastPurge()),
                ms(m.lastRepair()));
        changes.record("mailbox", m.name());
    }

    void delete(String name) {
        cql.execute("DELETE FROM {mbox}.mailboxes WHERE user = ? AND name = ?", Schema.user(name), name);
        changes.record("mailbox", name);
    }

    void clear() {
        for (MailboxInfo m : list()) {
            cql.execute("DELETE FROM {mbox}.mailboxes WHERE user = ? AND name = ?", Schema.user(m.name()), m.name());
        }
    }

    private static Long ms(Instant t) {
        return t == null ? null : t.toEpochMilli();
    }

    private static Instant at(Row r, String col) {
        return r.isNull(col) ? null : Instant.ofEpochMilli(r.getLong(col));
    }

    static MailboxInfo map(Row r) {
        return new MailboxInfo(r.getString("name"), r.getString("partition_name"), r.getLong("uidvalidity"), r.getLong("next_uid"),
                r.getLong("message_count"), r.getLong("size_bytes"), r.getLong("expunged"), r.getLong("cache_records"),
                r.getLong("cache_expunged"), at(r, "created"), at(r, "last_expunge"), at(r, "last_cleanup"), at(r, "last_purge"),
                at(r, "last_repair"));
    }
}
