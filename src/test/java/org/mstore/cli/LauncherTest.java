package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

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
}
