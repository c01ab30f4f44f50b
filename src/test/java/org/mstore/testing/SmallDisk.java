package org.mstore.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * A tmpfs of a few megabytes mounted for a test, to be filled up: a real full disk. Mounting needs root, as CI and the
 * security tests have; elsewhere the test is skipped, with the reason.
 */
public final class SmallDisk implements AutoCloseable {
    public final Path dir;

    private SmallDisk(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} (as {@code mount -o size=} takes it: {@code 4m}) on a new directory {@code dir}. */
    public static SmallDisk mount(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        Assumptions.assumeTrue(p.waitFor() == 0, "a tmpfs cannot be mounted here (" + said + "): needs root");
        return new SmallDisk(dir);
    }

    /** Fills the disk with a file until {@code leave} bytes are free (or as near as its blocks allow). */
    public void fill(String name, long leave) throws IOException {
        try (OutputStream out = Files.newOutputStream(dir.resolve(name))) {
            byte[] chunk = new byte[4096];
            while (Files.getFileStore(dir).getUsableSpace() > leave) {
                out.write(chunk);
                out.flush();
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
    }

    /** Remounts the disk read-only (as the kernel does after errors) or read-write again. */
    public void remount(boolean readOnly) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mount", "-o", "remount," + (readOnly ? "ro" : "rw"), dir.toString()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) {
            throw new IOException("mount -o remount failed: " + said);
        }
    }

    /** Unmounts lazily: detached at once, freed when the last file on it is closed. */
    @Override
    public void close() throws IOException, InterruptedException {
        new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start().waitFor();
    }
}
