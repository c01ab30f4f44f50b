package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code target/mstore}, the launcher the build writes: run by {@code sh} with a stand-in {@code JAVA} that prints
 * the options it was given. Short commands get the quick compiler; servers, the console and draining do not.
 */
class LauncherTest {
    static final String QUICK = "-XX:TieredStopAtLevel=1";
    @TempDir
    Path tmp;

    private String javaOptionsFor(String... args) throws Exception {
        CdsTraining.writeLauncher(tmp);
        Path fake = tmp.resolve("fake-java");
        Files.writeString(fake, "#!/bin/sh\necho \"$@\"\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        List<String> cmd = new ArrayList<>(List.of("sh", tmp.resolve("mstore").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA", fake.toString());
        pb.environment().remove("MSTORE_JAVA_OPTS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        return out.substring(0, out.indexOf("-jar"));
    }

    @Test
    void short_commands_and_impurge_one_shot_options_start_with_the_quick_compiler() throws Exception {
        assertThat(javaOptionsFor("imcheck", "-q")).contains(QUICK);
        assertThat(javaOptionsFor("--version")).contains(QUICK);
        assertThat(javaOptionsFor("impurge", "--status", "--store", "/s")).contains(QUICK);
        assertThat(javaOptionsFor("impurge", "--pause=Purge")).contains(QUICK);
        assertThat(javaOptionsFor("impurge", "--store", "/s", "--resume", "all")).contains(QUICK);
        assertThat(javaOptionsFor("impurge", "--retry", "12")).contains(QUICK);
    }

    @Test
    void draining_servers_and_the_console_keep_the_full_compiler() throws Exception {
        assertThat(javaOptionsFor("impurge", "--exit-when-empty", "--store", "/s")).doesNotContain(QUICK);
        assertThat(javaOptionsFor("impurge")).doesNotContain(QUICK);
        assertThat(javaOptionsFor("imapd", "--port", "1143")).doesNotContain(QUICK);
        assertThat(javaOptionsFor("console")).doesNotContain(QUICK).contains("-Xmx512m");
    }

    /** Stands in for mstore.jar: prints the heap cap of the JVM the launcher started. */
    public static final class PrintMaxHeap {
        public static void main(String[] args) {
            System.out.println("maxMemory=" + Runtime.getRuntime().maxMemory());
        }
    }

    /** The heap cap, in bytes, of a real JVM that the launcher starts for {@code args}, with MSTORE_JAVA_OPTS as given. */
    private long maxHeapFor(String mstoreJavaOpts, String... args) throws Exception {
        CdsTraining.writeLauncher(tmp);
        String entry = PrintMaxHeap.class.getName().replace('.', '/') + ".class";
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, PrintMaxHeap.class.getName());
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(tmp.resolve("mstore.jar")), mf);
             var in = LauncherTest.class.getClassLoader().getResourceAsStream(entry)) {
            jar.putNextEntry(new JarEntry(entry));
            in.transferTo(jar);
            jar.closeEntry();
        }
        List<String> cmd = new ArrayList<>(List.of("sh", tmp.resolve("mstore").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("_JAVA_OPTIONS");
        if (mstoreJavaOpts == null) {
            pb.environment().remove("MSTORE_JAVA_OPTS");
        } else {
            pb.environment().put("MSTORE_JAVA_OPTS", mstoreJavaOpts);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).startsWith("maxMemory=");
        return Long.parseLong(out.substring("maxMemory=".length()));
    }

    @Test
    void the_impurge_daemon_runs_with_a_heap_cap_of_its_own_that_mstore_java_opts_can_change() throws Exception {
        long gib = 1L << 30;
        assertThat(maxHeapFor(null, "impurge", "--store", "/s")).isBetween(gib / 2 + 1, gib);
        assertThat(maxHeapFor(null, "impurge", "--exit-when-empty")).isBetween(gib / 2 + 1, gib);
        assertThat(maxHeapFor("-Xmx256m", "impurge")).isLessThanOrEqualTo(256L << 20);
    }

    @Test
    void imapd_and_lmtpd_run_with_a_heap_cap_of_their_own_that_mstore_java_opts_can_change() throws Exception {
        long gib = 1L << 30;
        // whatever this machine's RAM (the JVM's own default is a quarter of it: 6 GB on 24 GB), the servers' cap is 1 GB
        assertThat(maxHeapFor(null, "imapd", "--port", "1143")).isBetween(gib / 2 + 1, gib);
        assertThat(maxHeapFor(null, "lmtpd")).isBetween(gib / 2 + 1, gib);
        // MSTORE_JAVA_OPTS comes after the launcher's options: its -Xmx wins, lower or higher
        assertThat(maxHeapFor("-Xmx256m", "imapd")).isLessThanOrEqualTo(256L << 20);
        assertThat(maxHeapFor("-Xmx2g", "lmtpd")).isGreaterThan(gib);
    }
}
