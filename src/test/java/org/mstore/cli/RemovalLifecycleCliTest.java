package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's removal lifecycle driven from the command line, one process per command, on one store: each
 * test is a step of the scenario and starts from where the previous one left the store (so they run in
 * order). Delete, expunge past {@code store.cleanupsize}, Clean in {@code imcheck -q}, impurge, Remove after
 * {@code store.cleanupage}, Purge with low thresholds; {@code Expunged} goes up and back to 0.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemovalLifecycleCliTest {
    static final String BOX = "user/alice";
    static final String HEADER = "RecNo      Mailbox                             Timestamp      Action";
    static final String DASHES = "---------- ----------------------------------- -------------- ------";

    @TempDir
    static Path dir;
    static Cli cli;
    static Path store;

    @BeforeAll
    static void setUp() {
        cli = new Cli(dir);
        store = dir.resolve("store");
    }

    static final String MBOX = """
            From bob@example.com Mon Jan  1 00:00:00 2024
            From: Bob <bob@example.com>
            Subject: mbox one

            Hello
            >From the start of a line, quoted
            From inside a paragraph, not a separator

            >From after a blank line: would split the message if it were not quoted

            From carol@example.com Mon Jan  1 00:01:00 2024
            From: Carol <carol@example.com>
            Subject: mbox two

            >>From quoted twice keeps one level

            From dave@example.com Mon Jan  1 00:02:00 2024
            From: Dave <dave@example.com>
            Subject: mbox three

            last
            """;

    @Test
    @Order(1)
    void init_creates_a_store_and_mboxutil_creates_and_lists_a_mailbox() {
        assertThat(cli.on(store, "init").ok().out()).contains("created store " + store);
        assertThat(store.resolve("mboxlist/mstore.mv.db")).exists();
        assertThat(store.resolve("partition/primary")).isDirectory();

        assertThat(cli.on(store, "mboxutil", "-c", BOX).ok().out()).isEqualTo("created " + BOX + "\n");
        List<String> list = cli.on(store, "mboxutil", "-l").ok().outLines();
        assertThat(list).hasSize(2);
        assertThat(list.get(1).split("\\s+")).containsExactly(BOX, "primary", "0", "0", "0");
    }

    @Test
    @Order(2)
    void append_prints_one_uid_a_line_for_each_message_file_and_each_message_of_an_mbox() throws Exception {
        List<String> args = new ArrayList<>(List.of("client", "append", BOX));
        args.addAll(Mail.messageFiles(dir.resolve("in"), 20));
        args.add(Mail.write(dir.resolve("in/three.mbox"), MBOX).toString());
        args.addAll(List.of("--store", store.toString()));

        Cli.Result r = cli.run(args).ok();

        assertThat(r.outLines()).containsExactlyElementsOf(IntStream.rangeClosed(1, 23).mapToObj(Integer::toString).toList());
        assertThat(Mail.messageFileUids(Mail.inboxDir(store, "alice"))).hasSize(23);
        assertThat(cli.on(store, "imcheck", "-m", BOX).ok().outLines()).contains("Messages:               23", "Next UID:               24");
    }

    @Test
    @Order(3)
    void fetch_returns_an_mbox_message_without_its_separator_line_and_with_from_quoting_undone_once() {
        assertThat(cli.on(store, "client", "fetch", BOX, "21").ok().out()).isEqualTo("""
                From: Bob <bob@example.com>
                Subject: mbox one

                Hello
                From the start of a line, quoted
                From inside a paragraph, not a separator

                From after a blank line: would split the message if it were not quoted
                """);
        assertThat(cli.on(store, "client", "fetch", BOX, "22").ok().out()).isEqualTo("""
                From: Carol <carol@example.com>
                Subject: mbox two

                >From quoted twice keeps one level
                """);
        assertThat(cli.on(store, "client", "fetch", BOX, "1").ok().out())
                .isEqualTo(Mail.message("sender1@example.com", "Message 1", "Body of message 1."));
    }

    @Test
    @Order(4)
    void delete_undelete_and_expunge_past_store_cleanupsize_raises_expunged_and_queues_clean() {
        assertThat(cli.on(store, "msconfig", "set", "store.cleanupsize", "5").ok().out()).isEqualTo("store.cleanupsize = 5\n");
        assertThat(cli.on(store, "client", "delete", BOX, "1:4,5,10:6").ok().out()).isEqualTo("flagged 10 messages \\Deleted in " + BOX + "\n");
        assertThat(cli.on(store, "client", "undelete", BOX, "9,10").ok().out()).isEqualTo("cleared \\Deleted on 2 messages in " + BOX + "\n");
        assertThat(cli.on(store, "client", "expunge", BOX).ok().out()).contains("expunged 8 messages", "Expunged is now 8");

        List<String> meta = cli.on(store, "imcheck", "-m", BOX).ok().outLines();
        assertThat(meta).contains("Expunged:               8", "Messages:               15");
        assertThat(meta).noneMatch(l -> l.matches("^[1-8] .*"));
    }

    @Test
    @Order(5)
    void imcheck_q_prints_the_queue_in_the_seeds_layout() {
        LocalDateTime before = LocalDateTime.now().minusMinutes(2);
        List<String> lines = cli.on(store, "imcheck", "-q").ok().outLines();

        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo(HEADER);
        assertThat(lines.get(1)).isEqualTo(DASHES);
        String row = lines.get(2);
        assertThat(row).matches("\\d+ +user/alice +\\d{14} Clean");
        // columns as in the seed: RecNo in 10, Mailbox in 35, Timestamp in 14, one space between
        String recno = row.substring(0, 10).strip();
        assertThat(row.charAt(10)).isEqualTo(' ');
        assertThat(row.substring(11, 46)).isEqualTo(String.format("%-35s", BOX));
        String stamp = row.substring(47, 61);
        assertThat(row.substring(62)).isEqualTo("Clean");
        assertThat(row).isEqualTo(String.format("%-10s %-35s %-14s %s", recno, BOX, stamp, "Clean"));
        LocalDateTime t = LocalDateTime.parse(stamp, DateTimeFormatter.ofPattern("yyyyMMddHHmmss"));
        assertThat(t).isBetween(before, LocalDateTime.now().plusMinutes(2));
    }

    @Test
    @Order(6)
    void impurge_exit_when_empty_cleans_expunged_goes_back_to_0_and_the_files_wait_for_cleanupage() throws Exception {
        Cli.Result r = cli.on(store, "impurge", "--exit-when-empty").ok();
        assertThat(r.out()).contains("Clean " + BOX, "store.exp renamed to store.exp.", "1 entries left (not yet due)");

        List<String> queue = cli.on(store, "imcheck", "-q").ok().outLines();
        assertThat(queue).hasSize(3);
        assertThat(queue.get(2)).matches("\\d+ +user/alice +\\d{14} Remove");

        List<String> meta = cli.on(store, "imcheck", "-m", BOX).ok().outLines();
        assertThat(meta).contains("Expunged:               0");
        assertThat(meta).anyMatch(l -> l.matches("Awaiting Remove: +store\\.exp\\.\\d{14}"));

        Path mbox = Mail.inboxDir(store, "alice");
        try (var s = Files.list(mbox)) {
            assertThat(s.map(p -> p.getFileName().toString())).anyMatch(n -> n.matches("store\\.exp\\.\\d{14}"));
        }
        assertThat(Mail.messageFileUids(mbox)).as("obsolete files stay until store.cleanupage has passed").hasSize(23);
        assertThat(Mail.log(store)).anyMatch(l -> l.matches("^\\[[^]]+] \\S+ impurge\\[\\d+]: General Notice: cleaning up user/alice.*"));
    }

    @Test
    @Order(7)
    void cleanupage_0s_lets_impurge_delete_the_obsolete_files_and_low_thresholds_purge_the_cache() throws Exception {
        cli.on(store, "msconfig", "set", "store.purge.count", "2").ok();
        cli.on(store, "msconfig", "set", "store.purge.percentage", "1").ok();
        assertThat(cli.on(store, "msconfig", "set", "store.cleanupage", "0s").ok().out()).isEqualTo("store.cleanupage = 0s\n");

        Cli.Result r = cli.on(store, "impurge", "--exit-when-empty").ok();
        assertThat(r.out()).contains("Remove " + BOX, "removed 8 message files", "Purge " + BOX, "0 entries left");

        assertThat(Mail.messageFileUids(Mail.inboxDir(store, "alice"))).containsExactlyElementsOf(
                IntStream.rangeClosed(9, 23).boxed().toList());
        assertThat(cli.on(store, "imcheck", "-q").ok().outLines()).containsExactly(HEADER, DASHES);
        List<String> meta = cli.on(store, "imcheck", "-m", BOX).ok().outLines();
        assertThat(meta).contains("Expunged:               0", "Cache records:          15", "Expunged cache records: 0 (0.0%)",
                "Awaiting Remove:        -");
        assertThat(meta).noneMatch(l -> l.startsWith("Last purge:") && l.endsWith("never"));
        assertThat(Mail.log(store)).anyMatch(l -> l.contains("impurge[") && l.contains("General Notice: purging user/alice"));
        // the messages that were not expunged are all still readable
        assertThat(cli.on(store, "client", "fetch", BOX, "23").ok().out()).contains("Subject: mbox three");
    }
}
