package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Cassandra store whose node cannot be reached: {@code init} says so in one line and leaves nothing behind, so that
 * the same command, once the node is up, can make the store there (no node is started: port 1 on loopback refuses).
 */
class UnreachableCassandraCliTest {
    @TempDir
    Path dir;

    @Test
    void init_on_an_unreachable_node_says_so_and_leaves_nothing_behind() throws Exception {
        Cli cli = new Cli(dir);
        Path store = dir.resolve("store");

        Cli.Result r = cli.run("init", "--backend", "cassandra", "--contact-point", "127.0.0.1:1", "--datacenter", "dc1",
                "--store", store.toString()).failsWith(1, "127.0.0.1:1");

        assertThat(r.err().strip()).doesNotContain("\n").isNotEqualTo("mstore init: " + store);
        assertThat(store).doesNotExist();
        cli.on(store, "init").ok(); // nothing in the way of a store made there after all
    }
}
