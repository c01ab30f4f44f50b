package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** {@code imexpire} with a rule file: a trial run ({@code -n}) reports and changes nothing; a real run expunges. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImexpireCliTest {
    static final String SENT = "user/user0001/Sent";

    @TempDir
    static Path dir;
    static Cli cli;
    static Path store;
    static Path rules;
    static List<String> listBefore;

    @BeforeAll
    static void setUp() throws Exception {
        cli = new Cli(dir);
        store = dir.resolve("store");
        // user/user0001 with Sent and Drafts, 10 messages in each
        cli.on(store, "generate", "--users", "1", "--folders", "2", "--messages", "10", "--seed", "3").ok();
        rules = Mail.write(dir.resolve("expire.rules"), """
                # keep the 4 newest messages of every Sent folder
                Trim.folderpattern: user/%/Sent
                Trim.messagecount: 4
                """);
    }

    static String row(List<String> list, String mailbox) {
        return list.stream().filter(l -> l.startsWith(mailbox + " ")).findFirst().orElseThrow(() -> new AssertionError(mailbox + " in " + list));
    }

    @Test
    @Order(1)
    void imexpire_n_reports_what_would_expire_and_changes_nothing() {
        StoreState before = StoreState.of(store);

        Cli.Result r = cli.on(store, "imexpire", "-f", rules.toString(), "-n").ok();

        assertThat(r.outLines()).hasSize(2);
        assertThat(r.outLines().get(0)).startsWith("would expire " + SENT + ": 6 messages, ").endsWith("(rules: Trim)");
        assertThat(r.outLines().get(1)).startsWith("trial run: 6 messages would expire; nothing changed");
        assertThat(StoreState.of(store)).isEqualTo(before);
    }

    @Test
    @Order(2)
    void imexpire_expunges_the_matching_messages_and_raises_expunged() throws Exception {
        listBefore = cli.on(store, "mboxutil", "-l").ok().outLines();

        Cli.Result r = cli.on(store, "imexpire", "-f", rules.toString()).ok();

        assertThat(r.outLines().get(0)).startsWith("expired " + SENT + ": 6 messages, ");
        List<String> after = cli.on(store, "mboxutil", "-l").ok().outLines();
        assertThat(row(after, SENT).split("\\s+")).containsExactly(SENT, "primary", "4", row(after, SENT).split("\\s+")[3], "6");
        assertThat(Long.parseLong(row(after, SENT).split("\\s+")[3])).isLessThan(Long.parseLong(row(listBefore, SENT).split("\\s+")[3]));
        assertThat(row(after, "user/user0001")).isEqualTo(row(listBefore, "user/user0001"));
        assertThat(row(after, "user/user0001/Drafts")).isEqualTo(row(listBefore, "user/user0001/Drafts"));
        assertThat(Mail.log(store)).anyMatch(l -> l.matches("^\\[[^]]+] \\S+ imexpire\\[\\d+]: Store Notice: " + SENT
                + ": expired 6 messages .*by rule Trim$"));
    }
}
