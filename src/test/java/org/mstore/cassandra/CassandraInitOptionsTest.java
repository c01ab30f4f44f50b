package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.OpenOptions;
import org.mstore.cli.Main;
import org.mstore.engine.Engine;
import org.mstore.testing.SettableClock;
import org.mstore.tools.CassandraNode;

/**
 * {@code mstore init --backend cassandra} as an administrator types it, checked against the cluster before anything is
 * made: a host joining a store with store-wide options (replication, consistency, lease) other than the store's is
 * refused, one left out is taken from the store; a replication larger than the datacenter's nodes and a datacenter
 * without nodes are refused in one line. A refused init leaves nothing: no store directory, no keyspace.
 */
@ExtendWith(CassandraFixture.class)
class CassandraInitOptionsTest {
    @TempDir
    Path tmp;
    static String probePrefix;
    /** A store on keyspaces of its own (the class's), to look at the cluster's schema with. */
    CassandraTestStore probe;

    @BeforeAll
    static void keyspaces() {
        probePrefix = CassandraFixture.newPrefix("probe");
    }

    @BeforeEach
    void setUp() throws Exception {
        probe = CassandraTestStore.create(tmp.resolve("probe"), probePrefix);
    }

    /** The prefixes a test made keyspaces with: dropped after it (each is some 30 tables of the shared node's memory). */
    final List<String> made = new ArrayList<>();

    @AfterEach
    void tearDown() {
        try {
            for (String p : made) {
                for (String ks : List.of("msg", "mbox", "cache")) {
                    probe.backend.ddlForTests("DROP KEYSPACE IF EXISTS " + p + ks);
                }
            }
        } finally {
            probe.close();
        }
    }

    private String prefix(String name) {
        String p = CassandraFixture.newPrefix(name);
        made.add(p);
        return p;
    }

