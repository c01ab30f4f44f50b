package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.fs.CrashPoint;

/**
 * An expunge killed between its commit (the index renamed) and its cache records' 'E' marks, then the loss of both
 * {@code store.idx} and {@code store.exp}: the Repair had nothing left that said the messages were expunged, and
 * served them again. The expunge now marks the records 'P' before it commits, and a Repair holds a 'P' message back
 * as recoverable, not served.
 */
class ExpungeMarksCrashTest {
    static final String BOX = "user/alice";
    static final Set<Integer> EXPUNGED = Set.of(3, 7);

    @TempDir
    Path dir;

    @Test
    void an_expunge_killed_between_its_commit_and_its_marks_stays_unserved_when_the_index_and_expunge_list_are_lost()
            throws Exception {
        Cli cli = new Cli(dir);
        Path store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", BOX).ok();
        List<String> files = new ArrayList<>();
        for (int u = 1; u <= 10; u++) {
            Path m = dir.resolve(u + ".eml");
            Files.writeString(m, "From: a@example.org\r\nSubject: message " + u + "\r\n\r\nbody " + u + "\r\n", StandardCharsets.UTF_8);
            files.add(m.toString());
        }
        List<String> append = new ArrayList<>(List.of("client", "append", BOX));
        append.addAll(files);
        cli.on(store, append.toArray(String[]::new)).ok();
        cli.on(store, "client", "delete", BOX, "3,7").ok();

        Cli.Result halted = cli.withJvm(List.of("-Dmstore.crashpoint=expunge.after-index-renamed"), store, "client", "expunge", BOX);
        assertThat(halted.exit()).as(halted.err()).isEqualTo(CrashPoint.EXIT_STATUS);
        Path box;
        try (Stream<Path> w = Files.walk(store.resolve("partition"))) {
            box = w.filter(p -> p.getFileName().toString().equals("store.idx")).findFirst().orElseThrow().getParent();
        }
        Files.delete(box.resolve("store.idx"));
        Files.delete(box.resolve("store.exp"));

        cli.on(store, "reconstruct", BOX).ok();

        for (int u = 1; u <= 10; u++) {
            Cli.Result fetch = cli.on(store, "client", "fetch", BOX, String.valueOf(u));
            if (EXPUNGED.contains(u)) {
                assertThat(fetch.exit()).as("UID %d was expunged: %s", u, fetch.out()).isNotZero();
            } else {
                assertThat(fetch.ok().out()).as("UID %d", u).isEqualTo(Files.readString(Path.of(files.get(u - 1))));
            }
        }
        String list = cli.on(store, "unexpunge", "--list", BOX).ok().out();
        for (int u : EXPUNGED) {
            assertThat(list).containsPattern("(?m)^" + u + " .*recoverable");
        }
        assertThat(list).contains("2 recoverable");
    }
}
