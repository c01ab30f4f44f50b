package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.engine.Engine;

/**
 * RFC 3501 §2.3.1.1 on the Cassandra store: a mailbox deleted and created again in the same second
 * gets a greater UIDVALIDITY, whichever host creates it (the last one issued is a row every host shares).
 */
@ExtendWith(CassandraFixture.class)
class CassandraUidValidityTest {
    static final String BOX = "user/alice";
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("uidv");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (var m : s.engine.mailboxes().list()) {
            if (m.name().split("/").length == 2) {
                s.engine.mailboxes().delete(m.name());
            }
        }
        s.close();
    }

    private static long create(Engine e, String name) throws Exception {
        return e.mailboxes().create(name, CassandraStorage.PARTITION).uidValidity();
    }

    @Test
    void a_mailbox_created_again_in_the_same_second_gets_a_new_uidvalidity() throws Exception {
        long first = create(s.engine, BOX);
        s.append(BOX, 2);
        s.engine.mailboxes().delete(BOX);

        long second = create(s.engine, BOX); // the clock has not moved
        assertThat(second).isGreaterThan(first);
        assertThat(s.engine.mailboxes().snapshot(BOX).uidValidity()).as("storage's UIDVALIDITY").isEqualTo(second);
        assertThat(s.engine.mailboxes().snapshot(BOX).records()).as("nothing of the deleted mailbox").isEmpty();
        assertThat(s.append(BOX, 1)).containsExactly(1);
        // (a Cassandra store cannot rename a mailbox: nothing is renamed away there)
    }

    @Test
    void hosts_creating_mailboxes_at_once_get_distinct_increasing_uidvalidities() throws Exception {
        try (CassandraTestStore other = CassandraTestStore.join(tmp.resolve("host2"), prefix, s.clock)) {
            long a = create(s.engine, BOX);
            long b = create(other.engine, "user/bob");
            assertThat(b).isGreaterThan(a);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Long>> made = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    for (Engine e : List.of(s.engine, other.engine)) {
                        String name = "user/u" + made.size();
                        made.add(pool.submit(() -> create(e, name)));
                    }
                }
                List<Long> values = new ArrayList<>();
                for (Future<Long> f : made) {
                    values.add(f.get());
                }
                assertThat(values).doesNotHaveDuplicates().allSatisfy(v -> assertThat(v).isGreaterThan(b));
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
