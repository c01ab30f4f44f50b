package org.mstore.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code imcheck -m} over many mailboxes in one run, for scripts: one start-up instead of one per mailbox. */
class ImcheckBatchCliTest {
    @TempDir
    static Path dir;
    static Cli cli;
    static Path store;

    @BeforeAll
    static void setUp() throws Exception {
        cli = new Cli(dir);
        store = dir.resolve("store");
        cli.on(store, "init").ok();
        List<String> files = Mail.messageFiles(dir.resolve("in"), 3);
        for (String box : List.of("user/a", "user/b")) {
            cli.on(store, "mboxutil", "-c", box).ok();
            List<String> args = new ArrayList<>(List.of("client", "append", box));
            args.addAll(box.equals("user/a") ? files.subList(0, 1) : files);
            cli.on(store, args.toArray(String[]::new)).ok();
        }
    }

    @Test
    void repeated_m_prints_one_report_per_mailbox() {
        List<String> out = cli.on(store, "imcheck", "-m", "user/a", "-m", "user/b").ok().outLines();
        assertThat(out).filteredOn(l -> l.startsWith("Mailbox:")).containsExactly("Mailbox:                user/a",
                "Mailbox:                user/b");
        assertThat(out).contains("Messages:               1", "Messages:               3");
    }

    @Test
    void the_arrival_time_is_headed_received_not_date_which_is_the_date_header_elsewhere() {
        List<String> out = cli.on(store, "imcheck", "-m", "user/a").ok().outLines();
        assertThat(out).filteredOn(l -> l.startsWith("UID  ")).singleElement().satisfies(l -> assertThat(l.split("\\s+"))
                .containsExactly("UID", "Flags", "Size", "Received", "From", "Subject"));
    }

    @Test
    void mailboxes_from_a_file_go_on_past_one_that_fails_and_say_so() throws Exception {
        Path names = Files.writeString(dir.resolve("names.txt"), "user/a\nuser/nobody\n\nuser/b\n");
        Cli.Result r = cli.on(store, "imcheck", "--mailboxes-from", names.toString());
        assertThat(r.exit()).as(r.describe()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().satisfies(l -> assertThat(l).contains("user/nobody").contains("no such mailbox"));
        assertThat(r.outLines()).filteredOn(l -> l.startsWith("Mailbox:")).hasSize(2);
    }

    @Test
    void mailboxes_from_a_missing_file_is_a_one_line_error() {
        cli.on(store, "imcheck", "--mailboxes-from", dir.resolve("missing.txt").toString()).failsWith(1, "no such file");
    }

    @Test
    void mailboxes_from_a_directory_says_it_is_a_directory() {
        cli.on(store, "imcheck", "--mailboxes-from", dir.toString()).failsWith(1, dir + ": is a directory");
    }
}
