package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.MessageRecord;
import org.mstore.api.UidSet;

/**
 * A flag change (every IMAP STORE) on the Cassandra store, observed on the node itself: its read counters
 * ({@code system_views.coordinator_read_latency}) count the reads of the message records that the change made.
 */
@ExtendWith(CassandraFixture.class)
class CassandraFlagChangeTest {
    static final String BOX = "user/alice";
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("flags");
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

    /** The reads of the store's message records the node has coordinated so far. */
    private long messageReads() {
        Object n = s.backend.valueForTests("SELECT count FROM system_views.coordinator_read_latency WHERE keyspace_name = ? AND table_name = ?",
                prefix + "mbox", "messages");
        return ((Number) n).longValue();
    }

    @Test
    void a_flag_change_reads_its_messages_once() throws Exception {
        s.mailbox(BOX);
        s.append(BOX, 3);
        long before = messageReads();

        var changed = s.engine.mailboxes().setFlags(BOX, UidSet.of(2), Flags.SEEN, FlagMode.ADD);

        assertThat(changed).extracting(MessageRecord::uid).containsExactly(2);
        assertThat(messageReads() - before).as("reads of %smbox.messages for one flag change", prefix).isEqualTo(1);
        assertThat(s.engine.mailboxes().records(BOX, UidSet.of(2))).extracting(MessageRecord::flags).containsExactly(Flags.SEEN);
    }
}
