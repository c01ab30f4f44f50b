package org.mstore.cli;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code mstore unexpunge}, one real process per command, on one store (the tests run in order). */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UnexpungeCliTest {
    static final String BOX = "user/alice";
    @TempDir
    static Path dir;
    static Cli cli;
    static Path store;
    static List<String> files;

    @BeforeAll
    static void setUp() throws Exception {
        cli = new Cli(dir);
        store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", BOX).ok();
        files = Mail.messageFiles(dir.resolve("in"), 3);
        List<String> args = new ArrayList<>(List.of("client", "append", BOX));
        args.addAll(files);
        cli.on(store, args.toArray(String[]::new)).ok();
        cli.on(store, "client", "delete", BOX, "2:3").ok();
        cli.on(store, "client", "expunge", BOX).ok();
    }

    @Test
    @Order(1)
    void list_shows_the_expunged_messages_with_sender_and_subject_as_recoverable() {
        List<String> lines = cli.on(store, "unexpunge", BOX, "--list").ok().outLines();
        assertThat(lines.get(0)).startsWith("OLD UID").contains("EXPUNGED", "SIZE", "STATE", "DATE", "FROM", "SUBJECT");
        assertThat(lines).hasSize(4);
        assertThat(lines.get(3)).startsWith("2 expunged: 2 recoverable, 0 recovered, 0 removed; ").endsWith(" bytes of message files waiting for Remove");
        assertThat(lines.get(1)).startsWith("2 ").contains("recoverable", "sender2@example.com", "Message 2");
        assertThat(lines.get(2)).startsWith("3 ").contains("recoverable", "Message 3");
    }

    @Test
    @Order(2)
    void unexpunge_prints_old_uid_to_new_uid_and_the_message_is_back_with_its_bytes() throws Exception {
        assertThat(cli.on(store, "unexpunge", BOX, "2").ok().outLines()).containsExactly("2 -> 4");
        String back = cli.on(store, "client", "fetch", BOX, "4").ok().out();
        assertThat(back.replace("\r\n", "\n").strip()).isEqualTo(Files.readString(Path.of(files.get(1))).replace("\r\n", "\n").strip());
    }

    @Test
    @Order(3)
    void a_second_unexpunge_of_the_same_uid_says_it_was_already_recovered() {
        BadInputCliTestContract.refused(cli, store, 1, "UID 2 of user/alice was already recovered as UID 4", "unexpunge", BOX, "2");
        assertThat(cli.on(store, "unexpunge", BOX, "--list").ok().outLines().get(1)).contains("recovered as UID 4");
    }

    @Test
    @Order(4)
    void all_recovers_what_is_left() {
        assertThat(cli.on(store, "unexpunge", BOX, "--all").ok().outLines()).containsExactly("3 -> 5");
        assertThat(cli.on(store, "unexpunge", BOX, "--all").ok().outLines()).containsExactly("nothing to recover in user/alice");
    }

    @ParameterizedTest(name = "unexpunge {0}")
    @Order(5)
    @CsvSource(delimiter = '|', value = {
            "user/alice           | give a UID set, --all or --list",
            "user/alice 1:x       | invalid UID set '1:x'",
            "user/alice 2 --all   | give a UID set or --all, not both",
            "user/alice --list 2  | --list recovers nothing",
            "user/alice 1         | UID 1 of user/alice is not expunged: it is in the mailbox",
            "user/alice 99        | UID 99 of user/alice does not exist",
            "user/nobody 2        | no such mailbox: user/nobody"})
    void bad_input_is_one_line_on_standard_error_exit_1_and_changes_nothing(String args, String says) {
        List<String> a = new ArrayList<>(List.of("unexpunge"));
        a.addAll(List.of(args.split(" ")));
        BadInputCliTestContract.refused(cli, store, 1, says, a.toArray(String[]::new));
    }

    /** The contract of BadInputCliTest: one line on standard error, the status, nothing changed in the store. */
    static final class BadInputCliTestContract {
        static void refused(Cli cli, Path store, int status, String says, String... args) {
            StoreState before = StoreState.of(store);
            Cli.Result r = cli.on(store, args).failsWith(status, says);
            assertThat(StoreState.of(store)).as(r.describe()).isEqualTo(before);
        }
    }
}
