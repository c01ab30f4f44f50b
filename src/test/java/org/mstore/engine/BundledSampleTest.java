package org.mstore.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;

import static org.assertj.core.api.Assertions.assertThat;

/** The sample store carried in the jar: File › Open the sample store works wherever the console is started. */
class BundledSampleTest {
    @TempDir
    Path tmp;
    String oldTmp;

    @BeforeEach
    void setUp() {
        oldTmp = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", tmp.toString());
    }

    @AfterEach
    void tearDown() {
        System.setProperty("java.io.tmpdir", oldTmp);
    }

    @Test
    void the_bundled_sample_opens_as_a_working_copy_with_the_committed_samples_mailboxes() throws Exception {
        Path bundled = Stores.bundledSample();
        assertThat(bundled).isNotNull();
        assertThat(bundled.startsWith(tmp)).isTrue();
        Stores.SampleCopy copy = Stores.resolveSample(bundled, true);
        assertThat(copy.sample()).isTrue();
        assertThat(copy.root()).isNotEqualTo(bundled);
        Path committed = Path.of("sample-store");
        long committedMessages;
        try (var files = Files.walk(committed)) {
            committedMessages = files.filter(p -> p.getFileName().toString().endsWith(".msg")).count();
        }
        try (var files = Files.walk(copy.root())) {
            assertThat(files.filter(p -> p.getFileName().toString().endsWith(".msg")).count()).isEqualTo(committedMessages);
        }
        try (MessageStore e = Stores.open(copy.root(), new OpenOptions(Clock.systemUTC(), "test", false, false, true))) {
            assertThat(e.mailboxes().list()).isNotEmpty();
        }
    }

    @Test
    void unpacked_message_files_keep_their_times_which_are_their_internal_dates() throws Exception {
        Path bundled = Stores.bundledSample();
        Stores.resolveSample(bundled, true);
        Path someMessage;
        try (var files = Files.walk(Path.of("sample-store"))) {
            someMessage = files.filter(p -> p.getFileName().toString().endsWith(".msg")).findFirst().orElseThrow();
        }
        Path unpacked = bundled.resolve(Path.of("sample-store").relativize(someMessage).toString());
        long committed = Files.getLastModifiedTime(someMessage).toMillis();
        assertThat(Math.abs(Files.getLastModifiedTime(unpacked).toMillis() - committed)).isLessThanOrEqualTo(2000); // zip keeps 2 s
        assertThat(Files.readAllBytes(unpacked)).isEqualTo(Files.readAllBytes(someMessage));
    }
}
