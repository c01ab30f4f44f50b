package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MessageRecord;
import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.QueueEntry;
import org.mstore.api.Stores;
import org.mstore.cli.Main;
import org.mstore.engine.SampleStore;
import org.mstore.fs.CrashPoint;
import org.mstore.tools.CassandraNode;

/**
 * {@code mstore migrate --to cassandra} of the sample store (through a copy: the committed sample never changes), and
 * the commands on a Cassandra store: every message's bytes and flags equal after the copy; imcheck -q in the seed's
 * layout; imcheck -m without offsets.
 */
@ExtendWith(CassandraFixture.class)
class CassandraMigrateTest {
    static String prefix;
    @TempDir
    Path tmp;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("mig");
    }

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(rc), out.toString(), err.toString()};
    }

    /** A copy of the sample store (through a copy: the committed sample never changes). */
    private static Path sampleCopy(Path src) throws Exception {
        SampleStore.copy(Path.of("sample-store"), src);
        Files.deleteIfExists(src.resolve(SampleStore.MARKER));
        return src;
    }

    /** Repairs the sample's damaged mailboxes (migrate refuses a mailbox it cannot read). */
    private static Path repaired(Path src) throws Exception {
        try (MessageStore a = Stores.open(src, OpenOptions.cli("test"))) {
            for (MailboxInfo m : a.mailboxes().list()) {
                if (!a.maintenance().inspect(m.name()).problems().isEmpty()) {
                    a.maintenance().reconstruct(m.name());
                }
            }
        }
        return src;
    }

    @Test
    void a_migration_cut_short_leaves_a_target_that_every_open_refuses_and_init_does_not_clear() throws Exception {
        Path src = repaired(sampleCopy(tmp.resolve("classic")));
        Path target = tmp.resolve("cut");
        CrashPoint.injectFault("migrate.after-mailbox"); // the copy stops after its first mailbox, as a killed migrate would
        String[] r;
        try {
            r = run("migrate", "--store", src.toString(), "--to", "cassandra", "--target", target.toString(), "--contact-point",
                    CassandraFixture.contactPoint(), "--datacenter", CassandraNode.DATACENTER, "--keyspace-prefix", prefix + "c", "--quiet");
        } finally {
            CrashPoint.clearFaults();
        }
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("injected fault at migrate.after-mailbox");
        String made = "'migrate from " + src.toAbsolutePath().normalize() + "'";
        assertThatThrownBy(() -> Stores.open(target, OpenOptions.cli("test"))).isInstanceOf(java.io.IOException.class)
                .hasMessage("the store at " + target.toAbsolutePath().normalize() + " is not finished: " + made
                        + " was interrupted or found the copy different (init.incomplete); delete it, and migrate again to a new target");
        String[] imcheck = run("imcheck", "-q", "--store", target.toString());
        assertThat(imcheck[0]).isEqualTo("1");
        assertThat(imcheck[2]).contains("is not finished: " + made).hasLineCount(1);
        String[] init = run("init", "--store", target.toString(), "--backend", "cassandra", "--contact-point", CassandraFixture.contactPoint(),
                "--datacenter", CassandraNode.DATACENTER, "--keyspace-prefix", prefix + "c");
        assertThat(init[0]).isEqualTo("1");
        assertThat(init[2]).contains("was being made by " + made + ", which did not finish: delete it, and migrate again to a new target");
    }

    private static String[] migrate(Path src, Path target, String keyspacePrefix) {
        return run("migrate", "--store", src.toString(), "--to", "cassandra", "--target", target.toString(), "--contact-point",
                CassandraFixture.contactPoint(), "--datacenter", CassandraNode.DATACENTER, "--keyspace-prefix", keyspacePrefix, "--quiet");
    }

    private static String[] initOn(Path store, String keyspacePrefix) {
        return run("init", "--store", store.toString(), "--backend", "cassandra", "--contact-point", CassandraFixture.contactPoint(),
                "--datacenter", CassandraNode.DATACENTER, "--keyspace-prefix", keyspacePrefix);
    }

    /**
     * The mark of an unfinished migration is where the mail is: in the keyspaces, not only in the target directory. Another
     * host's init on the same prefix, a store directory of theirs that names the keyspaces, and a new migrate into
     * them are all refused in one line while it is there.
     */
    @Test
    void another_hosts_init_refuses_keyspaces_whose_migration_never_finished() throws Exception {
        Path src = repaired(sampleCopy(tmp.resolve("classic")));
        String p = prefix + "u";
        Path target = tmp.resolve("cut");
        CrashPoint.injectFault("migrate.after-mailbox"); // the copy stops after its first mailbox, as a killed migrate would
        String[] r;
        try {
            r = migrate(src, target, p);
        } finally {
            CrashPoint.clearFaults();
        }
        assertThat(r[0]).isEqualTo("1");
        String refusal = "the Cassandra keyspaces with prefix " + p + " hold an unfinished migration ('migrate from " + src.toAbsolutePath().normalize()
                + "' was interrupted or found the copy different); they are not a store: drop them (cqlsh: DROP KEYSPACE " + p + "msg; DROP KEYSPACE "
                + p + "mbox; DROP KEYSPACE " + p + "cache;) or use another --keyspace-prefix";

        Path other = tmp.resolve("other-host");
        String[] init = initOn(other, p);
        assertThat(init[0]).as(init[1]).isEqualTo("1");
        assertThat(init[1]).doesNotContain("created");
        assertThat(init[2]).contains(refusal).hasLineCount(1);
        assertThat(other).doesNotExist(); // nothing was made
        assertThatThrownBy(() -> CassandraFixture.store(tmp.resolve("other-engine"), p, org.mstore.testing.SettableClock.fixed()))
                .isInstanceOf(java.io.IOException.class).hasMessage(refusal);

        // a store directory that names the keyspaces (one joined, or copied, before): every open refuses it
        Path copied = tmp.resolve("copied");
        Files.createDirectories(copied);
        Files.copy(target.resolve("store.conf"), copied.resolve("store.conf"));
        assertThatThrownBy(() -> Stores.open(copied, OpenOptions.cli("test"))).isInstanceOf(java.io.IOException.class).hasMessage(refusal);
        String[] list = run("mboxutil", "-l", "--store", copied.toString());
        assertThat(list[0]).isEqualTo("1");
        assertThat(list[2]).contains(refusal).hasLineCount(1);
        // and the interrupted target itself, as before
        assertThatThrownBy(() -> Stores.open(target, OpenOptions.cli("test"))).hasMessageContaining("is not finished");

        // a new migrate into the same keyspaces: refused before it copies anything, naming the way out
        Path again = tmp.resolve("again");
        String[] second = migrate(src, again, p);
        assertThat(second[0]).isEqualTo("1");
        assertThat(second[2]).contains(refusal).hasLineCount(1);
        assertThat(again).doesNotExist();
    }

    @Test
    void migrate_of_the_sample_store_copies_every_message_bytes_and_flags_equal() throws Exception {
        Path src = sampleCopy(tmp.resolve("classic"));
        Path target = tmp.resolve("cass");
        // the sample holds damaged mailboxes (to show self-healing): migrate refuses them, naming the way out
        String[] refused = run("migrate", "--store", src.toString(), "--to", "cassandra", "--target", tmp.resolve("refused").toString(),
                "--contact-point", CassandraFixture.contactPoint(), "--datacenter", CassandraNode.DATACENTER, "--keyspace-prefix", prefix + "r",
                "--quiet");
        assertThat(refused[0]).isEqualTo("1");
        assertThat(refused[2]).contains("repair it first with 'mstore reconstruct ").hasLineCount(1);
        assertThat(tmp.resolve("refused")).doesNotExist(); // nothing was made
        repaired(src);
        String[] r = run("migrate", "--store", src.toString(), "--to", "cassandra", "--target", target.toString(), "--contact-point",
                CassandraFixture.contactPoint(), "--datacenter", CassandraNode.DATACENTER, "--keyspace-prefix", prefix, "--quiet");
        assertThat(r[2]).isEmpty();
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1].strip()).startsWith("migrated ").contains("bytes and flags equal").doesNotContain("\n");

        try (MessageStore a = Stores.open(src, OpenOptions.cli("test").withReadOnly(true)); MessageStore b = Stores.open(target, OpenOptions.cli("test"))) {
            assertThat(b.info().backend()).isEqualTo("cassandra");
            List<MailboxInfo> boxes = a.mailboxes().list();
            assertThat(b.mailboxes().list()).extracting(MailboxInfo::name).containsExactlyElementsOf(boxes.stream().map(MailboxInfo::name).toList());
            long messages = 0;
            for (MailboxInfo m : boxes) {
                var sa = a.mailboxes().snapshot(m.name());
                var sb = b.mailboxes().snapshot(m.name());
                assertThat(sb.uidValidity()).as(m.name()).isEqualTo(sa.uidValidity());
                assertThat(sb.nextUid()).as(m.name()).isEqualTo(sa.nextUid());
                assertThat(sb.records()).as(m.name()).containsExactlyElementsOf(sa.records());
                for (MessageRecord rec : sa.records()) {
                    assertThat(b.mailboxes().fetch(m.name(), rec.uid())).isEqualTo(a.mailboxes().fetch(m.name(), rec.uid()));
                    messages++;
                }
            }
            assertThat(r[1]).contains(messages + " messages");
            assertThat(messages).isGreaterThan(1000);
            // the waiting entries that exist on Cassandra came along; Clean and Remove have no meaning there: a Purge of
            // each mailbox whose carried expunged messages exceed store.cleanupsize stands for them (as an expunge there
            // would queue it)
            List<String> waiting = new java.util.ArrayList<>(a.queue().entriesAfter(0, 100_000).stream().filter(e -> !e.action().cleanupStep())
                    .map(e -> e.mailbox() + " " + e.action()).toList());
            for (MailboxInfo m : boxes) {
                long carried = a.mailboxes().expunged(m.name()).stream().filter(org.mstore.api.ExpungedMessage::recoverable).count();
                if (carried > 0 && b.settings().snapshot().cleanupDue(carried)) {
                    waiting.add(m.name() + " " + Action.PURGE);
                }
            }
            assertThat(b.queue().entriesAfter(0, 100_000)).extracting(e -> e.mailbox() + " " + e.action())
                    .containsExactlyInAnyOrderElementsOf(waiting);
            assertThat(b.settings().explicit()).isEqualTo(a.settings().explicit());
        }
        // finished: the keyspaces hold no migration mark, and another host's init joins them as before
        Path other = tmp.resolve("other-host");
        String[] init = initOn(other, prefix);
        assertThat(init[0]).as(init[2]).isEqualTo("0");
        assertThat(init[1]).contains("created cassandra store " + other);
        try (MessageStore a = Stores.open(src, OpenOptions.cli("test").withReadOnly(true)); MessageStore b = Stores.open(other, OpenOptions.cli("test"))) {
            assertThat(b.mailboxes().list()).extracting(MailboxInfo::name)
                    .containsExactlyElementsOf(a.mailboxes().list().stream().map(MailboxInfo::name).toList());
        }
        // a new migrate into keyspaces that hold a store: refused before it copies anything
        String[] again = migrate(src, tmp.resolve("again"), prefix);
        assertThat(again[0]).isEqualTo("1");
        assertThat(again[2]).contains("the Cassandra keyspaces with prefix " + prefix + " already hold a store: migrate copies into new keyspaces; "
                + "use another --keyspace-prefix").hasLineCount(1);
        assertThat(tmp.resolve("again")).doesNotExist();
    }

    @Test
    void the_commands_work_on_a_cassandra_store_imcheck_in_the_seeds_layout_without_offsets() throws Exception {
        String p = CassandraFixture.newPrefix("cli");
        Path store = tmp.resolve("store");
        String s = store.toString();
        String[] init = run("init", "--store", s, "--backend", "cassandra", "--contact-point", CassandraFixture.contactPoint(), "--datacenter",
                CassandraNode.DATACENTER, "--keyspace-prefix", p);
        assertThat(init[0]).as(init[2]).isEqualTo("0");
        assertThat(init[1]).contains("created cassandra store " + store);
        assertThat(Files.readString(store.resolve("store.conf"))).contains("backend=cassandra").contains("keyspace-prefix=" + p);
        assertThat(run("mboxutil", "-c", "user/carol", "--store", s)[0]).isEqualTo("0");
        Path eml = tmp.resolve("m.eml");
        Files.writeString(eml, "From: Dave <dave@example.com>\r\nSubject: hello\r\n\r\nhi\r\n");
        assertThat(run("client", "append", "user/carol", eml.toString(), eml.toString(), "--store", s)[1]).contains("1").contains("2");
        assertThat(run("msconfig", "set", "store.cleanupsize", "0", "--store", s)[0]).isEqualTo("0");
        assertThat(run("client", "delete", "user/carol", "1", "--store", s)[0]).isEqualTo("0");
        assertThat(run("client", "expunge", "user/carol", "--store", s)[0]).isEqualTo("0");
        String[] q = run("imcheck", "-q", "--store", s);
        List<String> lines = q[1].lines().toList();
        assertThat(lines.get(0)).isEqualTo("RecNo      Mailbox                             Timestamp      Action");
        assertThat(lines.get(1)).isEqualTo("---------- ----------------------------------- -------------- ------");
        assertThat(lines.get(2)).matches("[0-9]+ +user/carol +[0-9]{14} Purge");
        String[] m = run("imcheck", "-m", "user/carol", "--store", s);
        assertThat(m[1]).contains("Expunged:               1").contains("hello").doesNotContainIgnoringCase("offset");
        String[] clean = run("reconstruct", "-n", "user/carol", "--store", s);
        assertThat(clean[0]).as(clean[2]).isEqualTo("0");
        assertThat(run("imcheck", "-q", "--store", s)[1]).contains("Purge");
        // Clean does not exist on this store
        try (MessageStore e = Stores.open(store, OpenOptions.cli("test"))) {
            assertThat(e.info().features().cleanupStep()).isFalse();
            assertThat(e.queue().countsByAction()).containsEntry(Action.PURGE, 1L);
        }
    }

    @Test
    void migrate_carries_the_expunged_messages_still_recoverable_as_expunged_and_recoverable_on_the_target() throws Exception {
        Path src = tmp.resolve("classic-expunged");
        assertThat(run("init", "--store", src.toString())[0]).isEqualTo("0");
        assertThat(run("mboxutil", "--store", src.toString(), "-c", "user/alice")[0]).isEqualTo("0");
        java.util.List<String> append = new java.util.ArrayList<>(List.of("client", "append", "--store", src.toString(), "user/alice"));
        for (int u = 1; u <= 6; u++) {
            Path m = tmp.resolve(u + ".eml");
            Files.writeString(m, "From: a@example.org\r\nSubject: message " + u + "\r\n\r\nbody " + u + "\r\n");
            append.add(m.toString());
        }
        assertThat(run(append.toArray(String[]::new))[0]).isEqualTo("0");
        try (MessageStore a = Stores.open(src, OpenOptions.cli("test"))) {
            a.mailboxes().setFlags("user/alice", org.mstore.api.UidSet.parse("3"), org.mstore.api.Flags.FLAGGED, org.mstore.api.FlagMode.ADD);
        }
        assertThat(run("client", "delete", "--store", src.toString(), "user/alice", "2,3,5")[0]).isEqualTo("0");
        assertThat(run("client", "expunge", "--store", src.toString(), "user/alice")[0]).isEqualTo("0");
        // 3 expunged, past it: the target queues its Purge, as an expunge there would
        assertThat(run("msconfig", "set", "store.cleanupsize", "2", "--store", src.toString())[0]).isEqualTo("0");

        Path target = tmp.resolve("cass-expunged");
        String[] r = migrate(src, target, prefix + "e");

        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].strip()).contains("3 messages").contains("3 expunged messages still recoverable").doesNotContain("\n");
        try (MessageStore b = Stores.open(target, OpenOptions.cli("test"))) {
            assertThat(b.mailboxes().expunged("user/alice")).filteredOn(org.mstore.api.ExpungedMessage::recoverable)
                    .extracting(org.mstore.api.ExpungedMessage::uid).containsExactly(2, 3, 5);
            assertThat(b.mailboxes().get("user/alice").messageCount()).isEqualTo(3);
            assertThat(b.queue().entriesAfter(0, 1000)).extracting(e -> e.mailbox() + " " + e.action())
                    .containsExactly("user/alice " + Action.PURGE);
            var back = b.mailboxes().unexpunge("user/alice", org.mstore.api.UidSet.parse("2,3,5"));
            for (int i = 0; i < 3; i++) {
                int old = back.oldUids()[i];
                assertThat(b.mailboxes().fetch("user/alice", back.newUids()[i]))
                        .isEqualTo(Files.readAllBytes(tmp.resolve(old + ".eml")));
            }
            var flagged = b.mailboxes().snapshot("user/alice").records().stream().filter(m -> m.uid() == back.newUids()[1]).findFirst()
                    .orElseThrow();
            assertThat(flagged.flags() & org.mstore.api.Flags.FLAGGED).isNotZero();
        }
    }

    @Test
    void migrate_queues_a_purge_only_where_the_carried_expunged_messages_exceed_store_cleanupsize() throws Exception {
        Path src = tmp.resolve("classic-within");
        assertThat(run("init", "--store", src.toString())[0]).isEqualTo("0");
        assertThat(run("msconfig", "set", "store.cleanupsize", "2", "--store", src.toString())[0]).isEqualTo("0");
        Path eml = tmp.resolve("within.eml");
        Files.writeString(eml, "From: a@example.org\r\nSubject: within\r\n\r\nbody\r\n");
        // user/alice: 3 expunged, past store.cleanupsize; user/bob: 1, within it
        for (String[] box : new String[][] {{"user/alice", "1:3"}, {"user/bob", "1"}}) {
            assertThat(run("mboxutil", "--store", src.toString(), "-c", box[0])[0]).isEqualTo("0");
            assertThat(run("client", "append", "--store", src.toString(), box[0], eml.toString(), eml.toString(), eml.toString(),
                    eml.toString())[0]).isEqualTo("0");
            assertThat(run("client", "delete", "--store", src.toString(), box[0], box[1])[0]).isEqualTo("0");
            assertThat(run("client", "expunge", "--store", src.toString(), box[0])[0]).isEqualTo("0");
        }

        String[] r = migrate(src, tmp.resolve("cass-within"), prefix + "w");

        assertThat(r[0]).as(r[2]).isEqualTo("0");
        try (MessageStore b = Stores.open(tmp.resolve("cass-within"), OpenOptions.cli("test"))) {
            assertThat(b.mailboxes().expunged("user/bob")).filteredOn(org.mstore.api.ExpungedMessage::recoverable).hasSize(1);
            // as an expunge on the target would have done: a Purge for alice; bob's waits for an expunge that crosses it
            assertThat(b.queue().entriesAfter(0, 1000)).extracting(e -> e.mailbox() + " " + e.action())
                    .containsExactly("user/alice " + Action.PURGE);
        }
    }
}
