package org.mstore.console.health;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.CheckReport;
import org.mstore.api.QueueEntry;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.store.MailboxIndex;
import org.mstore.testing.Disk;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** Check all and the problems badge, on a real store with mailboxes corrupted on disk. */
class HealthViewModelTest {
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        for (String b : List.of("user/alice", "user/bob", "user/carol", "user/dave")) {
            s.mailbox(b);
            s.append(b, 3);
        }
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private void corrupt(String mailbox) throws Exception {
        Disk.flipByte(s.dir(mailbox).resolve(MailboxIndex.FILE), MailboxIndex.HEADER_SIZE + MailboxIndex.RECORD_SIZE + 5);
    }

    private List<QueueEntry> repairs() {
        return s.queue().stream().filter(e -> e.action() == Action.REPAIR).toList();
    }

    @Test
    void check_all_finds_each_corrupt_mailbox_and_queues_one_repair_for_each() throws Exception {
        corrupt("user/bob");
        corrupt("user/dave");
        HealthViewModel vm = new HealthViewModel(s.engine, new CurrentThreadTaskExecutor());

        vm.checkAll();

        assertThat(vm.findings()).extracting(CheckReport::mailbox).containsExactly("user/bob", "user/dave");
        assertThat(repairs()).extracting(QueueEntry::mailbox).containsExactlyInAnyOrder("user/bob", "user/dave");
        assertThat(vm.problemMailboxesProperty().get()).isEqualTo(2);
        assertThat(vm.progressProperty().get()).isEqualTo(1.0);
        assertThat(vm.checkingProperty().get()).isFalse();
        assertThat(vm.messageProperty().get()).startsWith("Checked 4 mailboxes in ").endsWith(": 2 mailboxes with problems; 2 Repairs queued");
    }

    @Test
    void check_all_twice_still_leaves_one_repair_per_corrupt_mailbox() throws Exception {
        corrupt("user/bob");
        HealthViewModel vm = new HealthViewModel(s.engine, new CurrentThreadTaskExecutor());

        vm.checkAll();
        vm.checkAll();

        assertThat(repairs()).hasSize(1);
        assertThat(vm.problemMailboxesProperty().get()).isEqualTo(1);
    }

    @Test
    void check_all_of_a_healthy_store_says_so_and_queues_nothing() {
        HealthViewModel vm = new HealthViewModel(s.engine, new CurrentThreadTaskExecutor());

        vm.checkAll();

        assertThat(vm.findings()).isEmpty();
        assertThat(repairs()).isEmpty();
        assertThat(vm.messageProperty().get()).endsWith(": no problems found");
        assertThat(vm.badgeProperty().get()).isEmpty();
    }

    /** Runs work at once, like the test executor, and calls {@code hook} after each progress update. */
    static final class Hooked implements org.mstore.console.TaskExecutor {
        final CurrentThreadTaskExecutor inner = new CurrentThreadTaskExecutor();
        Runnable hook = () -> { };

        @Override
        public <T> void execute(String t, java.util.concurrent.Callable<T> w, java.util.function.Consumer<T> ok,
                                java.util.function.Consumer<Throwable> ko) {
            inner.execute(t, w, ok, ko);
        }

        @Override
        public void runOnUi(Runnable r) {
            r.run();
            hook.run();
        }

        @Override
        public javafx.beans.property.ReadOnlyIntegerProperty runningProperty() {
            return inner.runningProperty();
        }

        @Override
        public javafx.beans.property.ReadOnlyStringProperty currentTitleProperty() {
            return inner.currentTitleProperty();
        }

        @Override
        public void shutdown() {
        }
    }

    @Test
    void cancel_stops_check_all_after_the_mailbox_it_is_checking() throws Exception {
        corrupt("user/dave");
        Hooked ex = new Hooked();
        HealthViewModel vm = new HealthViewModel(s.engine, ex);
        ex.hook = vm::cancel; // Cancel pressed while the first mailbox is checked

        vm.checkAll();

        assertThat(vm.checkingProperty().get()).isFalse();
        assertThat(vm.messageProperty().get()).isEqualTo("Cancelled after 1 of 4 mailboxes: no problems found");
        assertThat(repairs()).isEmpty();
    }

    @Test
    void a_done_repair_clears_its_mailbox_from_the_problems_badge() throws Exception {
        corrupt("user/bob");
        HealthViewModel vm = new HealthViewModel(s.engine, new CurrentThreadTaskExecutor());
        vm.checkAll();
        assertThat(vm.problemMailboxesProperty().get()).isEqualTo(1);
        long seq = s.engine.queue().maxHistorySeq();

        s.engine.daemon().runNow(repairs().stream().map(QueueEntry::recno).toList());
        vm.entriesDone(s.engine.queue().historyAfter(seq, 100));

        assertThat(vm.problemMailboxesProperty().get()).isZero();
        assertThat(vm.findings()).isEmpty();
    }

    @Test
    void the_badge_counts_mailboxes_with_problems_and_repairs_waiting() {
        assertThat(HealthViewModel.badgeText(false, 0, 0)).isEmpty();
        assertThat(HealthViewModel.badgeText(false, 1, 0)).isEqualTo("1 mailbox with problems");
        assertThat(HealthViewModel.badgeText(false, 2, 3)).isEqualTo("2 mailboxes with problems, 3 Repairs waiting");
        assertThat(HealthViewModel.badgeText(false, 0, 1)).isEqualTo("1 Repair waiting");
        assertThat(HealthViewModel.badgeText(true, 2, 0)).isEqualTo("the store's disk is full, 2 mailboxes with problems");
    }
}
