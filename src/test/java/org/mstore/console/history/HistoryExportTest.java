package org.mstore.console.history;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueRequest;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.console.Parking;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** Export of the history lists to CSV and Copy as command of Retry / Discard, on a real store. */
class HistoryExportTest {
    @TempDir
    Path tmp;
    TestStore s;
    HistoryViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp.resolve("store"));
        vm = new HistoryViewModel(s.engine, new CurrentThreadTaskExecutor(), false);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private List<QueueEntry> queue(int n) {
        List<QueueRequest> r = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            r.add(new QueueRequest(String.format("user/u%04d", i), Action.CLEAN, s.clock.millis(), false));
        }
        s.engine.queue().requestAll(r);
        return s.engine.queue().page(org.mstore.api.QueueQuery.all(), 0, 10_000);
    }

    @Test
    void export_of_the_dropped_list_writes_every_page_newest_first() throws Exception {
        List<QueueEntry> entries = queue(2_500);
        s.engine.queue().remove(entries.stream().map(QueueEntry::recno).toList());
        vm.load();
        assertThat(vm.dropped()).hasSize(HistoryViewModel.PAGE);
        Path f = tmp.resolve("dropped.csv");

        vm.exportCsv(HistoryViewModel.List3.DROPPED, f);

        List<String> rows = List.of(Files.readString(f).split("\r\n"));
        assertThat(rows.get(0)).isEqualTo("seq,recno,mailbox,action,outcome,queued,finished,bytes_reclaimed,attempts,detail,last_error,reason,queued_by,queued_at");
        assertThat(rows).hasSize(2_501);
        assertThat(rows.get(1)).contains(",removed,");
        List<Long> seqs = rows.subList(1, rows.size()).stream().map(r -> Long.parseLong(r.substring(0, r.indexOf(',')))).toList();
        assertThat(seqs).isSortedAccordingTo(java.util.Comparator.reverseOrder()).doesNotHaveDuplicates();
        assertThat(vm.messageProperty().get()).startsWith("Exported 2,500 entries to ");
    }

    @Test
    void export_of_the_failed_list_writes_the_parked_entries_with_their_last_error() throws Exception {
        QueueEntry e = queue(1).get(0);
        Parking.park(s.engine, e.recno(), "disk, full");
        Path f = tmp.resolve("failed.csv");

        vm.exportCsv(HistoryViewModel.List3.FAILED, f);

        List<String> rows = List.of(Files.readString(f).split("\r\n"));
        assertThat(rows).hasSize(2);
        assertThat(rows.get(1)).startsWith(e.recno() + ",user/u0000,Clean,failed,").contains(",\"disk, full\",queued through the API (requestAll),")
                .endsWith("," + e.queuedAt());
    }

    @Test
    void copy_retry_as_command_is_impurge_retry_with_the_selected_recnos() {
        QueueEntry e = Parking.park(s.engine, queue(1).get(0).recno(), "boom");

        assertThat(vm.retryCommand(List.of(e)).text()).startsWith("mstore impurge --retry " + e.recno() + " --store ");
        assertThat(vm.discardCommand(List.of(e)).text()).startsWith("mstore impurge --discard " + e.recno() + " --store ");
    }
}
