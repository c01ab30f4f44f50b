package org.mstore.console.mailboxes;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.console.Format;
import org.mstore.console.export.Commands;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The selected mailbox's space waiting to be reclaimed, and Copy as command for its moves, on a real store. */
class MailboxSpaceTest {
    static final String ALICE = "user/alice";
    @TempDir
    Path tmp;
    TestStore s;
    MailboxesViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(ALICE);
        s.append(ALICE, 6);
        vm = new MailboxesViewModel(s.engine, new CurrentThreadTaskExecutor(), false);
        vm.load();
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void selecting_a_mailbox_reads_the_bytes_its_expunged_messages_still_hold() throws Exception {
        long before = s.info(ALICE).sizeBytes();
        s.expunge(ALICE, "1:2");
        long gone = before - s.info(ALICE).sizeBytes();
        vm.load();

        vm.select(ALICE);

        assertThat(vm.reclaimableProperty().get().expungedBytes()).isEqualTo(gone);
        assertThat(MailboxesViewModel.reclaimableText(vm.selectedProperty().get(), vm.reclaimableProperty().get()))
                .startsWith(Format.bytes(gone) + " of expunged messages still on disk: " + Format.bytes(gone) + " in 2 expunged since the last Clean, 0 B in 0 waiting for Remove; ");
    }

    @Test
    void after_a_clean_the_bytes_are_said_to_wait_for_remove() throws Exception {
        s.expunge(ALICE, "3");
        s.requestAndDrain(ALICE, Action.CLEAN);
        vm.load();

        vm.select(ALICE);

        assertThat(vm.reclaimableProperty().get().awaitingRemoveMessages()).isEqualTo(1);
        assertThat(MailboxesViewModel.reclaimableText(vm.selectedProperty().get(), vm.reclaimableProperty().get()))
                .contains(" in 1 waiting for Remove");
    }

    @Test
    void copy_as_command_of_repair_now_and_check_name_the_selected_mailbox_and_this_store() {
        vm.select(ALICE);
        String store = Commands.quote(s.engine.info().root().toAbsolutePath().toString());

        assertThat(vm.command("repair").text()).isEqualTo("mstore reconstruct user/alice --store " + store);
        assertThat(vm.command("check").text()).isEqualTo("mstore reconstruct -n user/alice --store " + store);
        assertThat(vm.command("show").text()).isEqualTo("mstore imcheck -m user/alice --store " + store);
    }
}
