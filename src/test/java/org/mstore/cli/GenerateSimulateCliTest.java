package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo tools: {@code generate} is deterministic, {@code simulate} keeps users busy so the mailboxes and
 * the queue move, and a scheduled {@code impurge --until HH:MM --exit-when-empty} drains what they queued.
 * Steps of one scenario, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GenerateSimulateCliTest {
    @TempDir
    static Path dir;
    static Cli cli;
    static Path a;
    static List<String> generated;

    @BeforeAll
    static void setUp() {
        cli = new Cli(dir);
        a = dir.resolve("a");
    }

    static String[] generate(long seed) {
        return new String[] {"generate", "--users", "3", "--folders", "2", "--messages", "15", "--seed", Long.toString(seed)};
    }

    @Test
    @Order(1)
    void generate_with_the_same_seed_gives_the_same_mailboxes_and_sizes() {
        Path b = dir.resolve("b");
        Path c = dir.resolve("c");
        assertThat(cli.on(a, generate(42)).ok().out()).startsWith("generated 9 mailboxes, 135 messages");
        cli.on(b, generate(42)).ok();
        cli.on(c, generate(43)).ok();

        generated = cli.on(a, "mboxutil", "-l").ok().outLines();
        assertThat(generated).hasSize(10);
        assertThat(generated.get(1)).startsWith("user/user0001 ");
        assertThat(cli.on(b, "mboxutil", "-l").ok().outLines()).isEqualTo(generated);
        assertThat(cli.on(c, "mboxutil", "-l").ok().outLines()).as("another seed, other sizes").isNotEqualTo(generated);
    }

    @Test
    @Order(2)
    void simulate_changes_the_mailboxes_and_fills_the_queue_then_exits_0() {
        cli.on(a, "msconfig", "set", "store.cleanupsize", "3").ok();

        Cli.Result r = cli.on(a, "simulate", "--rate", "50", "--seconds", "2").ok();

        assertThat(r.out()).contains("simulate: done: ");
        assertThat(r.millis()).isGreaterThanOrEqualTo(2000);
        assertThat(cli.on(a, "mboxutil", "-l").ok().outLines()).hasSize(10).isNotEqualTo(generated);
        List<String> queue = cli.on(a, "imcheck", "-q").ok().outLines();
        assertThat(queue.size()).as("Clean entries queued by the simulated expunges").isGreaterThan(2);
        assertThat(queue.subList(2, queue.size())).allMatch(l -> l.matches("\\d+ +user/user000[1-3]\\S* +\\d{14} (Clean|Purge)"));
    }

    @Test
    @Order(3)
    void impurge_until_with_exit_when_empty_drains_the_queue_before_the_end_of_its_window() {
        String until = LocalTime.now().plusMinutes(30).format(DateTimeFormatter.ofPattern("HH:mm"));

        Cli.Result r = cli.on(a, "impurge", "--until", until, "--exit-when-empty").ok();

        assertThat(r.out()).contains("Clean user/user000").contains("impurge: stopped: ");
        List<String> queue = cli.on(a, "imcheck", "-q").ok().outLines();
        assertThat(queue.subList(2, queue.size())).as("only Remove entries, due after store.cleanupage")
                .isNotEmpty().allMatch(l -> l.endsWith(" Remove"));
    }
}
