package org.mstore.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The process that owns a store's database exits (or is killed) while two others keep writing and reading: one of
 * them takes the database over, both carry on. Real processes ({@link DatabaseWorker}); each worker reports the
 * longest pause between two of its units of work, which is the hand-over time (printed for docs/security.md).
 */
class OwnerHandOverTest {
    static final Pattern SUMMARY = Pattern.compile("ops (\\d+) errors (\\d+) lost (\\d+) longest-gap-ms (\\d+) owner=(true|false).*");
    static final String WORK_MILLIS = "8000";

    Processes processes;
    String store;

    @BeforeEach
    void setUp() throws Exception {
        processes = new Processes();
        store = processes.base.resolve("store").toString();
        processes.mstore("init", "--store", store).ok();
    }

    @AfterEach
    void tearDown() throws Exception {
        processes.close();
    }

    record Summary(long ops, long errors, long lost, long longestGapMs, boolean owner, List<String> errorLines) {
    }

    static Summary summary(Processes.Background worker) {
        List<String> lines = worker.out().lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = SUMMARY.matcher(lines.get(i));
            if (m.matches()) {
                return new Summary(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                        Long.parseLong(m.group(4)), m.group(5).equals("true"), lines.subList(i + 1, lines.size()));
            }
        }
        throw new AssertionError("no summary from the worker: " + worker.out() + worker.err());
    }

    /** Starts the owner and two workers, lets them work, then ends the owner; returns the workers' summaries. */
    List<Summary> handOver(boolean crash) throws Exception {
        Processes.Background owner = crash ? processes.worker("hold", store, "crash") : processes.worker("hold", store);
        owner.awaitOutput("ready owner=true");
        Processes.Background w1 = processes.worker("work", store, WORK_MILLIS, "w1");
        Processes.Background w2 = processes.worker("work", store, WORK_MILLIS, "w2");
        w1.awaitOutput("ready");
        w2.awaitOutput("ready");
        Thread.sleep(1000);
        assertThat(w1.process().isAlive() && w2.process().isAlive()).as("both still working when the owner goes").isTrue();

        owner.release();
        assertThat(owner.awaitExit()).as(owner.out() + owner.err()).isEqualTo(crash ? 3 : 0);
        assertThat(w1.awaitExit()).as(w1.out() + w1.err()).isZero();
        assertThat(w2.awaitExit()).as(w2.out() + w2.err()).isZero();
        List<Summary> s = List.of(summary(w1), summary(w2));
        System.out.println("[security] hand-over after the owner " + (crash ? "was killed" : "exited") + ": longest pause "
                + s.get(0).longestGapMs() + " ms and " + s.get(1).longestGapMs() + " ms (" + owner.out().strip().replace('\n', ' ') + ")");
        assertThat(s).as("one of them took the database over (the other may have had it from the first, if it finished last)")
                .filteredOn(Summary::owner).isNotEmpty();
        assertThat(s).allMatch(x -> x.ops() > 0);
        return s;
    }

    @Test
    void a_second_process_carries_on_when_the_owner_exits() throws Exception {
        List<Summary> s = handOver(false);
        assertThat(s).as("no unit of work failed, no commit lost").allMatch(x -> x.errors() == 0 && x.lost() == 0, "errors 0, lost 0");
        // H2's AUTO_SERVER waited ~4 s on its lock file on top of the same take-over work; without load the pause here
        // is a few hundred ms, with the 2 cores shared by a load average of 13 we saw up to 3.3 s: a bound with room
        assertThat(s).as("the pause while the owner changes").allMatch(x -> x.longestGapMs() < 5000, "under 5 s");
    }

    @Test
    void a_second_process_carries_on_when_the_owner_is_killed() throws Exception {
        List<Summary> s = handOver(true);
        // a commit cut off by the kill cannot be known to have happened: that, and only that, is reported
        for (Summary x : s) {
            assertThat(x.errors()).as(x.toString()).isLessThanOrEqualTo(1);
            assertThat(x.errorLines()).as(x.toString()).allMatch(l -> l.contains("may or may not have been saved") || l.startsWith("lost: "));
        }
        // Not a promise of this design: H2 writes commits out every 500 ms (WRITE_DELAY), so a killed owner takes the
        // last ones it answered with it (docs/security.md, "Out of scope"). Counted, so that the figure is seen.
        System.out.println("[security] commits answered by the killed owner and lost: " + (s.get(0).lost() + s.get(1).lost()));
    }
}
