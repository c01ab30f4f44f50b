package org.mstore.mailbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.MailboxInfo;
import org.mstore.db.Database;
import org.mstore.engine.Engine;
import org.mstore.store.ClassicStore;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 3501 §2.3.1.1: a (UIDVALIDITY, UID) pair never names two different messages. A mailbox deleted (or renamed away)
 * and created again gets a UIDVALIDITY greater than any the store issued before, even within the same second, from
 * another process, after a restart, with the clock set back, and after {@code reconstruct --mboxlist}.
 */
class UidValidityTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private long create(Engine e, String name) throws Exception {
        return e.mailboxes().create(name, ClassicStore.DEFAULT_PARTITION).uidValidity();
    }

    @Test
    void a_mailbox_created_again_in_the_same_second_gets_a_new_uidvalidity() throws Exception {
        long first = create(s.engine, BOX);
        assertThat(first).isEqualTo(s.clock.instant().getEpochSecond()); // the time of creation while that is new
        s.append(BOX, 2);
        s.engine.mailboxes().delete(BOX);

        long second = create(s.engine, BOX); // the clock has not moved
        assertThat(second).isGreaterThan(first);
        assertThat(s.info(BOX).uidValidity()).isEqualTo(second);
        assertThat(s.engine.mailboxes().snapshot(BOX).uidValidity()).as("storage's UIDVALIDITY").isEqualTo(second);
        assertThat(s.append(BOX, 1)).containsExactly(1); // UID 1 again, of a new UIDVALIDITY
    }

    @Test
    void a_mailbox_renamed_away_and_created_again_in_the_same_second_gets_a_new_uidvalidity() throws Exception {
        create(s.engine, BOX);
        long folder = create(s.engine, BOX + "/Drafts");
        s.append(BOX + "/Drafts", 3);
        s.engine.mailboxes().rename(BOX + "/Drafts", BOX + "/Old");

        long again = create(s.engine, BOX + "/Drafts");
        assertThat(again).isGreaterThan(folder);
        assertThat(s.info(BOX + "/Old").uidValidity()).as("the renamed mailbox keeps its own").isEqualTo(folder);
    }

    @Test
    void uidvalidity_keeps_increasing_across_processes_restarts_and_a_clock_set_back() throws Exception {
        long a = create(s.engine, BOX);
        long b;
        try (Engine other = s.openAgain()) { // another process of the store, in the same second
            b = create(other, "user/bob");
        }
        assertThat(b).isGreaterThan(a);
        s.engine.close();
        s.clock.advance(Duration.ofHours(-1)); // the clock is set back
        try (Engine reopened = s.openAgain()) {
            long c = create(reopened, "user/carol");
            assertThat(c).isGreaterThan(b);
            reopened.mailboxes().delete("user/carol");
            assertThat(create(reopened, "user/carol")).isGreaterThan(c);
            s.clock.advance(Duration.ofHours(2)); // time catches up: the time of creation again
            assertThat(create(reopened, "user/dave")).isEqualTo(s.clock.instant().getEpochSecond());
        }
    }

    @Test
    void mailboxes_created_at_once_by_several_processes_get_distinct_uidvalidities() throws Exception {
        int perProcess = 12;
        try (Engine other = s.openAgain()) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Long>> made = new ArrayList<>();
                for (int i = 0; i < perProcess; i++) {
                    for (Engine e : List.of(s.engine, other)) {
                        String name = "user/u" + made.size();
                        made.add(pool.submit(() -> create(e, name)));
                    }
                }
                List<Long> values = new ArrayList<>();
                for (Future<Long> f : made) {
                    values.add(f.get());
                }
                assertThat(values).doesNotHaveDuplicates().hasSize(2 * perProcess);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void after_reconstruct_mboxlist_a_new_mailbox_gets_a_uidvalidity_above_every_listed_one() throws Exception {
        // created in one second: the values issued ran ahead of the clock
        create(s.engine, BOX);
        create(s.engine, "user/bob");
        create(s.engine, "user/carol");
        long highest = s.engine.mailboxes().list().stream().mapToLong(MailboxInfo::uidValidity).max().orElseThrow();
        assertThat(highest).isGreaterThan(s.clock.instant().getEpochSecond());
        s.engine.close();
        ClassicStore.deleteRecursively(s.root.resolve(Database.DIR)); // the mboxlist is lost, and what it knew

        try (Engine e = Engine.openForRebuild(s.root, TestStore.options(s.clock))) {
            assertThat(e.maintenance().rebuildMailboxList()).isEqualTo(3);
            long fresh = create(e, "user/dave"); // still the same second
            assertThat(fresh).isGreaterThan(highest);
            e.mailboxes().delete(BOX);
            assertThat(create(e, BOX)).isGreaterThan(fresh);
        }
    }
}
