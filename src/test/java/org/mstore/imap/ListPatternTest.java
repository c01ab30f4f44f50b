package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** LIST patterns (RFC 3501 6.3.8): {@code *} and {@code %} wildcards; INBOX matches in any case (5.1), other names exactly. */
class ListPatternTest {
    @Test
    void inbox_matches_a_pattern_in_any_case_also_with_wildcards() {
        assertThat(MailboxNames.matches("inbox*", "INBOX")).isTrue();
        assertThat(MailboxNames.matches("In%", "INBOX")).isTrue();
        assertThat(MailboxNames.matches("iNbOx/%", "INBOX/Work")).isTrue();
        assertThat(MailboxNames.matches("inbox", "INBOX")).isTrue();
    }

    @Test
    void other_names_match_in_their_own_case() {
        assertThat(MailboxNames.matches("inbox*", "Inbox2")).isFalse();
        assertThat(MailboxNames.matches("In%", "Inbox2")).isTrue();
        assertThat(MailboxNames.matches("work", "Work")).isFalse();
        assertThat(MailboxNames.matches("INBOX/work", "INBOX/Work")).isFalse();
        assertThat(MailboxNames.matches("%", "INBOX/Work")).isFalse();
    }
}
