package org.mstore.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mstore.api.UidSet;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void a_set_of_given_uids_holds_exactly_them_written_as_ranges() {
        UidSet u = UidSet.of(9, 3, 10, 11, 7, 3);
        assertThat(u.toString()).isEqualTo("3,7,9:11");
        assertThat(IntStream.rangeClosed(1, 20).filter(i -> u.contains(i, 20)).toArray()).containsExactly(3, 7, 9, 10, 11);
        assertThatThrownBy(() -> UidSet.of()).isInstanceOf(IllegalArgumentException.class);
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

    private static MailboxIndex index(int... uids) {
        List<IndexRecord> records = new ArrayList<>();
        for (int u : uids) {
            records.add(new IndexRecord(u, 0, 0, 1, CacheFile.HEADER_SIZE, CacheFile.RECORD_OVERHEAD));
        }
        int next = uids.length == 0 ? 1 : uids[uids.length - 1] + 1;
        return MailboxIndex.of(new MailboxIndex.Header(1, next, 0, 1, 0, 0, CacheFile.HEADER_SIZE + CacheFile.RECORD_OVERHEAD), records);
    }

    private static int[] uidsAt(MailboxIndex idx, int[] positions) throws java.io.IOException {
        List<IndexRecord> records = idx.records();
        return IntStream.of(positions).map(p -> records.get(p).uid()).toArray();
    }

    @Test
    void ranges_stars_reversed_and_overlapping_elements_select_each_message_once_in_uid_order() throws Exception {
        MailboxIndex idx = index(2, 3, 5, 8, 13, 21, 34);
        assertThat(uidsAt(idx, idx.positions(UidSet.parse("1:5")))).containsExactly(2, 3, 5);
        assertThat(uidsAt(idx, idx.positions(UidSet.parse("*")))).containsExactly(34);
        assertThat(uidsAt(idx, idx.positions(UidSet.parse("21:*")))).containsExactly(21, 34);
        assertThat(uidsAt(idx, idx.positions(UidSet.parse("100:*")))).containsExactly(34);
        assertThat(uidsAt(idx, idx.positions(UidSet.parse("13:3")))).containsExactly(3, 5, 8, 13);
        assertThat(uidsAt(idx, idx.positions(UidSet.parse("34,2:8,5,3:6,1")))).containsExactly(2, 3, 5, 8, 34);
        assertThat(uidsAt(idx, idx.positions(UidSet.parse("4,6,7,40:50")))).isEmpty();
        assertThat(index().positions(UidSet.parse("1:*"))).isEmpty();
    }

    @Test
    void positions_are_the_messages_that_contains_accepts() throws Exception {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int round = 0; round < 200; round++) {
            int[] uids = IntStream.rangeClosed(1, 300).filter(u -> rnd.nextInt(3) > 0).toArray();
            MailboxIndex idx = index(uids);
            StringBuilder text = new StringBuilder();
            for (int e = 1 + rnd.nextInt(8); e > 0; e--) {
                String a = rnd.nextInt(10) == 0 ? "*" : Integer.toString(1 + rnd.nextInt(320));
                String b = rnd.nextInt(10) == 0 ? "*" : Integer.toString(1 + rnd.nextInt(320));
                text.append(text.length() == 0 ? "" : ",").append(rnd.nextBoolean() ? a : a + ":" + b);
            }
            UidSet set = UidSet.parse(text.toString());
            int max = uids.length == 0 ? 0 : uids[uids.length - 1];
            List<IndexRecord> records = idx.records();
            int[] expected = IntStream.range(0, idx.size()).filter(p -> set.contains(records.get(p).uid(), max)).toArray();
            assertThat(idx.positions(set)).as(text.toString()).containsExactly(expected);
        }
    }
}
