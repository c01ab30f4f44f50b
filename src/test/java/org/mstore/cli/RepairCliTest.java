package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Self-healing from the command line: a damaged {@code store.idx} is met by a client command, logged in the
 * seed's words, queued for Repair and repaired by impurge with every message back; {@code reconstruct}
 * checks and repairs at once; {@code reconstruct --mboxlist} rebuilds a lost mailbox list. One store, the
 * tests are the steps of the scenario, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepairCliTest {
    static final String BOX = "user/xavier";
    static final int MESSAGES = 5;

    @TempDir
    static Path dir;
    static Cli cli;
    static Path store;
    static Path mailboxDir;
    static final List<String> originals = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        cli = new Cli(dir);
        store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", BOX).ok();
        StringBuilder mbox = new StringBuilder();
        for (int i = 1; i <= MESSAGES; i++) {
            String m = "From: Sender " + i + " <s" + i + "@example.com>\nSubject: Repair me " + i + "\n\nLine one of " + i + "\nLine two\n";
            originals.add(m);
            mbox.append("From s").append(i).append("@example.com Tue Feb 25 09:55:5").append(i).append(" 2012\n").append(m).append('\n');
        }
        Path file = Mail.write(dir.resolve("in/box.mbox"), mbox.toString());
        assertThat(cli.on(store, "client", "append", BOX, file.toString()).ok().outLines()).containsExactly("1", "2", "3", "4", "5");
        mailboxDir = Mail.inboxDir(store, "xavier");
    }

    static void damageIndex() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(mailboxDir.resolve("store.idx").toFile(), "rw")) {
            assertThat(f.length()).isGreaterThan(64);
            f.seek(40);
            f.write("XXXXXXXXXXXXXXXX".getBytes(StandardCharsets.US_ASCII));
        }
    }

    static String queueRow(String action) {
        return "\\d+ +" + BOX + " +\\d{14} " + action;
    }

    @Test
    @Order(1)
    void reconstruct_n_on_a_healthy_mailbox_exits_0_and_prints_ok() {
        assertThat(cli.on(store, "reconstruct", "-n", BOX).ok().out()).isEqualTo(BOX + ": ok\n");
    }

    @Test
    @Order(2)
    void reconstruct_n_on_a_corrupt_mailbox_exits_3_and_changes_nothing() throws Exception {
        damageIndex();
        StoreState before = StoreState.of(store);

        Cli.Result r = cli.on(store, "reconstruct", "-n", BOX);

        assertThat(r.exit()).as(r.describe()).isEqualTo(3);
        assertThat(r.errLines()).as(r.describe()).hasSize(1);
        assertThat(r.err()).contains(BOX, "needs a repair");
        assertThat(r.out()).startsWith(BOX + ": ").contains("checksum");
        assertThat(StoreState.of(store)).isEqualTo(before);
    }

    @Test
    @Order(3)
    void a_client_meeting_the_corrupt_index_gets_one_error_line_and_the_seeds_log_lines_and_a_queued_repair() throws Exception {
        cli.on(store, "client", "fetch", BOX, "1").failsWith(1, BOX + ": Mailbox has an invalid format; repair requested");

        List<String> log = Mail.log(store);
        assertThat(log).anyMatch(l -> l.matches("^\\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] \\S+ client\\[\\d+]: "
                + "Store Critical: Unable to open mailbox " + BOX + ": .+"));
        assertThat(log).anyMatch(l -> l.matches("^\\[[^]]+] \\S+ client\\[\\d+]: Store Error: " + BOX
                + ": Mailbox has an invalid format; repair requested$"));

        List<String> queue = cli.on(store, "imcheck", "-q").ok().outLines();
        assertThat(queue).hasSize(3);
        assertThat(queue.get(2)).matches(queueRow("Repair"));
    }

    @Test
    @Order(4)
    void impurge_repairs_the_mailbox_logs_repairing_and_every_message_comes_back() throws Exception {
        assertThat(cli.on(store, "impurge", "--exit-when-empty").ok().out()).contains("Repair " + BOX, "rebuilt index and cache: 5 messages");

        assertThat(Mail.log(store)).anyMatch(l -> l.matches("^\\[[^]]+] \\S+ impurge\\[\\d+]: General Notice: repairing " + BOX + "$"));
        assertThat(cli.on(store, "imcheck", "-q").ok().outLines()).hasSize(2);
        for (int uid = 1; uid <= MESSAGES; uid++) {
            assertThat(cli.on(store, "client", "fetch", BOX, Integer.toString(uid)).ok().out()).isEqualTo(originals.get(uid - 1));
        }
        List<String> meta = cli.on(store, "imcheck", "-m", BOX).ok().outLines();
        assertThat(meta).contains("Messages:               5");
        assertThat(meta).noneMatch(l -> l.startsWith("Last repair:") && l.endsWith("never"));
    }

    @Test
    @Order(5)
    void reconstruct_repairs_a_mailbox_whose_index_was_removed_and_the_queued_repair_is_then_skipped() throws Exception {
        Files.delete(mailboxDir.resolve("store.idx"));
        cli.on(store, "imcheck", "-m", BOX).failsWith(1, "Mailbox has an invalid format; repair requested");
        assertThat(Mail.log(store)).anyMatch(l -> l.endsWith("Store Critical: Unable to open mailbox " + BOX + ": Mailbox does not exist"));

        assertThat(cli.on(store, "reconstruct", BOX).ok().out()).isEqualTo(BOX + ": rebuilt index and cache: 5 messages\n");
        assertThat(Mail.log(store)).anyMatch(l -> l.matches("^\\[[^]]+] \\S+ reconstruct\\[\\d+]: General Notice: repairing " + BOX + "$"));
        assertThat(cli.on(store, "reconstruct", "-n", BOX).ok().out()).isEqualTo(BOX + ": ok\n");

        // "Mailboxes that have already been repaired after the enqueue time are ignored."
        assertThat(cli.on(store, "impurge", "--exit-when-empty").ok().out()).contains("Repair " + BOX).containsIgnoringCase("skipped");
    }

    @Test
    @Order(6)
    void a_corruption_found_after_a_repair_is_repaired_although_a_repair_was_still_queued_from_before() throws Exception {
        damageIndex();
        cli.on(store, "client", "fetch", BOX, "1").failsWith(1, "repair requested");
        cli.on(store, "reconstruct", BOX).ok();
        // damaged again after that repair, while the first request is still queued
        damageIndex();
        cli.on(store, "client", "fetch", BOX, "2").failsWith(1, "repair requested");

        assertThat(cli.on(store, "impurge", "--exit-when-empty").ok().out()).contains("Repair " + BOX + " (RecNo ")
                .contains(": done: rebuilt index and cache: 5 messages").doesNotContain("skipped");
        assertThat(cli.on(store, "client", "fetch", BOX, "2").ok().out()).isEqualTo(originals.get(1));
    }

    @Test
    @Order(7)
    void reconstruct_mboxlist_rebuilds_a_lost_mailbox_list_from_the_partitions() throws Exception {
        List<String> before = cli.on(store, "mboxutil", "-l").ok().outLines();
        assertThat(before).hasSize(2);
        org.mstore.store.ClassicStore.deleteRecursively(store.resolve("mboxlist"));

        cli.on(store, "mboxutil", "-l").failsWith(1, "no mboxlist database", "reconstruct --mboxlist");
        assertThat(store.resolve("mboxlist")).doesNotExist();

        assertThat(cli.on(store, "reconstruct", "--mboxlist").ok().out()).isEqualTo("mboxlist rebuilt: 1 mailboxes\n"
                + "no settings to restore (no store.settings with values): the defaults apply\n");
        assertThat(cli.on(store, "mboxutil", "-l").ok().outLines()).isEqualTo(before);
    }
}
