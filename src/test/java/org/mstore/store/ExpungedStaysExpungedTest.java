package org.mstore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mstore.api.Action;
import org.mstore.api.ExpungedMessage;
import org.mstore.api.NoSuchMessageException;
import org.mstore.api.UidSet;
import org.mstore.store.CorruptionMatrixTest.Damage;
import org.mstore.testing.TestStore;

/**
 * store.idx and store.exp damaged together: the Repair rebuilt the mailbox from the message files and took the files of
 * messages the user had expunged (still there until Remove) back as live messages. The expunge now marks its messages'
 * cache records too, once it has committed; a Repair that lost both files still tells expunged from live by them, and
 * where nothing tells, it serves neither way: it holds the message back as recoverable.
 */
class ExpungedStaysExpungedTest {
    static final String BOX = "user/alice";
    static final Set<Integer> EXPUNGED = Set.of(3, 7, 12, 18);
    @TempDir
    Path tmp;
    TestStore s;
    Path dir;
    Map<Integer, byte[]> bytes = new HashMap<>();

    @BeforeEach
    void twentyMessagesFourOfThemExpunged() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 20);
        dir = s.dir(BOX);
        for (int u = 1; u <= 20; u++) {
            bytes.put(u, Files.readAllBytes(Mailbox.messageFile(dir, u)));
        }
        s.expunge(BOX, "3,7");
        s.expunge(BOX, "12,18");
        assertThat(dir.resolve(ExpungeFile.FILE)).exists();
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    static Stream<Arguments> bothDamaged() {
        List<Arguments> out = new ArrayList<>();
        for (Damage i : List.of(Damage.DELETED, Damage.EMPTY, Damage.HALF, Damage.GARBLED)) {
            for (Damage e : List.of(Damage.DELETED, Damage.EMPTY, Damage.HALF, Damage.GARBLED)) {
                out.add(Arguments.of(i, e));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "store.idx {0}, store.exp {1}")
    @MethodSource("bothDamaged")
    void an_expunged_message_stays_expunged_when_index_and_expunge_list_are_both_damaged(Damage index, Damage list) throws Exception {
        CorruptionMatrixTest.damage(dir.resolve(MailboxIndex.FILE), index);
        CorruptionMatrixTest.damage(dir.resolve(ExpungeFile.FILE), list);

        s.requestAndDrain(BOX, Action.REPAIR);

        for (int u = 1; u <= 20; u++) {
            int uid = u;
            if (EXPUNGED.contains(u)) {
                assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, uid)).as("UID %d", u).isInstanceOf(NoSuchMessageException.class);
            } else {
                assertThat(s.engine.mailboxes().fetch(BOX, uid)).as("UID %d", u).isEqualTo(bytes.get(u));
            }
        }
        assertThat(s.info(BOX).messageCount()).isEqualTo(16);
        // still expunged, and still recoverable until Remove
        assertThat(s.engine.mailboxes().expunged(BOX)).filteredOn(ExpungedMessage::recoverable).extracting(ExpungedMessage::uid)
                .containsExactlyInAnyOrderElementsOf(EXPUNGED);
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();
    }

    @Test
    void with_the_cache_lost_too_no_expunged_message_is_served_and_every_live_one_is_served_or_recoverable() throws Exception {
        CorruptionMatrixTest.damage(dir.resolve(MailboxIndex.FILE), Damage.DELETED);
        CorruptionMatrixTest.damage(dir.resolve(ExpungeFile.FILE), Damage.DELETED);
        CorruptionMatrixTest.damage(dir.resolve(CacheFile.FILE), Damage.DELETED);

        List<org.mstore.api.TaskResult> repair = s.requestAndDrain(BOX, Action.REPAIR);

        for (int u : EXPUNGED) {
            assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, u)).as("UID %d", u).isInstanceOf(NoSuchMessageException.class);
        }
        List<Integer> recoverable = s.engine.mailboxes().expunged(BOX).stream().filter(ExpungedMessage::recoverable)
                .map(ExpungedMessage::uid).toList();
        assertThat(recoverable).containsAll(EXPUNGED);
        for (int u = 1; u <= 20; u++) {
            if (!EXPUNGED.contains(u) && !recoverable.contains(u)) {
                assertThat(s.engine.mailboxes().fetch(BOX, u)).as("UID %d", u).isEqualTo(bytes.get(u));
            }
        }
        assertThat(s.logLines()).anyMatch(l -> l.contains("could not be told apart") && l.contains("unexpunge --list"));
        // the task's own detail (the console's Done list, the history) counts them too
        long heldCount;
        try (java.util.stream.Stream<java.nio.file.Path> q = java.nio.file.Files.list(dir.resolve(Mailbox.QUARANTINE))) {
            heldCount = q.filter(f -> f.getFileName().toString().endsWith(".undecided.msg")).count();
        }
        assertThat(heldCount).isPositive();
        assertThat(repair).singleElement().satisfies(r -> assertThat(r.detail())
                .contains(heldCount + " messages held as recoverable, not served").contains("unexpunge --list"));
        assertThat(s.engine.maintenance().inspect(BOX).problems()).isEmpty();

        // the administrator brings back what was live: exactly its bytes, under new UIDs
        List<Integer> held = recoverable.stream().filter(u -> !EXPUNGED.contains(u)).toList();
        long before = s.info(BOX).messageCount();
        s.engine.mailboxes().unexpunge(BOX, UidSet.parse(String.join(",", held.stream().map(String::valueOf).toList())));
        assertThat(s.info(BOX).messageCount()).isEqualTo(before + held.size());
        assertThat(s.engine.mailboxes().expunged(BOX)).filteredOn(ExpungedMessage::recoverable).extracting(ExpungedMessage::uid)
                .containsExactlyInAnyOrderElementsOf(EXPUNGED);
    }

    @Test
    void the_expunge_marks_its_messages_cache_records_once_it_has_committed() throws Exception {
        Map<Integer, CacheFile.Salvaged> cached = CacheFile.salvage(dir.resolve(CacheFile.FILE));
        for (int u = 1; u <= 20; u++) {
            assertThat(cached.get(u).markedExpunged()).as("UID %d", u).isEqualTo(EXPUNGED.contains(u));
        }
        assertThat(CacheFile.marksExpunges(dir.resolve(CacheFile.FILE))).isTrue();
    }

    @Test
    void a_cache_of_an_earlier_release_marks_expunges_from_its_next_purge_on() throws Exception {
        // as an earlier release left it: the expunged messages' records still 'L', the header's flags clear
        Path cache = dir.resolve(CacheFile.FILE);
        List<Long> marked = new ArrayList<>();
        try (CacheFile c = CacheFile.open(cache, false)) {
            c.walk(c.length(), false, (offset, uid, len, expunged) -> {
                if (EXPUNGED.contains(uid)) {
                    marked.add(offset);
                }
                return false;
            });
        }
        byte[] b = Files.readAllBytes(cache);
        for (long o : marked) {
            assertThat(b[(int) o]).isEqualTo(CacheFile.EXPUNGED_KEPT);
            b[(int) o] = CacheFile.LIVE;
        }
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(b);
        h.putInt(12, 0);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, CacheFile.HEADER_SIZE - 4);
        h.putInt(CacheFile.HEADER_SIZE - 4, (int) crc.getValue());
        Files.write(cache, b);
        assertThat(CacheFile.marksExpunges(cache)).isFalse();

        s.requestAndDrain(BOX, Action.PURGE);

        assertThat(CacheFile.marksExpunges(cache)).isTrue();
        CorruptionMatrixTest.damage(dir.resolve(MailboxIndex.FILE), Damage.DELETED);
        CorruptionMatrixTest.damage(dir.resolve(ExpungeFile.FILE), Damage.DELETED);
        s.requestAndDrain(BOX, Action.REPAIR);
        for (int u = 1; u <= 20; u++) {
            int uid = u;
            if (EXPUNGED.contains(u)) {
                assertThatThrownBy(() -> s.engine.mailboxes().fetch(BOX, uid)).as("UID %d", u).isInstanceOf(NoSuchMessageException.class);
            } else {
                assertThat(s.engine.mailboxes().fetch(BOX, uid)).as("UID %d", u).isEqualTo(bytes.get(u));
            }
        }
    }

    /** Expunges UIDs 5 and 9 directly, made to stop at {@code point} as a crash there would. */
    private void expungeStoppedAt(String point) throws Exception {
        org.mstore.fs.CrashPoint.injectFault(point);
        try (Mailbox mb = Mailbox.open(dir, org.mstore.api.MailboxName.parse(BOX))) {
            assertThatThrownBy(() -> mb.expunge(r -> r.uid() == 5 || r.uid() == 9, 1_000L))
                    .isInstanceOf(java.io.UncheckedIOException.class);
        } finally {
            org.mstore.fs.CrashPoint.clearFaults();
        }
        Map<Integer, CacheFile.Salvaged> cached = CacheFile.salvage(dir.resolve(CacheFile.FILE));
        assertThat(cached.get(5).expungeInProgress()).isTrue();
        assertThat(cached.get(9).expungeInProgress()).isTrue();
    }

    /**
     * What an expunge of UIDs 5 and 9 that a crash stopped after its 'P' marks leaves (one that fails without a crash
     * puts them back itself): its records appended to {@code store.exp}, uncommitted, and the two cache records 'P'.
     */
    private void expungeCrashedAfterItsMarks() throws Exception {
        MailboxIndex index = MailboxIndex.read(dir.resolve(MailboxIndex.FILE));
        MailboxIndex.Header h = index.header();
        List<IndexRecord> gone = index.records().stream().filter(r -> r.uid() == 5 || r.uid() == 9).toList();
        ExpungeFile.appendCommitted(dir.resolve(ExpungeFile.FILE), h.expungeFileId(), h.expungeCount(), gone.stream()
                .map(r -> new ExpungeFile.Entry(r.uid(), r.size(), 1_000L, h.expungeSeq() + 1, r.flags(), r.checksum())).toList());
        try (CacheFile c = CacheFile.open(dir.resolve(CacheFile.FILE), true)) {
            assertThat(c.markExpunging(gone.stream().mapToLong(IndexRecord::cacheOffset).toArray(), new int[] {5, 9})).isEqualTo(2);
        }
        Map<Integer, CacheFile.Salvaged> cached = CacheFile.salvage(dir.resolve(CacheFile.FILE));
        assertThat(cached.get(5).expungeInProgress()).isTrue();
        assertThat(cached.get(9).expungeInProgress()).isTrue();
    }

    @Test
    void the_next_open_turns_the_marks_of_an_expunge_that_stopped_before_its_commit_back_to_live() throws Exception {
        expungeCrashedAfterItsMarks();

        try (Mailbox mb = Mailbox.open(dir, org.mstore.api.MailboxName.parse(BOX))) {
            assertThat(mb.verify()).isEmpty();
        }

        Map<Integer, CacheFile.Salvaged> cached = CacheFile.salvage(dir.resolve(CacheFile.FILE));
        assertThat(cached.get(5).status()).isEqualTo(CacheFile.LIVE);
        assertThat(cached.get(9).status()).isEqualTo(CacheFile.LIVE);
        assertThat(s.engine.mailboxes().fetch(BOX, 5)).isEqualTo(bytes.get(5));
        try (CacheFile c = CacheFile.open(dir.resolve(CacheFile.FILE), false)) {
            assertThat(c.expungeMarking()).isFalse();
        }
    }

    @Test
    void an_expunge_whose_commit_fails_puts_its_marks_back_before_it_reports_so_the_same_mailbox_serves_every_message() throws Exception {
        try (Mailbox mb = Mailbox.open(dir, org.mstore.api.MailboxName.parse(BOX))) {
            org.mstore.fs.CrashPoint.injectFault("expunge.after-index-tmp"); // the new index cannot be put in place: an I/O error
            try {
                assertThatThrownBy(() -> mb.expunge(r -> r.uid() == 5 || r.uid() == 9, 1_000L)).isInstanceOf(java.io.UncheckedIOException.class)
                        .satisfies(e -> assertThat(e.getMessage()).isEqualTo("java.io.IOException: injected fault at expunge.after-index-tmp"));
            } finally {
                org.mstore.fs.CrashPoint.clearFaults();
            }
            Map<Integer, CacheFile.Salvaged> cached = CacheFile.salvage(dir.resolve(CacheFile.FILE));
            assertThat(cached.get(5).status()).as("UID 5's cache record").isEqualTo(CacheFile.LIVE);
            assertThat(cached.get(9).status()).as("UID 9's cache record").isEqualTo(CacheFile.LIVE);
            for (int u = 1; u <= 20; u++) {
                if (!EXPUNGED.contains(u)) {
                    assertThat(mb.fetch(u)).as("UID %d from the same mailbox", u).isEqualTo(bytes.get(u));
                }
            }
            // a later expunge by the same open mailbox, which clears the header's flag, leaves no mark behind either
            assertThat(mb.expunge(r -> r.uid() == 2, 2_000L).messages()).isEqualTo(1);
        }
        try (CacheFile c = CacheFile.open(dir.resolve(CacheFile.FILE), false)) {
            assertThat(c.expungeMarking()).isFalse();
        }

        // so a Repair that lost the index and the expunge list serves them, not holds them back as undecided
        CorruptionMatrixTest.damage(dir.resolve(MailboxIndex.FILE), Damage.DELETED);
        CorruptionMatrixTest.damage(dir.resolve(ExpungeFile.FILE), Damage.DELETED);
        s.requestAndDrain(BOX, Action.REPAIR);
        assertThat(s.engine.mailboxes().fetch(BOX, 5)).isEqualTo(bytes.get(5));
        assertThat(s.engine.mailboxes().fetch(BOX, 9)).isEqualTo(bytes.get(9));
    }

    @Test
    void the_next_open_marks_expunged_the_records_of_an_expunge_that_stopped_after_its_commit() throws Exception {
        expungeStoppedAt("expunge.after-index-renamed");

        try (Mailbox mb = Mailbox.open(dir, org.mstore.api.MailboxName.parse(BOX))) {
            assertThat(mb.verify()).isEmpty();
        }

        Map<Integer, CacheFile.Salvaged> cached = CacheFile.salvage(dir.resolve(CacheFile.FILE));
        assertThat(cached.get(5).status()).isEqualTo(CacheFile.EXPUNGED_KEPT);
        assertThat(cached.get(9).status()).isEqualTo(CacheFile.EXPUNGED_KEPT);
        assertThat(cached.get(1).status()).isEqualTo(CacheFile.LIVE);
        try (CacheFile c = CacheFile.open(dir.resolve(CacheFile.FILE), false)) {
            assertThat(c.expungeMarking()).isFalse();
        }
    }
}
