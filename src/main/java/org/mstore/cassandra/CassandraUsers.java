package org.mstore.cassandra;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.mstore.backend.UserStore;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * The Cassandra store's mail users and subscriptions, in the metadata keyspace (shared by every host of the store):
 * {@code <prefix>mbox.users} (one row a user) and {@code <prefix>mbox.subscriptions} (one partition a user).
 *
 * <p>A user's row is changed only by lightweight transactions: added {@code IF NOT EXISTS} (two hosts adding one name:
 * one wins, the other is told the name is taken), its credential replaced {@code IF EXISTS} (a password set while
 * another host deletes the user does not bring the user back as a row with only a credential), deleted
 * {@code IF EXISTS}. Subscriptions are plain idempotent writes: adding one twice, or removing one that is not there,
 * changes nothing.
 */
final class CassandraUsers implements UserStore {
    private final Cql cql;

    CassandraUsers(Cql cql) {
        this.cql = cql;
    }

    private static StoredUser user(Row r) {
        return new StoredUser(r.getString(0), r.getString(1), r.getLong(2), r.getLong(3));
    }

    @Override
    public List<StoredUser> list() {
        // a scan of a small table (one row a user): for 'user list' and the console, never on a login
        List<StoredUser> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT name, credential, created, updated FROM {mbox}.users")) {
            out.add(user(r));
        }
        out.sort(Comparator.comparing(StoredUser::name));
        return out;
    }

    @Override
    public Optional<StoredUser> get(String name) {
        Row r = cql.one("SELECT name, credential, created, updated FROM {mbox}.users WHERE name = ?", name);
        return r == null ? Optional.empty() : Optional.of(user(r));
    }

    @Override
    public boolean insert(StoredUser u) {
        return cql.lwt("INSERT INTO {mbox}.users (name, credential, created, updated) VALUES (?, ?, ?, ?) IF NOT EXISTS",
                u.name(), u.credential(), u.created(), u.passwordChanged());
    }

    @Override
    public boolean updateCredential(String name, String credential, long when) {
        return cql.lwt("UPDATE {mbox}.users SET credential = ?, updated = ? WHERE name = ? IF EXISTS", credential, when, name);
    }

    @Override
    public boolean delete(String name) {
        if (!cql.lwt("DELETE FROM {mbox}.users WHERE name = ? IF EXISTS", name)) {
            return false;
        }
        cql.execute("DELETE FROM {mbox}.subscriptions WHERE user = ?", name);
        return true;
    }

    @Override
    public List<String> subscriptions(String user) {
        List<String> out = new ArrayList<>();
        for (Row r : cql.execute("SELECT mailbox FROM {mbox}.subscriptions WHERE user = ?", user)) {
            out.add(r.getString(0));
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    @Override
    public void subscribe(String user, String mailbox) {
        cql.execute("INSERT INTO {mbox}.subscriptions (user, mailbox) VALUES (?, ?)", user, mailbox);
    }

    @Override
    public void unsubscribe(String user, String mailbox) {
        cql.execute("DELETE FROM {mbox}.subscriptions WHERE user = ? AND mailbox = ?", user, mailbox);
    }
}