    /** {@code mstore <args>} in this JVM: exit code, out, err. */
    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(rc), out.toString(), err.toString()};
    }

    /** {@code mstore init --backend cassandra} of {@code dir} on the keyspaces of {@code prefix}, with more options. */
    private static String[] init(Path dir, String prefix, String... more) {
        List<String> a = new ArrayList<>(List.of("init", "--store", dir.toString(), "--backend", "cassandra", "--contact-point",
                CassandraFixture.contactPoint(), "--datacenter", CassandraNode.DATACENTER, "--keyspace-prefix", prefix));
        a.addAll(List.of(more));
        return run(a.toArray(String[]::new));
    }

    private static Properties storeConf(Path dir) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(dir.resolve("store.conf"), StandardCharsets.UTF_8)));
        return p;
    }

    /** A keyspace's replication as the cluster has it, or null when there is no such keyspace. */
    private Object replication(String keyspace) {
        return probe.backend.valueForTests("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", keyspace);
    }

    private static void refusedInOneLine(String[] r) {
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("1");
        assertThat(r[2].lines().count()).as(r[2]).isEqualTo(1);
    }

    @Test
    void a_second_init_with_another_replication_is_refused_and_writes_nothing() throws Exception {
        String p = prefix("repl");
        String[] a = init(tmp.resolve("hostA"), p);
        assertThat(a[0]).as(a[2]).isEqualTo("0");

        Path b = tmp.resolve("hostB");
        String[] r = init(b, p, "--replication", "2");
        refusedInOneLine(r);
        assertThat(r[2]).startsWith("mstore init: --replication: the Cassandra store on keyspaces " + p + "* has datacenter1:1")
                .contains("given datacenter1:2").contains("leave --replication out");
        assertThat(b).doesNotExist();
        assertThat(replication(p + "mbox").toString()).contains("datacenter1=1");
    }

    @Test
    void a_second_init_with_another_lease_is_refused_and_writes_nothing() throws Exception {
        String p = prefix("lease");
        assertThat(init(tmp.resolve("hostA"), p, "--lease-seconds", "5")[0]).isEqualTo("0");

        Path b = tmp.resolve("hostB");
        String[] r = init(b, p, "--lease-seconds", "7");
        refusedInOneLine(r);
        assertThat(r[2]).startsWith("mstore init: --lease-seconds: the Cassandra store on keyspaces " + p + "* has 5, given 7;");
        assertThat(b).doesNotExist();
    }

    @Test
    void a_second_init_with_another_consistency_is_refused_and_writes_nothing() throws Exception {
        String p = prefix("cons");
        assertThat(init(tmp.resolve("hostA"), p)[0]).isEqualTo("0");

        Files.createDirectories(tmp.resolve("hostB")); // an empty directory made for it stays as it was: empty
        String[] r = init(tmp.resolve("hostB"), p, "--consistency", "QUORUM");
        refusedInOneLine(r);
        assertThat(r[2]).startsWith("mstore init: --consistency: the Cassandra store on keyspaces " + p + "* has LOCAL_QUORUM, given QUORUM;");
        try (var left = Files.list(tmp.resolve("hostB"))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void a_second_init_with_the_store_wide_options_left_out_takes_the_stores_and_writes_them() throws Exception {
        String p = prefix("join");
        assertThat(init(tmp.resolve("hostA"), p, "--lease-seconds", "5", "--consistency", "QUORUM")[0]).isEqualTo("0");

        String[] b = init(tmp.resolve("hostB"), p);
        assertThat(b[0]).as(b[2]).isEqualTo("0");
        Properties conf = storeConf(tmp.resolve("hostB"));
        assertThat(conf.getProperty("lease-seconds")).isEqualTo("5");
        assertThat(conf.getProperty("consistency")).isEqualTo("QUORUM");
        assertThat(conf.getProperty("replication")).isEqualTo("datacenter1:1");

        String[] c = init(tmp.resolve("hostC"), p, "--lease-seconds", "5", "--consistency", "quorum", "--replication", "1");
        assertThat(c[0]).as("the same options join: " + c[2]).isEqualTo("0");
        assertThat(storeConf(tmp.resolve("hostC"))).isEqualTo(conf);
    }

    @Test
    void a_host_whose_store_conf_keeps_another_lease_or_consistency_than_the_stores_is_refused_at_open() throws Exception {
        String p = prefix("drift");
        assertThat(init(tmp.resolve("hostA"), p, "--lease-seconds", "5")[0]).isEqualTo("0");
        Path b = tmp.resolve("hostB");
        assertThat(init(b, p)[0]).isEqualTo("0");
        Path conf = b.resolve("store.conf");
        String joined = Files.readString(conf, StandardCharsets.UTF_8);
        assertThat(joined).contains("lease-seconds=5").contains("consistency=LOCAL_QUORUM");
        assertThat(run("msconfig", "list", "--store", b.toString())[0]).isEqualTo("0");

        // as a host set up before the store recorded its options left its file, or as an edit leaves it
        Files.writeString(conf, joined.replace("lease-seconds=5", "lease-seconds=30"), StandardCharsets.UTF_8);
        String[] r = run("msconfig", "list", "--store", b.toString());
        refusedInOneLine(r);
        assertThat(r[2]).contains("has lease-seconds=30, the Cassandra store on keyspaces " + p + "* has 5").contains("set lease-seconds=5 there");

        Files.writeString(conf, joined.replace("consistency=LOCAL_QUORUM", "consistency=QUORUM"), StandardCharsets.UTF_8);
        r = run("msconfig", "list", "--store", b.toString());
        refusedInOneLine(r);
        assertThat(r[2]).contains("has consistency=QUORUM, the Cassandra store on keyspaces " + p + "* has LOCAL_QUORUM");

        Files.writeString(conf, joined, StandardCharsets.UTF_8);
        assertThat(run("msconfig", "list", "--store", b.toString())[0]).as("as the store has them: opens").isEqualTo("0");
    }

    @Test
    void a_store_made_before_its_options_were_recorded_gets_them_at_its_next_open_and_then_refuses_another_lease() throws Exception {
        String p = prefix("older");
        Path a = tmp.resolve("hostA");
        Path b = tmp.resolve("hostB");
        assertThat(init(a, p, "--lease-seconds", "5")[0]).isEqualTo("0");
        assertThat(init(b, p)[0]).isEqualTo("0");
        // as an older release left the store, with host B set up then with a lease of its own
        probe.backend.valueForTests("DELETE FROM " + p + "mbox.store_meta WHERE key IN ('consistency', 'lease-seconds')");
        Path conf = b.resolve("store.conf");
        Files.writeString(conf, Files.readString(conf, StandardCharsets.UTF_8).replace("lease-seconds=5", "lease-seconds=9"), StandardCharsets.UTF_8);

        assertThat(run("msconfig", "list", "--store", a.toString())[0]).as("host A's open").isEqualTo("0");
        assertThat(probe.backend.valueForTests("SELECT value FROM " + p + "mbox.store_meta WHERE key = 'lease-seconds'")).isEqualTo("5");
        assertThat(probe.backend.valueForTests("SELECT value FROM " + p + "mbox.store_meta WHERE key = 'consistency'")).isEqualTo("LOCAL_QUORUM");

        String[] r = run("msconfig", "list", "--store", b.toString());
        refusedInOneLine(r);
        assertThat(r[2]).contains("has lease-seconds=9, the Cassandra store on keyspaces " + p + "* has 5").contains("set lease-seconds=5 there");
    }

    /** The store's tables in a keyspace, by name (from the cluster's schema). */
    private java.util.Set<String> tables(String keyspace) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        probe.forEachRow("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", r -> out.add(r.getString(0)), keyspace);
        return out;
    }

    /** Every row of a store's {@code store_meta}, key to value. */
    private Map<String, String> storeMeta(String prefix) {
        Map<String, String> out = new java.util.TreeMap<>();
        probe.forEachRow("SELECT key, value FROM " + prefix + "mbox.store_meta", r -> out.put(r.getString(0), r.getString(1)));
        return out;
    }

    private static OpenOptions readOnly() {
        return new OpenOptions(SettableClock.fixed(), "console", false, false, true);
    }

    @Test
    void a_read_only_open_of_a_store_made_before_its_options_were_recorded_writes_nothing_and_the_next_read_write_open_records_them()
            throws Exception {
        String p = prefix("rdonly");
        Path a = tmp.resolve("hostA");
        assertThat(init(a, p, "--lease-seconds", "5")[0]).isEqualTo("0");
        try (Engine e = Engine.open(a, new OpenOptions(SettableClock.fixed(), "test", false, false))) {
            e.mailboxes().create("user/ann", CassandraStorage.PARTITION);
            e.queue().request("user/ann", Action.REPAIR);
        }
        // as an older release left the store; and a mailbox deletion a crash left unfinished, which a read-write open finishes
        probe.backend.valueForTests("DELETE FROM " + p + "mbox.store_meta WHERE key IN ('consistency', 'lease-seconds')");
        probe.backend.valueForTests("INSERT INTO " + p + "mbox.deleted_mailboxes (shard, mailbox_id, next_uid, at) VALUES (0, ?, 1, 0)",
                java.util.UUID.randomUUID());
        Map<String, String> meta = storeMeta(p);
        java.util.Set<String> mbox = tables(p + "mbox");
        assertThat(meta).doesNotContainKeys("consistency", "lease-seconds");

        try (Engine ro = Engine.open(a, readOnly())) {
            assertThat(ro.mailboxes().list()).extracting(m -> m.name()).contains("user/ann");
            assertThat(ro.queue().entriesAfter(0, 100)).extracting(q -> q.mailbox() + " " + q.action()).containsExactly("user/ann " + Action.REPAIR);
        }
        assertThat(storeMeta(p)).as("store_meta after the read-only open").isEqualTo(meta);
        assertThat(tables(p + "mbox")).isEqualTo(mbox);
        assertThat(probe.rows("SELECT mailbox_id FROM " + p + "mbox.deleted_mailboxes WHERE shard = 0")).isEqualTo(1);

        assertThat(run("msconfig", "list", "--store", a.toString())[0]).as("the read-write open").isEqualTo("0");
        assertThat(storeMeta(p)).containsEntry("lease-seconds", "5").containsEntry("consistency", "LOCAL_QUORUM");
        assertThat(probe.rows("SELECT mailbox_id FROM " + p + "mbox.deleted_mailboxes WHERE shard = 0")).isZero();
    }

    @Test
    void a_read_only_open_of_a_store_that_lacks_a_table_of_this_release_is_refused_in_one_line_and_adds_nothing() throws Exception {
        String p = prefix("rdtable");
        Path a = tmp.resolve("hostA");
        assertThat(init(a, p)[0]).isEqualTo("0");
        probe.backend.ddlForTests("DROP TABLE " + p + "mbox.users"); // as a release before the mail users left the store

        assertThatThrownBy(() -> Engine.open(a, readOnly()).close()).isInstanceOf(java.io.IOException.class)
                .hasMessage("the Cassandra store on keyspaces " + p + "* lacks the users and sessions tables (made by an earlier release), and a "
                        + "read-only open adds none: open it read-write once (mstore msconfig list --store " + a.toRealPath() + ") to add them");
        assertThat(tables(p + "mbox")).doesNotContain("users");

        assertThat(run("msconfig", "list", "--store", a.toString())[0]).as("the read-write open").isEqualTo("0");
        assertThat(tables(p + "mbox")).contains("users");
        try (Engine ro = Engine.open(a, readOnly())) {
            assertThat(ro.info().readOnly()).isTrue();
        }
    }

    @Test
    void an_init_that_another_hosts_init_overtook_with_other_options_is_refused_when_it_makes_the_store() throws Exception {
        // host B checked the options when no store was there; host A made the store meanwhile, with a 5-second lease
        String p = prefix("race");
        assertThat(init(tmp.resolve("hostA"), p, "--lease-seconds", "5")[0]).isEqualTo("0");
        Map<String, String> b = CassandraFixture.options(p);
        b.put("lease-seconds", "9");
        assertThatThrownBy(() -> CassandraBackend.open(tmp.resolve("hostB"), CassandraConfig.parse(b), SettableClock.fixed(), true).close())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--lease-seconds: the Cassandra store on keyspaces " + p
                        + "* has 5, given 9;");
    }

    @Test
    void init_with_more_replicas_than_the_datacenter_has_nodes_is_refused_and_creates_nothing() throws Exception {
        String p = prefix("rf3");
        Path dir = tmp.resolve("host");
        String[] r = init(dir, p, "--replication", "3");
        refusedInOneLine(r);
        assertThat(r[2].strip()).isEqualTo("mstore init: --replication: 3 replicas in datacenter1 need 3 nodes there; the cluster has 1");
        assertThat(dir).doesNotExist();
        for (String ks : List.of("msg", "mbox", "cache")) {
            assertThat(replication(p + ks)).as(p + ks).isNull();
        }

        r = init(dir, p, "--replication", "datacenter1:1,dc2:1");
        refusedInOneLine(r);
        assertThat(r[2].strip()).isEqualTo("mstore init: --replication: 1 replica in dc2 needs 1 node there; the cluster has none there "
                + "(its datacenters: datacenter1)");
        assertThat(dir).doesNotExist();
        assertThat(replication(p + "mbox")).isNull();
    }

    @Test
    void init_with_a_datacenter_that_no_node_is_in_is_refused_naming_the_clusters_datacenters() {
        String p = prefix("dc");
        Path dir = tmp.resolve("host");
        String[] r = run("init", "--store", dir.toString(), "--backend", "cassandra", "--contact-point", CassandraFixture.contactPoint(),
                "--datacenter", "dc9", "--keyspace-prefix", p);
        refusedInOneLine(r);
        assertThat(r[2].strip()).isEqualTo("mstore init: no node in datacenter 'dc9' at " + CassandraFixture.contactPoint()
                + "; the cluster's datacenters: datacenter1");
        assertThat(dir).doesNotExist();
        assertThat(replication(p + "mbox")).isNull();
    }
}
