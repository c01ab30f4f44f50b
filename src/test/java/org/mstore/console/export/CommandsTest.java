package org.mstore.console.export;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;

import static org.assertj.core.api.Assertions.assertThat;

/** "Copy as command": the mstore command lines of org.mstore.cli that do what the console's moves do. */
class CommandsTest {
    static final Path ROOT = Path.of("/srv/mail store");

    static QueueEntry entry(long recno, String mailbox, Action a, QueueEntry.State state) {
        return new QueueEntry(recno, mailbox, a, Instant.EPOCH, false, 1, state == QueueEntry.State.RUNNING ? "impurge@1" : null,
                null, state == QueueEntry.State.FAILED ? 5 : 0, null, state);
    }

    @Test
    void run_now_is_impurge_run_of_exactly_the_selected_entries() {
        Commands.Line l = Commands.runNow(List.of(entry(7, "user/alice", Action.REPAIR, QueueEntry.State.WAITING),
                entry(8, "user/bob", Action.REMOVE, QueueEntry.State.WAITING)), ROOT);
        assertThat(l.text()).isEqualTo("mstore impurge --run 7,8 --store '/srv/mail store'");
        assertThat(l.note()).isEmpty();
    }

    @Test
    void run_now_puts_a_parked_entry_back_with_retry_and_leaves_a_running_one_out_saying_so() {
        Commands.Line l = Commands.runNow(List.of(entry(7, "user/alice", Action.CLEAN, QueueEntry.State.WAITING),
                entry(8, "user/bob", Action.PURGE, QueueEntry.State.FAILED), entry(9, "user/carol", Action.PURGE, QueueEntry.State.RUNNING)), ROOT);
        assertThat(l.text()).isEqualTo("mstore impurge --run 7 --store '/srv/mail store'\nmstore impurge --retry 8 --store '/srv/mail store'");
        assertThat(l.note()).isEqualTo("RecNo 9 is running already: left out");
    }

    @Test
    void retry_and_discard_of_parked_entries_name_their_recnos() {
        List<QueueEntry> p = List.of(entry(7, "user/a", Action.PURGE, QueueEntry.State.FAILED), entry(9, "user/b", Action.CLEAN,
                QueueEntry.State.FAILED));
        assertThat(Commands.retry(p, Path.of("/srv/store")).text()).isEqualTo("mstore impurge --retry 7,9 --store /srv/store");
        assertThat(Commands.discard(p, Path.of("/srv/store")).text()).isEqualTo("mstore impurge --discard 7,9 --store /srv/store");
    }

    @Test
    void a_mailbox_name_the_shell_would_split_is_single_quoted() {
        assertThat(Commands.quote("user/o'brien/My Folder")).isEqualTo("'user/o'\\''brien/My Folder'");
        assertThat(Commands.quote("user/alice")).isEqualTo("user/alice");
        assertThat(Commands.quote("")).isEqualTo("''");
    }

    @Test
    void check_is_reconstruct_dash_n_and_show_is_imcheck_m() {
        assertThat(Commands.check("user/alice", Path.of("/s"))).isEqualTo("mstore reconstruct -n user/alice --store /s");
        assertThat(Commands.show("user/alice", Path.of("/s"))).isEqualTo("mstore imcheck -m user/alice --store /s");
    }
}
