package org.mstore.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxName;
import org.mstore.api.Outcome;
import org.mstore.api.TaskResult;
import org.mstore.testing.Disk;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SPEC §1: store.idx, store.cache and store.exp are versioned and checksummed so that corruption is detected, not
 * misread; message files are never rewritten.
 */
class MailboxIndexTest {
    static final String BOX = "user/alice";
    static final MailboxName NAME = MailboxName.parse(BOX);
    @TempDir
    Path tmp;
    TestStore s;
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        s.append(BOX, 10);
        dir = s.dir(BOX);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private Path idx() {
        return dir.resolve(MailboxIndex.FILE);
    }

    private Path cache() {
        return dir.resolve(CacheFile.FILE);
    }

    private String openFailure() {
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            throw new AssertionError("the damaged mailbox opened: " + mb.index().size() + " messages");
        } catch (MailboxFormatException e) {
            return e.getMessage();
        } catch (java.io.IOException e) {
            throw new AssertionError("not a format error", e);
        }
    }

    private IndexRecord record(int uid) throws Exception {
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            return mb.index().get(mb.index().find(uid));
        }
    }

    @Test
    void a_damaged_index_header_is_detected_not_misread() throws Exception {
        byte[] good = Files.readAllBytes(idx());
        // magic, version, record size, UID validity, next UID, record count, cache generation, size, cache end, checksum
        for (int offset : new int[] {0, 5, 9, 12, 17, 21, 25, 33, 49, 62}) {
            Disk.flipByte(idx(), offset);
            assertThat(openFailure()).as("byte %d", offset).startsWith("store.idx");
            Files.write(idx(), good);
        }
        Disk.flipByte(idx(), 1);
        assertThat(openFailure()).isEqualTo("store.idx has a bad magic number");
        Files.write(idx(), good);
        Disk.flipByte(idx(), 21);
        assertThat(openFailure()).isEqualTo("store.idx header has a bad checksum");
        Files.write(idx(), good);
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            assertThat(mb.index().size()).isEqualTo(10);
        }
    }

    @Test
    void a_damaged_index_record_is_detected_not_misread() throws Exception {
        byte[] good = Files.readAllBytes(idx());
        for (int field = 0; field < MailboxIndex.RECORD_SIZE; field += 3) {
            Disk.flipByte(idx(), MailboxIndex.HEADER_SIZE + 2L * MailboxIndex.RECORD_SIZE + field);
            assertThat(openFailure()).as("record byte %d", field).isEqualTo("store.idx record 3 has a bad checksum");
            Files.write(idx(), good);
        }
    }

    @Test
    void a_truncated_index_is_detected() throws Exception {
        long size = Files.size(idx());
        Disk.truncate(idx(), size - 1);
        assertThat(openFailure()).isEqualTo("store.idx is truncated: header says 10 records, file holds 9");
        Disk.truncate(idx(), 30);
        assertThat(openFailure()).isEqualTo("store.idx is shorter than its header (30 bytes)");
        Disk.truncate(idx(), 0);
        assertThat(openFailure()).startsWith("store.idx is shorter than its header");
        Files.delete(idx());
        assertThatThrownBy(() -> Mailbox.open(dir, NAME)).isInstanceOf(MailboxFormatException.class)
                .hasMessage("Mailbox does not exist").matches(e -> ((MailboxFormatException) e).indexMissing());
    }

    @Test
    void a_damaged_cache_header_is_detected_not_misread() throws Exception {
        byte[] good = Files.readAllBytes(cache());
        for (int offset : new int[] {0, 4, 9, 17, 29}) {
            Disk.flipByte(cache(), offset);
            assertThat(openFailure()).as("byte %d", offset).startsWith("store.cache");
            Files.write(cache(), good);
        }
        Disk.flipByte(cache(), 2);
        assertThat(openFailure()).isEqualTo("store.cache has a bad magic number");
        Files.write(cache(), good);
        Disk.flipByte(cache(), 9);
        assertThat(openFailure()).isEqualTo("store.cache header has a bad checksum");
    }

    @Test
    void a_damaged_cache_record_is_detected_when_it_is_read() throws Exception {
        IndexRecord r4 = record(4);
        Disk.flipByte(cache(), r4.cacheOffset() + 20); // inside the payload
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            assertThat(new String(mb.fetch(3))).contains("Body 2");
            assertThatThrownBy(() -> mb.fetch(4)).isInstanceOf(MailboxFormatException.class)
                    .hasMessage("store.cache record at " + r4.cacheOffset() + " (UID 4) has a bad checksum");
            assertThat(mb.verify()).contains("store.cache record at " + r4.cacheOffset() + " (UID 4) has a bad checksum");
        }
        Disk.flipByte(cache(), r4.cacheOffset() + 20);
        Disk.flipByte(cache(), r4.cacheOffset()); // the status byte
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            assertThatThrownBy(() -> mb.fetch(4)).isInstanceOf(MailboxFormatException.class)
                    .hasMessage("store.cache record at " + r4.cacheOffset() + " has a bad status byte");
        }
        Disk.flipByte(cache(), r4.cacheOffset());
        Disk.flipByte(cache(), r4.cacheOffset() + 4); // the UID the record belongs to
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            assertThatThrownBy(() -> mb.fetch(4)).isInstanceOf(MailboxFormatException.class)
                    .hasMessageContaining("belongs to UID");
        }
    }

    @Test
    void a_truncated_cache_is_detected() throws Exception {
        long end;
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            end = mb.index().header().cacheEnd();
        }
        Disk.truncate(cache(), end - 10);
        assertThat(openFailure()).isEqualTo("store.cache is truncated: " + (end - 10) + " bytes, index expects " + end);
        Disk.truncate(cache(), 20);
        assertThat(openFailure()).isEqualTo("store.cache is shorter than its header");
        Files.delete(cache());
        assertThat(openFailure()).isEqualTo("store.cache is missing");
    }

    @Test
    void a_cache_of_another_generation_is_detected() throws Exception {
        s.expunge(BOX, "1:5");
        s.requestAndDrain(BOX, Action.CLEAN);
        s.requestAndDrain(BOX, Action.REMOVE);
        byte[] oldCache = Files.readAllBytes(cache());
        assertThat(s.requestAndDrain(BOX, Action.PURGE)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        Files.write(cache(), oldCache); // an older cache put back (a restore from backup, a bad copy)
        assertThat(openFailure()).isEqualTo("store.cache generation 1 does not match the index (2)");
    }

    @Test
    void a_damaged_expunge_list_is_detected_not_misread() throws Exception {
        s.expunge(BOX, "2,4,6");
        Path exp = dir.resolve(ExpungeFile.FILE);
        assertThat(ExpungeFile.read(exp)).extracting(ExpungeFile.Entry::uid).containsExactly(2, 4, 6);
        byte[] good = Files.readAllBytes(exp);

        Disk.flipByte(exp, ExpungeFile.HEADER_SIZE + ExpungeFile.RECORD_SIZE + 1); // the UID of record 2
        assertThatThrownBy(() -> ExpungeFile.read(exp)).isInstanceOf(MailboxFormatException.class)
                .hasMessage("store.exp record 2 has a bad checksum");
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            assertThat(mb.verify()).containsExactly("store.exp record 2 has a bad checksum");
        }
        Files.write(exp, good);

        Disk.flipByte(exp, 0);
        assertThatThrownBy(() -> ExpungeFile.read(exp)).isInstanceOf(MailboxFormatException.class).hasMessage("store.exp has a bad header");
        assertThat(openFailure()).isEqualTo("store.exp has a bad header");
        Files.write(exp, good);

        Disk.truncate(exp, 10);
        assertThatThrownBy(() -> ExpungeFile.read(exp)).isInstanceOf(MailboxFormatException.class)
                .hasMessage("store.exp is shorter than its header");
    }

    @Test
    void a_message_file_missing_or_of_the_wrong_size_is_detected() throws Exception {
        IndexRecord r3 = record(3);
        Disk.truncate(Mailbox.messageFile(dir, 3), r3.size() - 1);
        Files.delete(Mailbox.messageFile(dir, 4));
        try (Mailbox mb = Mailbox.open(dir, NAME)) {
            assertThatThrownBy(() -> mb.fetch(3)).isInstanceOf(MailboxFormatException.class)
                    .hasMessage("message file of UID 3 has " + (r3.size() - 1) + " bytes, the index says " + r3.size());
            assertThatThrownBy(() -> mb.fetch(4)).isInstanceOf(MailboxFormatException.class)
                    .hasMessage("message file of UID 4 is missing");
            assertThat(mb.verify()).containsExactly("message file of UID 3 has " + (r3.size() - 1) + " bytes, the index says " + r3.size(),
                    "message file of UID 4 is missing");
        }
    }

    private record FileState(byte[] bytes, FileTime mtime, Object key) {
    }

    private Map<Integer, FileState> messageFiles(int from, int to) throws Exception {
        Map<Integer, FileState> m = new HashMap<>();
        for (int uid = from; uid <= to; uid++) {
            Path f = Mailbox.messageFile(dir, uid);
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            m.put(uid, new FileState(Files.readAllBytes(f), a.lastModifiedTime(), a.fileKey()));
        }
        return m;
    }

    @Test
    void message_files_are_never_rewritten_by_purge_or_repair() throws Exception {
        s.clock.advance(java.time.Duration.ofDays(3));
        s.expunge(BOX, "1:4");
        Map<Integer, FileState> before = messageFiles(5, 10);
        s.requestAndDrain(BOX, Action.CLEAN);
        s.requestAndDrain(BOX, Action.REMOVE);
        assertThat(s.requestAndDrain(BOX, Action.PURGE)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        assertThat(s.requestAndDrain(BOX, Action.REPAIR)).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
        Files.delete(idx());
        s.engine.maintenance().reconstruct(BOX);
        Map<Integer, FileState> after = messageFiles(5, 10);
        for (int uid = 5; uid <= 10; uid++) {
            assertThat(after.get(uid).bytes()).as("UID %d", uid).isEqualTo(before.get(uid).bytes());
            assertThat(after.get(uid).mtime()).as("UID %d", uid).isEqualTo(before.get(uid).mtime());
            assertThat(after.get(uid).key()).as("UID %d", uid).isEqualTo(before.get(uid).key());
        }
    }
}
