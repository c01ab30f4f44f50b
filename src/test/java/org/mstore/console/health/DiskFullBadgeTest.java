package org.mstore.console.health;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.testing.SmallDisk;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The status bar's problems badge says so while the store's disk is full: on a real tmpfs, filled and emptied again. */
class DiskFullBadgeTest {
    @TempDir
    Path tmp;

    @Test
    void the_badge_says_the_stores_disk_is_full_while_it_is() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(tmp.resolve("disk"), "4m")) {
            TestStore s = TestStore.create(disk.dir);
            try {
                HealthViewModel vm = new HealthViewModel(s.engine, new CurrentThreadTaskExecutor());
                vm.checkDisk();
                assertThat(vm.badgeProperty().get()).isEmpty();

                disk.fill("filler", 0);
                vm.checkDisk();
                assertThat(vm.badgeProperty().get()).isEqualTo("the store's disk is full");

                Files.delete(disk.dir.resolve("filler"));
                vm.checkDisk();
                assertThat(vm.badgeProperty().get()).isEmpty();
            } finally {
                Files.deleteIfExists(disk.dir.resolve("filler"));
                s.close();
            }
        }
    }
}
