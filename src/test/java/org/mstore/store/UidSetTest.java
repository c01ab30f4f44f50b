package org.mstore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mstore.testing.TestStore;

/** IMAP UID sets, as the user actions take them. */
class UidSetTest {
    @TempDir
    Path tmp;

    private static int[] members(String set, int maxUid, int upTo) {
        UidSet u = UidSet.parse(set);
        return IntStream.rangeClosed(1, upTo).filter(i -> u.contains(i, maxUid)).toArray();
    }

    @Test
    void a_range_covers_both_ends_and_nothing_more() {
        assertThat(members("1:101", 200, 200)).isEqualTo(IntStream.rangeClosed(1, 101).toArray());
        assertThat(members("101:1", 200, 200)).isEqualTo(IntStream.rangeClosed(1, 101).toArray());
    }

    @Test
    void a_list_of_numbers_and_ranges_covers_each_of_them() {
        assertThat(members("3,7,9:12", 20, 20)).containsExactly(3, 7, 9, 10, 11, 12);
    }

    @Test
    void a_star_is_the_largest_uid_in_the_mailbox() {
        assertThat(members("*", 42, 50)).containsExactly(42);
        assertThat(members("5:*", 9, 20)).containsExactly(5, 6, 7, 8, 9);
        assertThat(members("*:5", 9, 20)).containsExactly(5, 6, 7, 8, 9);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "0", "1:", ":5", "a", "1,,2", ",1", "1,", "-1", "1:2:3", "99999999999", "2147483648", "1.5", "**", "1 :2"})
    void a_bad_uid_set_is_refused_naming_it(String bad) {
        assertThatThrownBy(() -> UidSet.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid UID set '" + (bad.isBlank() ? "" : bad) + "'");
    }

    @Test
    void a_uid_set_selects_the_mailboxs_messages_by_uid() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            s.mailbox("user/alice");
            s.append("user/alice", 12);
            assertThat(s.engine.mailboxes().setDeleted("user/alice", UidSet.parse("3,7,9:*"), true)).isEqualTo(6);
            s.engine.mailboxes().expunge("user/alice");
            assertThat(s.engine.mailboxes().messages("user/alice", 0, 100))
                    .extracting(m -> m.record().uid()).containsExactly(1, 2, 4, 5, 6, 8);
            // '*' follows the mailbox: now the largest UID is 8
            assertThat(s.engine.mailboxes().setDeleted("user/alice", UidSet.parse("*"), true)).isEqualTo(1);
            assertThat(s.engine.mailboxes().messages("user/alice", 0, 100))
                    .filteredOn(m -> m.record().deleted()).extracting(m -> m.record().uid()).containsExactly(8);
        }
    }
}
