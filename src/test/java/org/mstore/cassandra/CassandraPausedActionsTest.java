package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.ActionFigures;
import org.mstore.api.QueueEntry;

/** A paused action on the Cassandra store's single queue: every worker leaves its entries waiting until it is resumed. */
@ExtendWith(CassandraFixture.class)
class CassandraPausedActionsTest {
    static final String BOX = "user/paula";
    static String prefix;
    @TempDir
    Path tmp;
    CassandraTestStore s;

    @BeforeAll
    static void keyspaces() {
        prefix = CassandraFixture.newPrefix("paused");
    }

    @BeforeEach
    void setUp() throws Exception {
        s = CassandraTestStore.create(tmp, prefix);
        s.mailbox(BOX);
        s.append(BOX, 3);
    }

    @AfterEach
    void tearDown() throws Exception {
        s.engine.daemon().setPaused(Action.PURGE, false);
        s.engine.mailboxes().delete(BOX);
        s.close();
    }

    @Test
    void a_paused_purge_waits_while_the_repair_runs_and_runs_once_resumed() {
        s.engine.daemon().setPaused(Action.PURGE, true);
        long purge = s.engine.queue().request(BOX, Action.PURGE).recno();
        long repair = s.engine.queue().request(BOX, Action.REPAIR).recno();
        s.clock.advance(Duration.ofMinutes(1));

        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno()).containsExactly(repair);
        assertThat(s.engine.queue().get(purge)).map(QueueEntry::state).contains(QueueEntry.State.WAITING);
        ActionFigures f = s.engine.queue().figures().stream().filter(x -> x.action() == Action.PURGE).findFirst().orElseThrow();
        assertThat(f.paused()).isTrue();
        assertThat(f.inQueue()).isEqualTo(1);
        assertThat(f.oldestAge(s.clock.instant())).contains(Duration.ofMinutes(1));

        s.engine.daemon().setPaused(Action.PURGE, false);
        assertThat(s.engine.daemon().drain()).extracting(r -> r.entry().recno()).containsExactly(purge);
    }
}
