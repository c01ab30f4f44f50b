package org.mstore.console.dashboard;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's space waiting to be reclaimed: the store's figures and the mailboxes with the most, on a real store. */
class SpaceReportTest {
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        for (String b : new String[] {"user/alice", "user/bob", "user/carol"}) {
            s.mailbox(b);
            s.append(b, 8);
        }
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void the_mailboxes_with_the_most_bytes_waiting_come_first_and_one_with_none_is_left_out() throws Exception {
        s.expunge("user/alice", "1");
        s.expunge("user/bob", "1:5");

        SpaceReport r = SpaceReport.read(s.engine);

        assertThat(r.top()).extracting(SpaceReport.Row::mailbox).containsExactly("user/bob", "user/alice");
        assertThat(r.top().get(0).expunged()).isEqualTo(5);
        assertThat(r.expunged()).isEqualTo(6);
        assertThat(r.mailboxes()).isEqualTo(3);
    }

    @Test
    void the_store_total_counts_the_bytes_expunged_and_those_waiting_for_remove() throws Exception {
        long before = s.info("user/alice").sizeBytes() + s.info("user/bob").sizeBytes();
        s.expunge("user/alice", "1:2");
        s.expunge("user/bob", "3");
        s.requestAndDrain("user/bob", Action.CLEAN);
        long gone = before - s.info("user/alice").sizeBytes() - s.info("user/bob").sizeBytes();

        SpaceReport r = SpaceReport.read(s.engine);

        assertThat(r.bytes()).isEqualTo(gone);
        assertThat(r.bytesKnown()).isTrue();
        assertThat(r.top()).filteredOn(x -> x.mailbox().equals("user/bob")).singleElement()
                .satisfies(x -> assertThat(x.awaitingRemove()).isEqualTo(1));
        assertThat(r.summary()).startsWith(org.mstore.console.Format.bytes(gone) + " of expunged messages still on disk; 2 messages expunged");
    }

    @Test
    void the_dashboard_reads_the_space_when_it_loads() throws Exception {
        s.expunge("user/carol", "1");
        DashboardViewModel vm = new DashboardViewModel(s.engine, new CurrentThreadTaskExecutor());

        vm.load();

        assertThat(vm.spaceProperty().get().top()).extracting(SpaceReport.Row::mailbox).containsExactly("user/carol");
    }

    @Test
    void the_disk_line_says_what_is_free_and_that_impurges_reserve_is_held() throws Exception {
        SpaceReport r = SpaceReport.read(s.engine);

        long free = java.nio.file.Files.getFileStore(s.root).getUsableSpace();
        assertThat(r.disk().freeBytes()).isCloseTo(free, org.assertj.core.data.Percentage.withPercentage(5));
        assertThat(r.disk().reserveHeld()).isTrue();
        assertThat(r.diskLine()).startsWith("The store's disk: ").contains(" free of ").endsWith(" is held.");
        assertThat(r.diskWarning()).isFalse();
    }

    @Test
    void a_reserve_that_is_not_in_place_is_said_with_when_it_comes_back() throws Exception {
        s.engine.backend().spaceReserve().orElseThrow().release();

        SpaceReport r = SpaceReport.read(s.engine);

        assertThat(r.disk().reserveHeld()).isFalse();
        assertThat(r.diskLine()).contains("is not in place").contains("impurge makes it when it next finds nothing due");
        assertThat(r.diskWarning()).as("with room to make it again").isFalse();
    }

    @Test
    void a_full_disk_is_said_as_a_warning_with_what_impurge_does_about_it() {
        SpaceReport full = new SpaceReport(0, 0, 0, 0, 0, true, java.util.List.of(),
                new org.mstore.api.DiskSpace("/srv/mail/mboxlist/reserve", 4L << 20, 12_288, 65_536, false));

        assertThat(full.diskLine()).isEqualTo("The store's disk: 12.0 KB free of 4.0 MB. The disk is full: impurge gives up its reserve "
                + "of 64.0 KB and frees space with the tasks waiting (Remove deletes expunged messages' files); deliveries are refused "
                + "until there is room.");
        assertThat(full.diskWarning()).isTrue();
    }
}
