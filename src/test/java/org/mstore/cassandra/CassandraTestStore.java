package org.mstore.cassandra;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.mstore.api.MailboxName;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.api.UidSet;
import org.mstore.engine.Engine;
import org.mstore.testing.SettableClock;
import org.mstore.testing.TestStore;

import com.datastax.oss.driver.api.core.cql.Row;

/** A Cassandra store for one test: its own local directory, the test class's keyspaces, a settable clock, a clean queue (no parked entries either) and default settings. */
final class CassandraTestStore implements AutoCloseable {
    final Path root;
    final SettableClock clock;
    final Engine engine;
    final CassandraBackend backend;

    private CassandraTestStore(Path root, SettableClock clock, Engine engine) {
        this.root = root;
        this.clock = clock;
        this.engine = engine;
        this.backend = (CassandraBackend) engine.backend();
    }

    static CassandraTestStore create(Path dir, String prefix) throws IOException {
        SettableClock clock = SettableClock.fixed();
        Engine e = CassandraFixture.store(dir.resolve("store"), prefix, clock);
        CassandraTestStore s = new CassandraTestStore(dir.resolve("store"), clock, e);
        // the keyspaces are the class's: start each test from an empty queue and the default settings
        List<Long> recnos = new ArrayList<>();
        e.queue().forEach(q -> recnos.add(q.recno()));
        e.queue().remove(recnos);
        e.queue().discardAll(); // parked entries an earlier test left
        e.settings().reset(List.of(Setting.values()));
        return s;
    }

    /** Another process's store (a directory of its own) on the same keyspaces, as it is: nothing cleared. */
    static CassandraTestStore join(Path dir, String prefix, SettableClock clock) throws IOException {
        return new CassandraTestStore(dir, clock, CassandraFixture.store(dir, prefix, clock));
    }

    /** A store a test opened itself (another contact point, say), as it is: nothing cleared. */
    static CassandraTestStore of(Engine engine, Path root, SettableClock clock) {
        return new CassandraTestStore(root, clock, engine);
    }

    void mailbox(String name) throws IOException {
        MailboxName n = MailboxName.parse(name);
        if (!n.isInbox() && engine.mailboxes().find(n.inbox().toString()).isEmpty()) {
            engine.mailboxes().create(n.inbox().toString(), CassandraStorage.PARTITION);
        }
        engine.mailboxes().create(name, CassandraStorage.PARTITION);
    }

    int[] append(String mailbox, int n) throws IOException {
        List<byte[]> msgs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            msgs.add(TestStore.message("Message " + i + " to " + mailbox, "Body " + i + "\r\n"));
        }
        return engine.mailboxes().append(mailbox, TestStore.news(msgs, clock.millis(), 0)).uids();
    }

    void expunge(String mailbox, String uids) throws IOException {
        engine.mailboxes().setDeleted(mailbox, UidSet.parse(uids), true);
        engine.mailboxes().expunge(mailbox);
    }

    List<QueueEntry> queue() {
        return engine.queue().entriesAfter(0, 100_000);
    }

    /** How many rows a query over the store's keyspaces ({@code {msg}}, {@code {mbox}}, {@code {cache}}) returns. */
    long rows(String cql, Object... values) {
        return cql().execute(cql, values).all().size();
    }

    /** Every row a query over the cluster returns, to {@code sink} (to compare what a step left). */
    void forEachRow(String cql, Consumer<Row> sink, Object... values) {
        cql().execute(cql, values).forEach(sink);
    }

    /** The store's own session: its storage's, which main code reaches in this package. */
    private Cql cql() {
        return ((CassandraStorage) backend.storage()).cql;
    }

    @Override
    public void close() {
        engine.close();
    }
}
