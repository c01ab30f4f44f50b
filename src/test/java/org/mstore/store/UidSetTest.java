package org.mstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/** UID sets select exactly the messages a client names, once each, in UID order. */
class UidSetTest {
    private static MailboxIndex index(int... uids) {
        List<IndexRecord> records = new ArrayList<>();
        for (int u : uids) {
            records.add(new IndexRecord(u, 0, 0, 1, CacheFile.HEADER_SIZE, CacheFile.RECORD_OVERHEAD));
        }
        int next = uids.length == 0 ? 1 : uids[uids.length - 1] + 1;
        return MailboxIndex.of(new MailboxIndex.Header(1, next, 0, 1, 0, 0, CacheFile.HEADER_SIZE + CacheFile.RECORD_OVERHEAD), records);
    }

    private static int[] uidsAt(MailboxIndex idx, int[] positions) {
        return IntStream.of(positions).map(p -> idx.get(p).uid()).toArray();
    }

    @Test
    void ranges_stars_reversed_and_overlapping_elements_select_each_message_once_in_uid_order() {
        MailboxIndex idx = index(2, 3, 5, 8, 13, 21, 34);
        assertThat(uidsAt(idx, UidSet.parse("1:5").positions(idx))).containsExactly(2, 3, 5);
        assertThat(uidsAt(idx, UidSet.parse("*").positions(idx))).containsExactly(34);
        assertThat(uidsAt(idx, UidSet.parse("21:*").positions(idx))).containsExactly(21, 34);
        assertThat(uidsAt(idx, UidSet.parse("100:*").positions(idx))).containsExactly(34);
        assertThat(uidsAt(idx, UidSet.parse("13:3").positions(idx))).containsExactly(3, 5, 8, 13);
        assertThat(uidsAt(idx, UidSet.parse("34,2:8,5,3:6,1").positions(idx))).containsExactly(2, 3, 5, 8, 34);
        assertThat(uidsAt(idx, UidSet.parse("4,6,7,40:50").positions(idx))).isEmpty();
        assertThat(UidSet.parse("1:*").positions(index())).isEmpty();
    }

    @Test
    void positions_are_the_messages_that_contains_accepts() {
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
            int[] expected = IntStream.range(0, idx.size()).filter(p -> set.contains(idx.get(p).uid(), max)).toArray();
            assertThat(set.positions(idx)).as(text.toString()).containsExactly(expected);
        }
    }
}
