package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.mstore.api.Flags;
import org.mstore.api.MailboxSnapshot;
import org.mstore.api.MessageRecord;

/** What a session reports of changes made elsewhere, in an order the client can follow (RFC 3501 2.3.1.2, 7.4). */
class SelectedMailboxTest {
    static MessageRecord message(int uid, int flags) {
        return new MessageRecord(uid, flags, 0, 100);
    }

    static List<String> report(SelectedMailbox m, boolean expunges) {
        Resp out = new Resp();
        m.report(out, expunges, true);
        return new String(out.build().bytes(), StandardCharsets.US_ASCII).lines().toList();
    }

    @Test
    void a_flag_change_of_a_message_that_arrived_meanwhile_comes_after_the_exists_that_numbers_it() {
        SelectedMailbox m = new SelectedMailbox(new MailboxSnapshot("user/carol", 7, 3, List.of(message(1, 0), message(2, 0))), false);
        m.applyAppended(message(3, 0));
        m.applyFlags(message(3, Flags.DELETED)); // changed by another session before this one heard of the message

        assertThat(report(m, false)).containsExactly("* 3 EXISTS", "* 1 RECENT", "* 3 FETCH (UID 3 FLAGS (\\Deleted \\Recent))");
    }

    @Test
    void expunges_come_first_so_that_exists_and_fetch_use_the_numbers_after_them() {
        SelectedMailbox m = new SelectedMailbox(new MailboxSnapshot("user/carol", 7, 3, List.of(message(1, 0), message(2, 0))), false);
        m.applyExpunged(1);
        m.applyAppended(message(3, 0));
        m.applyFlags(message(2, Flags.SEEN));

        assertThat(report(m, true)).containsExactly("* 1 EXPUNGE", "* 2 EXISTS", "* 1 RECENT", "* 1 FETCH (UID 2 FLAGS (\\Seen))");
    }

    @Test
    void a_message_that_arrived_and_went_before_the_client_heard_of_it_gets_no_expunge() {
        SelectedMailbox m = new SelectedMailbox(new MailboxSnapshot("user/carol", 7, 3, List.of(message(1, 0), message(2, 0))), false);
        m.applyAppended(message(3, 0));
        m.applyAppended(message(4, 0));
        m.applyExpunged(3);

        assertThat(report(m, true)).containsExactly("* 3 EXISTS", "* 1 RECENT");
    }
}
