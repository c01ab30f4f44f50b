package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.testing.SmallDisk;

/**
 * A store on a file system that the kernel remounted read-only after errors. Every process writes lock files even to
 * read a store, so it cannot be used there; what an administrator gets is one line that says why and how to read the
 * mail all the same (mounting needs root, as CI and the security tests have; elsewhere the class is skipped).
 */
class ReadOnlyMountTest {
    @TempDir
    Path dir;

    @Test
    void a_store_on_a_file_system_mounted_read_only_is_refused_in_one_line_that_says_so_and_how_to_read_its_mail() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), "16m")) {
            Cli cli = new Cli(dir);
            Path store = disk.dir.resolve("store");
            Path message = dir.resolve("m.eml");
            Files.writeString(message, "From: a@example.org\r\nSubject: kept\r\n\r\nhello\r\n", StandardCharsets.UTF_8);
            cli.on(store, "init").ok();
            cli.on(store, "mboxutil", "-c", "user/alice").ok();
            cli.on(store, "client", "append", "user/alice", message.toString()).ok();
            disk.remount(true);
            try {
                for (String[] command : new String[][] {{"imcheck", "-q"}, {"client", "fetch", "user/alice", "1"}, {"mboxutil", "-l"}}) {
                    Cli.Result r = cli.on(store, command);
                    r.failsWith(1, "is on a file system mounted read-only");
                    assertThat(r.errLines()).as(r.describe()).hasSize(1);
                    assertThat(r.err()).contains("cp -a");
                }
                // the way out it names works: a copy of the store serves the mail
                Path copy = dir.resolve("copy");
                Process cp = new ProcessBuilder("cp", "-a", store.toString(), copy.toString()).inheritIO().start();
                assertThat(cp.waitFor()).isZero();
                assertThat(cli.on(copy, "client", "fetch", "user/alice", "1").ok().out()).isEqualTo(Files.readString(message));
            } finally {
                disk.remount(false);
            }
        }
    }
}
