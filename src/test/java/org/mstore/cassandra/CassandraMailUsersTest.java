package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.NoSuchUserException;
import org.mstore.api.OpenOptions;
import org.mstore.api.SessionInfo;
import org.mstore.api.Sessions;
import org.mstore.backend.SessionStore;
import org.mstore.backend.UserStore;
import org.mstore.engine.Engine;

/**
 * Mail users, subscriptions and the servers' sessions on the Cassandra store: kept in the metadata keyspace, so what
 * one host (one store directory) writes, another sees.
 */
@ExtendWith(CassandraFixture.class)
class CassandraMailUsersTest {
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("users");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void the_store_keeps_mail_users() {
        assertThat(s.engine.info().features().mailUsers()).isTrue();
    }

    @Test
    void a_user_is_added_with_an_inbox_and_logs_in_on_another_host() throws Exception {
        s.engine.users().add("erin", "first password".toCharArray());
        assertThat(s.engine.mailboxes().exists("user/erin")).isTrue();
        try (CassandraTestStore other = CassandraTestStore.join(tmp.resolve("host2"), prefix, s.clock)) {
            assertThat(other.engine.users().authenticate("erin", "first password".toCharArray())).isTrue();
            assertThat(other.engine.users().authenticate("erin", "wrong password".toCharArray())).isFalse();
            assertThat(other.engine.users().list()).extracting(u -> u.name()).contains("erin");
        }
    }

    @Test
    void a_name_taken_is_refused_and_the_first_credential_kept() throws Exception {
        s.engine.users().add("fred", "fred's password".toCharArray());
        assertThatThrownBy(() -> s.engine.users().add("fred", "another password".toCharArray())).hasMessageContaining("already exists");
        assertThat(s.engine.users().authenticate("fred", "fred's password".toCharArray())).isTrue();
        UserStore store = s.backend.users();
        assertThat(store.insert(new UserStore.StoredUser("fred", "x", 1, 1))).isFalse();
    }

    @Test
    void a_password_change_replaces_the_credential_and_needs_the_user() throws Exception {
        s.engine.users().add("gina", "first password".toCharArray());
        long created = s.engine.users().find("gina").orElseThrow().created().toEpochMilli();
        s.clock.advance(Duration.ofMinutes(5));
        s.engine.users().setPassword("gina", "second password".toCharArray());
        assertThat(s.engine.users().authenticate("gina", "first password".toCharArray())).isFalse();
        assertThat(s.engine.users().authenticate("gina", "second password".toCharArray())).isTrue();
        var u = s.engine.users().find("gina").orElseThrow();
        assertThat(u.created().toEpochMilli()).isEqualTo(created);
        assertThat(u.passwordChanged()).isAfter(u.created());
        assertThatThrownBy(() -> s.engine.users().setPassword("nobody", "some password".toCharArray())).isInstanceOf(NoSuchUserException.class);
        assertThat(s.engine.users().find("nobody")).as("an update IF EXISTS makes no row").isEmpty();
    }

    @Test
    void a_deleted_user_loses_login_and_subscriptions_but_not_mail() throws Exception {
        s.engine.users().add("hank", "hank's password".toCharArray());
        s.engine.users().subscribe("hank", "user/hank/News");
        s.engine.users().delete("hank");
        assertThat(s.engine.users().find("hank")).isEmpty();
        assertThat(s.engine.users().authenticate("hank", "hank's password".toCharArray())).isFalse();
        assertThat(s.engine.users().subscriptions("hank")).isEmpty();
        assertThat(s.engine.mailboxes().exists("user/hank")).isTrue();
        assertThatThrownBy(() -> s.engine.users().delete("hank")).isInstanceOf(NoSuchUserException.class);
    }

    @Test
    void subscriptions_are_per_user_sorted_and_idempotent() throws Exception {
        s.engine.users().add("iris", "iris's password".toCharArray());
        s.engine.users().add("jack", "jack's password".toCharArray());
        s.engine.users().subscribe("iris", "user/iris/Work");
        s.engine.users().subscribe("iris", "user/iris/Archive");
        s.engine.users().subscribe("iris", "user/iris/Work");
        s.engine.users().subscribe("jack", "user/jack/Gone"); // need not exist
        assertThat(s.engine.users().subscriptions("iris")).containsExactly("user/iris/Archive", "user/iris/Work");
        s.engine.users().unsubscribe("iris", "user/iris/Work");
        s.engine.users().unsubscribe("iris", "user/iris/Work");
        assertThat(s.engine.users().subscriptions("iris")).containsExactly("user/iris/Archive");
        assertThat(s.engine.users().subscriptions("jack")).containsExactly("user/jack/Gone");
    }

