package org.mstore.engine;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.ReclaimableSpace;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** maintenance().reclaimable: the bytes of expunged messages still on disk, read from the mailbox's expunge lists. */
class ReclaimableSpaceTest {
    static final String BOX = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 10);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private long expungeAndMeasure(String uids) throws Exception {
        long before = s.info(BOX).sizeBytes();
        s.expunge(BOX, uids);
        return before - s.info(BOX).sizeBytes();
    }

    @Test
    void a_mailbox_with_nothing_expunged_has_nothing_to_reclaim() throws Exception {
        assertThat(s.engine.maintenance().reclaimable(BOX)).isEqualTo(new ReclaimableSpace(BOX, 0, 0, 0, 0));
    }

    @Test
    void expunged_messages_count_their_bytes_until_clean() throws Exception {
        long bytes = expungeAndMeasure("1:3");

        ReclaimableSpace r = s.engine.maintenance().reclaimable(BOX);

        assertThat(bytes).isPositive();
        assertThat(r.expungedBytes()).isEqualTo(bytes);
        assertThat(r.awaitingRemoveBytes()).isZero();
        assertThat(r.totalBytes()).isEqualTo(bytes);
    }

    @Test
    void after_clean_the_bytes_wait_for_remove_in_a_renamed_list() throws Exception {
        long bytes = expungeAndMeasure("2,4");
        s.requestAndDrain(BOX, Action.CLEAN);

        ReclaimableSpace r = s.engine.maintenance().reclaimable(BOX);

        assertThat(r.expungedBytes()).isZero();
        assertThat(r.awaitingRemoveLists()).isEqualTo(1);
        assertThat(r.awaitingRemoveMessages()).isEqualTo(2);
        assertThat(r.awaitingRemoveBytes()).isEqualTo(bytes);
    }

    @Test
    void after_remove_nothing_is_left_to_reclaim() throws Exception {
        expungeAndMeasure("5");
        s.requestAndDrain(BOX, Action.CLEAN);
        s.clock.advance(java.time.Duration.ofDays(30));
        s.engine.daemon().drain();

        assertThat(s.engine.maintenance().reclaimable(BOX).totalBytes()).isZero();
    }
}
