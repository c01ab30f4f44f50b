package org.mstore.classic;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.backend.SpaceReserve;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The space held back for impurge on the store's disk ({@code mboxlist/reserve}). What it is for, a disk with no free
 * block, is proven with real processes on a full tmpfs in {@code FullDiskTest}.
 */
class SpaceReserveTest {
    @TempDir
    Path tmp;
    TestStore s;
    Path file;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        file = s.root.resolve("mboxlist").resolve("reserve");
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private long expectedSize() throws Exception {
        long total = Files.getFileStore(s.root).getTotalSpace();
        return Math.max(4096, Math.min(1L << 20, total / 64) / 4096 * 4096);
    }

    @Test
    void init_holds_back_a_reserve_of_written_blocks_that_only_the_owner_can_touch() throws Exception {
        assertThat(file).isRegularFile();
        assertThat(Files.size(file)).isEqualTo(expectedSize());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
        String[] blocks = new String(stat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).strip().split(" ");
        assertThat(stat.waitFor()).isZero();
        assertThat(Long.parseLong(blocks[0]) * Long.parseLong(blocks[1])).as("bytes allocated: not a sparse file").isGreaterThanOrEqualTo(expectedSize());
    }

    @Test
    void impurge_makes_the_reserve_again_once_there_is_room() throws Exception {
        SpaceReserve r = s.engine.backend().spaceReserve().orElseThrow();
        assertThat(r.release()).isEqualTo(expectedSize());
        assertThat(file).doesNotExist();

        s.engine.daemon().drain();

        assertThat(file).isRegularFile();
        assertThat(Files.size(file)).isEqualTo(expectedSize());
    }

    @Test
    void a_reserve_a_crash_left_short_is_made_again_whole() throws Exception {
        Files.write(file, new byte[100]); // written, renamed, not yet on disk when the machine went down
        s.engine.daemon().drain();
        assertThat(Files.size(file)).isEqualTo(expectedSize());
    }

    @Test
    void a_disk_with_room_is_not_full() throws Exception {
        assertThat(s.engine.backend().spaceReserve().orElseThrow().space().full()).isFalse();
    }
}