    @Test
    void a_session_registered_by_one_open_is_listed_by_another_and_gone_after_close() throws Exception {
        CassandraTestStore server = CassandraTestStore.join(tmp.resolve("server"), prefix, s.clock);
        try {
            Sessions.Registration r = server.engine.sessions().register("imap", "192.0.2.7:4000");
            r.user("kate");
            r.mailbox("user/kate");
            await("the session listed by another open", () -> s.engine.sessions().list().stream()
                    .anyMatch(i -> i.id().equals(r.id()) && "kate".equals(i.user()) && "user/kate".equals(i.mailbox())));
            Sessions.Registration r2 = server.engine.sessions().register("lmtp", "192.0.2.8:4001");
            await("the second session", () -> s.engine.sessions().list().stream().anyMatch(i -> i.id().equals(r2.id())));
            r.close();
            await("the closed session gone", () -> s.engine.sessions().list().stream().noneMatch(i -> i.id().equals(r.id())));
            server.close(); // the server stops: its sessions go with it
            assertThat(s.engine.sessions().list()).extracting(SessionInfo::id).doesNotContain(r2.id());
        } finally {
            server.close();
        }
    }

    @Test
    void sessions_of_a_process_whose_heartbeat_stopped_are_left_out_and_removed() {
        SessionStore store = s.backend.sessions();
        long old = s.clock.millis() - Duration.ofMinutes(1).toMillis();
        SessionInfo i = new SessionInfo("elsewhere:42:1", "imapd[42]", "elsewhere", "imap", "lena", "192.0.2.9:5000", null,
                Instant.ofEpochMilli(old), "LOGIN", Instant.ofEpochMilli(old), false);
        store.publish("elsewhere:42", old, List.of(i), List.of());
        assertThat(store.list()).extracting(st -> st.info().id()).contains("elsewhere:42:1");
        assertThat(s.engine.sessions().list()).extracting(SessionInfo::id).doesNotContain("elsewhere:42:1");
        assertThat(store.list()).extracting(st -> st.info().id()).doesNotContain("elsewhere:42:1");
    }

    @Test
    void session_rows_carry_a_ttl_so_a_dead_processs_rows_vanish_unlisted() {
        SessionStore store = s.backend.sessions();
        long now = s.clock.millis();
        SessionInfo i = new SessionInfo("faraway:7:1", "lmtpd[7]", "faraway", "lmtp", null, "192.0.2.10:6000", null,
                Instant.ofEpochMilli(now), null, Instant.ofEpochMilli(now), false);
        store.publish("faraway:7", now, List.of(i), List.of());
        int shard = CassandraSessions.shard("faraway:7");
        Object rowTtl = s.backend.valueForTests("SELECT TTL(process) FROM {mbox}.sessions WHERE shard = ? AND owner = ? AND id = ?", shard,
                "faraway:7", "faraway:7:1");
        Object beatTtl = s.backend.valueForTests("SELECT TTL(heartbeat) FROM {mbox}.session_owners WHERE shard = ? AND owner = ?", shard,
                "faraway:7");
        assertThat((Integer) rowTtl).isBetween(1, CassandraSessions.TTL_SECONDS);
        assertThat((Integer) beatTtl).isBetween(1, CassandraSessions.TTL_SECONDS);
        store.removeOwners(List.of("faraway:7"));
        assertThat(store.list()).extracting(st -> st.owner()).doesNotContain("faraway:7");
    }

    @Test
    void a_store_made_before_the_users_tables_gets_them_when_opened() throws Exception {
        for (String t : List.of("users", "subscriptions", "sessions", "session_owners")) {
            s.backend.ddlForTests("DROP TABLE {mbox}." + t);
        }
        s.close();
        try (Engine e = Engine.open(s.root, new OpenOptions(s.clock, "test", false, false))) {
            e.users().add("mona", "mona's password".toCharArray());
            e.users().subscribe("mona", "user/mona/Lists");
            assertThat(e.users().authenticate("mona", "mona's password".toCharArray())).isTrue();
            assertThat(e.users().subscriptions("mona")).containsExactly("user/mona/Lists");
            assertThat(e.sessions().list()).isEmpty();
        }
    }
}
