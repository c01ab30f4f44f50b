package org.mstore.store;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.MailboxFormatException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SPEC §10: each message file has a checksum in its record; altered bytes are never served as the message. */
class MessageChecksumTest {
    @TempDir
    Path tmp;

    @Test
    void garbled_bytes_in_a_message_file_of_the_same_size_are_refused_by_fetch_and_found_by_the_full_check() throws Exception {
        StoreFixture f = new StoreFixture(tmp.resolve("mbox"));
        try (Mailbox mb = f.create()) {
            f.append(mb, 5);
        }
        Path m3 = Mailbox.messageFile(f.dir, 3);
        byte[] b = Files.readAllBytes(m3);
        for (int i = 40; i < 104; i++) {
            b[i] = (byte) (b[i] ^ 0x20); // 64 bytes, the size unchanged: only the checksum can tell
        }
        Files.write(m3, b);
        assertThat(Files.size(m3)).isEqualTo(f.bytes.get(3).length);
        try (Mailbox mb = f.open()) {
            assertThatThrownBy(() -> mb.fetch(3)).isInstanceOf(MailboxFormatException.class)
                    .hasMessage("message file of UID 3 is damaged: its checksum does not match");
            assertThat(mb.fetch(2)).isEqualTo(f.bytes.get(2));
            assertThat(mb.verify()).containsExactly("message file of UID 3 is damaged: its checksum does not match");
        }
    }

    @Test
    void the_checksum_is_in_the_index_record_and_in_the_cache_record() throws Exception {
        StoreFixture f = new StoreFixture(tmp.resolve("mbox"));
        try (Mailbox mb = f.create()) {
            f.append(mb, 3);
            for (IndexRecord r : mb.index().records()) {
                long expected = StoreFiles.crc(f.bytes.get(r.uid()));
                assertThat(r.checksumKnown()).isTrue();
                assertThat(r.checksum()).isEqualTo(expected);
            }
        }
        assertThat(CacheFile.salvage(f.dir.resolve(CacheFile.FILE))).hasSize(3)
                .allSatisfy((uid, s) -> assertThat(s.checksum()).isEqualTo(StoreFiles.crc(f.bytes.get(uid))));
    }

    @Test
    void an_index_and_a_cache_that_disagree_on_a_checksum_are_a_format_error() throws Exception {
        StoreFixture f = new StoreFixture(tmp.resolve("mbox"));
        try (Mailbox mb = f.create()) {
            f.append(mb, 3);
        }
        // rewrite UID 2's index record with another checksum (its own record checksum right)
        Path idx = f.dir.resolve(MailboxIndex.FILE);
        byte[] all = Files.readAllBytes(idx);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(all);
        int off = MailboxIndex.HEADER_SIZE + MailboxIndex.RECORD_SIZE;
        b.putInt(off + 32, b.getInt(off + 32) ^ 1);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(all, off, MailboxIndex.RECORD_SIZE - 4);
        b.putInt(off + MailboxIndex.RECORD_SIZE - 4, (int) crc.getValue());
        Files.write(idx, all);
        try (Mailbox mb = f.open()) {
            assertThatThrownBy(() -> mb.fetch(2)).isInstanceOf(MailboxFormatException.class)
                    .hasMessage("message file of UID 2 is damaged: its checksum does not match");
            assertThat(mb.verify()).contains("store.cache record of UID 2 has another message checksum than the index");
        }
    }
}
