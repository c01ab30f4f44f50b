package org.mstore.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.sql.BatchUpdateException;
import java.sql.SQLException;

import org.h2.mvstore.DataUtils;
import org.junit.jupiter.api.Test;

/**
 * A write the file system refuses (a full disk) is said as that, not as damage: the advice for damage (set the file
 * aside and rebuild it) would send an administrator to mend a database that is whole. The chains are H2's own: its
 * MVStore's "Writing to ... failed" (code 2) with the operating system's reason, or the same as text in a batch's error.
 */
class WriteRefusedTest {
    static {
        Loopback.bind(); // H2 loads here before Database would bind its server to 127.0.0.1
    }

    @Test
    void a_write_the_file_system_refuses_is_said_with_its_reason_and_not_as_damage() {
        SQLException e = new SQLException("General error", DataUtils.newMVStoreException(DataUtils.ERROR_WRITING_FAILED,
                "Writing to {0} failed; length {1} at {2}", "mstore.mv.db", 8192, 53248, new IOException("No space left on device")));
        assertThat(Database.writeRefused(e)).isEqualTo("No space left on device");
        assertThat(Database.corrupted(e)).isFalse();
        assertThat(new StoreDatabaseException(e).getMessage()).isEqualTo("cannot write the mboxlist database: No space left on device "
                + "(its file is intact: free space on its file system, then run the command again)");
    }

    @Test
    void a_refused_write_that_h2_passes_on_as_text_in_a_batch_is_not_damage_either() {
        BatchUpdateException e = new BatchUpdateException("General error: \"org.h2.mvstore.MVStoreException: Writing to "
                + "sun.nio.ch.FileChannelImpl@68837a77 failed; length 8192 at 53248 [2.3.232/2]\"; SQL statement:", new int[0]);
        assertThat(Database.writeRefused(e)).isEqualTo("the file system refused to write it (is the disk full?)");
        assertThat(Database.corrupted(e)).isFalse();
        assertThat(new StoreDatabaseException(e).getMessage()).doesNotContain("damaged");
    }

    @Test
    void a_corrupted_file_is_still_called_damaged() {
        SQLException e = new SQLException("General error", DataUtils.newMVStoreException(DataUtils.ERROR_FILE_CORRUPT,
                "File corrupted in chunk {0}", 17));
        assertThat(Database.writeRefused(e)).isNull();
        assertThat(Database.corrupted(e)).isTrue();
        assertThat(new StoreDatabaseException(e).getMessage()).contains("the database is damaged: " + DatabaseDamagedException.HINT);
    }
}
