package org.mstore.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.cli.Main;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bench command works and what it times really happens: checked on a tiny mailbox, on correctness only
 * (speed is measured by {@code bench} itself, never asserted in a test).
 */
class BenchmarkTest {
    @TempDir
    Path tmp;

    @Test
    void bench_runs_every_part_and_the_lifecycle_it_times_really_runs() throws Exception {
        StringWriter text = new StringWriter();
        Benchmark.Config cfg = new Benchmark.Config(500, tmp.resolve("b"), false, false, 2, EnumSet.allOf(Benchmark.Part.class), 3,
                1000, 100, false);
        Benchmark.Report r = new Benchmark(cfg, new PrintWriter(text)).run();

        assertThat(r.generation().messages()).isEqualTo(500);
        assertThat(r.reconstruct()).hasSize(2).allSatisfy(x -> assertThat(x.messages()).isEqualTo(500));
        assertThat(r.lifecycle()).hasSize(2).allSatisfy(l -> {
            assertThat(l.flagged()).isEqualTo(50);
            assertThat(l.expunged()).isEqualTo(50);
            assertThat(l.filesRemoved()).isEqualTo(50);
            assertThat(l.messagesAfter()).isEqualTo(450);
            assertThat(l.ran()).containsExactly("Clean DONE", "Remove DONE", "Purge DONE");
            assertThat(l.tasks()).containsOnlyKeys(Action.CLEAN, Action.REMOVE, Action.PURGE);
            assertThat(l.cacheAfter()).isLessThan(l.cacheBefore());
        });
        assertThat(r.purge()).hasSize(2).allSatisfy(p -> assertThat(p.bytes()).isEqualTo(r.lifecycle().get(0).cacheBefore()));
        assertThat(r.enqueue()).hasSize(2).allSatisfy(e -> {
            assertThat(e.entries()).isEqualTo(1000);
            assertThat(e.single()).isEqualTo(100);
        });
        assertThat(text.toString()).contains("reconstruct", "lifecycle", "Purge cache rewrite", "raw JDBC batch");
        assertThat(tmp.resolve("b").resolve("store")).doesNotExist();
    }

    @Test
    void bench_command_keeps_the_store_for_reuse_and_runs_only_the_parts_asked_for() {
        Path dir = tmp.resolve("k");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(new String[] {"bench", "--messages", "200", "--rounds", "1", "--only", "lifecycle", "--dir", dir.toString(),
                "--keep"}, new PrintWriter(out), new PrintWriter(err));
        assertThat(rc).as(err.toString()).isZero();
        assertThat(out.toString()).contains("lifecycle:").doesNotContain("reconstruct:", "enqueue:");
        assertThat(Files.isDirectory(dir.resolve("store"))).isTrue();

        StringWriter again = new StringWriter();
        rc = Main.run(new String[] {"bench", "--reuse", "--rounds", "1", "--only", "reconstruct,enqueue", "--enqueue", "300", "--single", "0",
                "--dir", dir.toString()}, new PrintWriter(again), new PrintWriter(err));
        assertThat(rc).as(err.toString()).isZero();
        assertThat(again.toString()).contains("reusing", "reconstruct: 200 messages", "enqueue:");
        assertThat(dir.resolve("store")).doesNotExist();
    }

    @Test
    void bench_refuses_bad_options() {
        StringWriter err = new StringWriter();
        int rc = Main.run(new String[] {"bench", "--only", "nonsense"}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertThat(rc).isNotZero();
        assertThat(err.toString()).contains("unknown benchmark part 'nonsense'");
    }
}
