package org.mstore.console.queue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.console.export.Commands;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mstore.console.queue.QueueFixtures.enqueue;
import static org.mstore.console.queue.QueueFixtures.fill;

/** Export of the queue to CSV and Copy as command, from the queue view model on a real store. */
class QueueExportTest {
    @TempDir
    Path tmp;
    TestStore s;
    QueueViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp.resolve("store"));
        vm = new QueueViewModel(s.engine, new CurrentThreadTaskExecutor(), false);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private static List<String> lines(Path f) throws Exception {
        return List.of(Files.readString(f).split("\r\n"));
    }

    @Test
    void export_writes_every_entry_the_filter_matches_not_only_the_page_in_the_filters_order() throws Exception {
        fill(s.engine, 1_600);
        vm.load();
        vm.shownProperty(Action.REMOVE).set(false);
        vm.sortProperty().set(QueueQuery.Sort.MAILBOX);
        Path f = tmp.resolve("queue.csv");

        vm.exportCsv(f);

        List<String> rows = lines(f);
        List<QueueEntry> expected = s.engine.queue().page(
                QueueQuery.all().withActions(EnumSet.of(Action.CLEAN, Action.PURGE, Action.REPAIR)).withSort(QueueQuery.Sort.MAILBOX, true), 0, 10_000);
        assertThat(expected).hasSize(1_200);
        assertThat(rows.get(0)).isEqualTo("recno,mailbox,action,state,timestamp,due,forced,attempts,picked_by,last_error,reason,queued_by,queued_at");
        assertThat(rows.subList(1, rows.size())).extracting(r -> Long.parseLong(r.substring(0, r.indexOf(','))))
                .containsExactlyElementsOf(expected.stream().map(QueueEntry::recno).toList());
        assertThat(vm.messageProperty().get()).isEqualTo("Exported 1,200 entries to " + f);
    }

    @Test
    void an_exported_row_holds_the_entrys_fields_with_a_mailbox_name_quoted() throws Exception {
        s.mailbox("user/alice");
        QueueEntry e = enqueue(s.engine, "user/a,\"b\"", Action.REPAIR, s.clock.millis());
        vm.load();
        Path f = tmp.resolve("one.csv");

        vm.exportCsv(f);

        assertThat(lines(f).get(1)).isEqualTo(e.recno() + ",\"user/a,\"\"b\"\"\",Repair,waiting," + e.timestamp() + "," + e.timestamp()
                + ",false,0,,,,," + e.queuedAt()); // queued with no reason and no process: the time only
    }

    @Test
    void copy_as_command_of_a_selected_repair_is_impurge_run_of_its_recno_with_this_store() {
        QueueEntry e = enqueue(s.engine, "user/alice", Action.REPAIR, s.clock.millis());

        Commands.Line l = vm.runNowCommand(List.of(e));

        assertThat(l.text()).isEqualTo("mstore impurge --run " + e.recno() + " --store "
                + Commands.quote(s.engine.info().root().toAbsolutePath().toString()));
    }

    @Test
    void copy_as_command_with_nothing_selected_gives_nothing() {
        assertThat(vm.runNowCommand(List.of())).isNull();
    }
}
