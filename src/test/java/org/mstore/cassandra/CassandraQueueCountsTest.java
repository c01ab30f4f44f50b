package org.mstore.cassandra;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.QueueCounts;
import org.mstore.api.QueueQuery;
import org.mstore.backend.ChangeFeed;

import static org.assertj.core.api.Assertions.assertThat;

/** The queue's counts on Cassandra, read with the change feed's sequence (the console's counters tie their events to it). */
@ExtendWith(CassandraFixture.class)
class CassandraQueueCountsTest {
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("counts");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
    }

    @AfterEach
    void tearDown() throws Exception {
        s.close();
    }

    @Test
    void queue_counts_include_the_changes_at_or_below_their_sequence_and_leave_a_watchers_start_alone() {
        ChangeFeed feed = s.engine.backend().changes();
        long start = feed.maxSeq();
        s.engine.backend().queue().enqueue("user/cara", Action.REPAIR, s.clock.millis(), false);
        s.engine.backend().queue().enqueue("user/cora", Action.PURGE, s.clock.millis(), false);
        s.engine.backend().queue().enqueue("user/dora", Action.PURGE, s.clock.millis(), false);

        QueueCounts c = s.engine.queue().counts(QueueQuery.all().withMailboxText("ora"));

        assertThat(c.byAction().get(Action.REPAIR)).isEqualTo(1);
        assertThat(c.byAction().get(Action.PURGE)).isEqualTo(2);
        assertThat(c.total()).isEqualTo(3);
        assertThat(c.matching()).isEqualTo(2);
        assertThat(s.engine.queue().counts(QueueQuery.all()).matching()).isEqualTo(3);
        // reading the counts' sequence does not move the feed's reader past changes it has not returned yet
        List<ChangeFeed.Change> changes = feed.after(start, 100);
        assertThat(changes).hasSize(3).allSatisfy(ch -> assertThat(ch.seq()).isLessThanOrEqualTo(c.seq()));
    }
}
