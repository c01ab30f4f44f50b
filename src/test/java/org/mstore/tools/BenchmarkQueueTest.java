package org.mstore.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bench --drain} works and what it times really happens, on tiny queues: checked on correctness only (the
 * benchmark checks each drain itself; speed is measured by it, never asserted in a test).
 */
class BenchmarkQueueTest {
    @TempDir
    Path tmp;

    @Test
    void bench_drain_drains_every_kind_at_every_depth_and_times_imcheck_as_a_process() throws Exception {
        StringWriter text = new StringWriter();
        BenchmarkQueue.Config cfg = new BenchmarkQueue.Config(List.of(30, 300), EnumSet.allOf(BenchmarkQueue.Kind.class), tmp.resolve("q"),
                false, true, "128m", 50, 1);
        BenchmarkQueue.Report r = new BenchmarkQueue(cfg, new PrintWriter(text)).run();
        assertThat(r.drains()).extracting(BenchmarkQueue.Drain::kind, BenchmarkQueue.Drain::depth).containsExactly(
                org.assertj.core.groups.Tuple.tuple(BenchmarkQueue.Kind.DROPPED, 30), org.assertj.core.groups.Tuple.tuple(BenchmarkQueue.Kind.DROPPED, 300),
                org.assertj.core.groups.Tuple.tuple(BenchmarkQueue.Kind.SKIPPED, 30), org.assertj.core.groups.Tuple.tuple(BenchmarkQueue.Kind.SKIPPED, 300));
        assertThat(r.imcheck()).singleElement().satisfies(i -> assertThat(i.lines()).isEqualTo(302));
        assertThat(text.toString()).contains("warm-up", "dropped", "skipped", "imcheck -q", "a pick with Purge paused", "commit order");
        assertThat(tmp.resolve("q")).isEmptyDirectory(); // the stores are deleted unless kept
    }
}
