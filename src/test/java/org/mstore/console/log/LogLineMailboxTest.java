package org.mstore.console.log;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A log line about a mailbox names it: a double-click on the line selects that mailbox. */
class LogLineMailboxTest {
    static final List<String> NAMES = List.of("user/al", "user/alice", "user/alice/Sent", "user/bob");

    @Test
    void the_mailbox_a_store_error_names_is_found() {
        assertThat(LogViewModel.mailboxIn("Store Error: user/alice: Mailbox has an invalid format; repair requested", NAMES))
                .isEqualTo("user/alice");
    }

    @Test
    void the_longest_name_wins_a_folder_over_its_parent() {
        assertThat(LogViewModel.mailboxIn("Unable to open mailbox user/alice/Sent: store.idx record 2 has a bad checksum", NAMES))
                .isEqualTo("user/alice/Sent");
    }

    @Test
    void a_name_inside_a_longer_word_is_not_a_match() {
        assertThat(LogViewModel.mailboxIn("Purge user/alicex done", NAMES)).isNull();
    }

    @Test
    void a_name_at_the_end_of_a_sentence_is_found() {
        assertThat(LogViewModel.mailboxIn("Repair queued for user/bob.", NAMES)).isEqualTo("user/bob");
    }

    @Test
    void a_line_about_no_mailbox_names_none() {
        assertThat(LogViewModel.mailboxIn("impurge: queue drained: 3 tasks", NAMES)).isNull();
    }
}
