package org.mstore.store;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.testing.Disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** SPEC §10: only the store's owner can read its messages: every file and directory the store creates is owner-only. */
class OwnerOnlyFilesTest {
    @TempDir
    Path tmp;

    @Test
    void every_file_and_directory_the_store_creates_is_owner_only() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        StoreFixture f = StoreFixture.lifecycle(tmp.resolve("mbox"));
        Disk.flipByte(Mailbox.messageFile(f.dir, 9), 30); // to be quarantined
        Files.createDirectories(f.dir.resolve(CacheFile.FILE + ".new").resolve("x")); // to be moved aside
        try (var lock = Mailbox.lockForRepair(f.dir)) {
            Mailbox.rebuild(f.dir, StoreFixture.UID_VALIDITY, 13, StoreFixture.T0 + 1_000_000);
        }
        try (Mailbox mb = f.open()) {
            f.append(mb, 2);
            mb.expunge(r -> r.uid() == 10, StoreFixture.T0 + 2_000_000);
            mb.clean("20260303100000");
            mb.purge();
        }
        assertThat(Mailbox.quarantined(f.dir)).hasSize(1);
        int checked = 0;
        for (Path p : StoreFixture.listTree(f.dir)) {
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
            if (p.getFileName().toString().equals("x")) {
                continue; // made by this test
            }
            assertThat(mode).as(f.dir.relativize(p).toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            checked++;
        }
        assertThat(checked).isGreaterThan(15);
    }
}
