package org.mstore.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.cli.Main;
import org.mstore.tools.CassandraNode;

/** {@code mstore user} and {@code mstore sessions} as an administrator types them, on a Cassandra store: no refusal. */
@ExtendWith(CassandraFixture.class)
class CassandraUserCommandsTest {
    @TempDir
    Path tmp;

    /** {@code mstore <args>} in this JVM with {@code input} on standard input: exit code, out, err. */
    private static String[] run(String input, String... args) {
        InputStream was = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int rc = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
            return new String[] {Integer.toString(rc), out.toString(), err.toString()};
        } finally {
            System.setIn(was);
        }
    }

    @Test
    void user_and_sessions_commands_work_on_a_cassandra_store() {
        String p = CassandraFixture.newPrefix("ucli");
        String a = tmp.resolve("hostA").toString();
        String b = tmp.resolve("hostB").toString();
        for (String s : new String[] {a, b}) {
            String[] init = run("", "init", "--store", s, "--backend", "cassandra", "--contact-point", CassandraFixture.contactPoint(),
                    "--datacenter", CassandraNode.DATACENTER, "--keyspace-prefix", p);
            assertThat(init[0]).as(init[2]).isEqualTo("0");
        }
        String[] add = run("a fine password\n", "user", "add", "carol", "--store", a);
        assertThat(add[0]).as(add[2]).isEqualTo("0");
        assertThat(add[1]).contains("added user carol");
        assertThat(run("another password\n", "user", "add", "carol", "--store", b)[2]).contains("already exists");
        assertThat(run("", "user", "list", "--store", b)[1]).contains("carol"); // another host's directory, the same users
        String[] passwd = run("a better password\n", "user", "passwd", "carol", "--store", b);
        assertThat(passwd[0]).as(passwd[2]).isEqualTo("0");
        String[] sessions = run("", "sessions", "--store", a);
        assertThat(sessions[0]).as(sessions[2]).isEqualTo("0");
        assertThat(sessions[1]).contains("0 sessions");
        String[] del = run("", "user", "del", "carol", "--store", a);
        assertThat(del[0]).as(del[2]).isEqualTo("0");
        assertThat(run("", "user", "list", "--store", b)[1]).doesNotContain("carol");
    }
}
