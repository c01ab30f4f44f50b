package org.mstore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input, each on its own: one line on standard error that names what was wrong, a non-zero status
 * (2 for a usage error, 1 for a refused request), nothing on standard output, and nothing changed: every
 * file of the store and every row of its mboxlist database are the same before and after.
 */
class BadInputCliTest {
    static final String BOX = "user/alice";

    @TempDir
    static Path dir;
    static Cli cli;
    static Path store;
    static Path goodMessage;

    @BeforeAll
    static void setUp() throws Exception {
        cli = new Cli(dir);
        store = dir.resolve("store");
        cli.on(store, "init").ok();
        cli.on(store, "mboxutil", "-c", BOX).ok();
        List<String> files = Mail.messageFiles(dir.resolve("in"), 3);
        goodMessage = Path.of(files.get(0));
        List<String> args = new ArrayList<>(List.of("client", "append", BOX));
        args.addAll(files);
        cli.on(store, args.toArray(String[]::new)).ok();
    }

    /** Runs {@code mstore <args> --store <store>} and checks the failure contract, and that nothing changed. */
    static Cli.Result refused(int status, String[] errContains, String... args) {
        StoreState before = StoreState.of(store);
        Cli.Result r = cli.on(store, args).failsWith(status, errContains);
        assertThat(StoreState.of(store)).as(r.describe()).isEqualTo(before);
        return r;
    }

    static String[] says(String... s) {
        return s;
    }

    // ---------------------------------------------------------------- settings

    @ParameterizedTest(name = "msconfig set {0} {1}")
    @CsvSource(delimiter = '|', value = {
            "store.purge.percentage | 150         | is out of range",
            "store.purge.percentage | -1          | is out of range",
            "store.purge.percentage | abc         | is not a number",
            "store.purge.window     | 25:00-26:00 | empty or HH:MM-HH:MM",
            "store.cleanupsize      | -5          | is negative",
            "store.cleanupage       | -1h         | is negative",
            "store.message.maxsize  | -1M         | is negative"})
    void msconfig_set_refuses_a_bad_value_naming_the_option_and_the_allowed_values(String option, String value, String why) {
        refused(1, says(option, "'" + value + "'", why, "allowed"), "msconfig", "set", option, value);
    }

    @Test
    void msconfig_refuses_an_unknown_option_and_lists_the_known_ones() {
        refused(1, says("unknown option 'store.nosuch'", "store.cleanupsize"), "msconfig", "set", "store.nosuch", "1");
    }

    // ---------------------------------------------------------------- mailbox names

    @ParameterizedTest(name = "mboxutil -c {0}")
    @ValueSource(strings = {"user/../etc", "/abs", "user/a//b", "user/a\u0007b", "user/", "user/alice/../../x"})
    void mboxutil_c_refuses_a_bad_mailbox_name_and_creates_nothing(String name) {
        Path partition = store.resolve("partition/primary");
        List<String> outside = List.of("etc", "abs", "x");
        refused(1, says("invalid mailbox name"), "mboxutil", "-c", name);
        for (String o : outside) {
            assertThat(partition.resolve(o)).doesNotExist();
            assertThat(store.resolve(o)).doesNotExist();
            assertThat(dir.resolve(o)).doesNotExist();
        }
    }

    @Test
    void a_folder_needs_its_users_inbox() {
        refused(1, says("user/bob/Sent", "user/bob does not exist"), "mboxutil", "-c", "user/bob/Sent");
    }

    @Test
    void mboxutil_c_refuses_a_partition_that_does_not_exist() {
        refused(1, says("no partition 'typo'", "primary"), "mboxutil", "-c", "user/bob", "-p", "typo");
        assertThat(store.resolve("partition/typo")).doesNotExist();
    }

    @Test
    void commands_on_a_mailbox_that_does_not_exist_fail() {
        refused(1, says("no such mailbox: user/nobody"), "client", "append", "user/nobody", goodMessage.toString());
    }

    // ---------------------------------------------------------------- UID sets

    @ParameterizedTest(name = "client delete user/alice {0}")
    @ValueSource(strings = {"0", "1:x", "1::2", "3,,4"})
    void client_delete_refuses_a_bad_uid_set(String set) {
        refused(1, says("invalid UID set '" + set + "'"), "client", "delete", BOX, set);
    }

    @Test
    void client_fetch_of_a_uid_that_is_not_there_fails() {
        refused(1, says("no message with UID 99 in " + BOX), "client", "fetch", BOX, "99");
    }

    // ---------------------------------------------------------------- files to append

    @Test
    void client_append_with_a_missing_file_appends_none_of_the_files() {
        Path missing = dir.resolve("in/missing.eml");
        refused(1, says("no such file: " + missing), "client", "append", BOX, goodMessage.toString(), missing.toString());
    }

    @Test
    void client_append_refuses_an_empty_file() throws Exception {
        Path empty = Files.createFile(dir.resolve("in/empty.eml"));
        refused(1, says(empty + " is empty"), "client", "append", BOX, empty.toString());
    }

    @Test
    void client_append_refuses_a_file_that_is_not_a_message() throws Exception {
        Path binary = dir.resolve("random.bin");
        byte[] noise = new byte[100 * 1024];
        new java.util.Random(7).nextBytes(noise);
        Files.write(binary, noise);
        refused(1, says(binary.toString(), "is not a message"), "client", "append", BOX, binary.toString());
        Path text = dir.resolve("note.txt");
        Files.writeString(text, "Dear diary,\nno headers here.\n");
        refused(1, says(text.toString(), "line 1 of its header is not a header field"), "client", "append", BOX, text.toString());
    }

    @Test
    void client_append_refuses_a_message_over_store_message_maxsize() throws Exception {
        Path big = dir.resolve("big.eml");
        Files.writeString(big, "Subject: big\r\n\r\n" + "x".repeat(3000));
        cli.on(store, "msconfig", "set", "store.message.maxsize", "2K").ok();
        try {
            refused(1, says(big.toString(), "over store.message.maxsize"), "client", "append", BOX, big.toString());
        } finally {
            cli.on(store, "msconfig", "reset", "store.message.maxsize").ok();
        }
    }

    @Test
    void migrate_refuses_a_target_backend_that_cannot_take_uids_and_makes_nothing() {
        Path target = dir.resolve("migrated-classic");
        cli.on(store, "migrate", "--to", "classic", "--target", target.toString())
                .failsWith(1, "--to classic: a classic store cannot take messages with their UIDs; migrate copies into a cassandra store");
        assertThat(target).doesNotExist();
    }

    @Test
    void an_empty_store_option_is_refused_not_taken_for_the_current_directory() {
        cli.run("imcheck", "-q", "--store", "").failsWith(1, "--store needs a directory");
        cli.run("init", "--store", "").failsWith(1, "--store needs a directory");
    }

    @Test
    void client_append_refuses_a_directory() {
        refused(1, says(dir.resolve("in") + " is a directory"), "client", "append", BOX, dir.resolve("in").toString());
    }

    // ---------------------------------------------------------------- rule files

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "unknown attribute | Old.folderpattern: user/*\\nOld.colour: red                 | 2 | unknown attribute 'colour'",
            "no folderpattern  | Old.messagedays: 3                                      | 1 | rule Old has no folderpattern",
            "bad number        | # keep a week\\nOld.folderpattern: user/*\\nOld.messagedays: seven | 3 | messagedays must be a whole number: 'seven'"})
    void imexpire_refuses_a_bad_rule_file_naming_the_file_and_line(String what, String text, int line, String why) throws Exception {
        Path rules = Mail.write(dir.resolve("rules/" + what.replace(' ', '-') + ".rules"), text.replace("\\n", "\n") + "\n");
        refused(1, says(rules + ":" + line + ": " + why), "imexpire", "-f", rules.toString());
    }

    // ---------------------------------------------------------------- usage

    @Test
    void an_unknown_command_is_a_usage_error() {
        refused(2, says("unknown command 'imfrob'", "imcheck"), "imfrob", "-q");
    }

    @Test
    void an_unknown_option_is_a_usage_error() {
        refused(2, says("Unknown option: '--frob'"), "imcheck", "-q", "--frob");
    }

    @Test
    void client_without_its_command_is_a_usage_error() {
        refused(2, says("missing command", "append, delete, undelete, expunge, fetch"), "client");
    }

    @Test
    void a_uid_that_is_not_a_number_is_a_usage_error() {
        refused(2, says("'abc' is not an int"), "client", "fetch", BOX, "abc");
    }

    @Test
    void impurge_until_refuses_a_time_that_does_not_exist() {
        refused(1, says("'25:00' is not a time; use HH:MM"), "impurge", "--until", "25:00");
    }

    @Test
    void a_command_without_a_store_says_how_to_name_one() {
        Cli.Result r = cli.run("imcheck", "-q").failsWith(1, "no store given", "--store");
        assertThat(r.err()).doesNotContain("Exception");
    }

    // ---------------------------------------------------------------- directories that are not stores

    @Test
    void commands_on_a_directory_that_is_not_a_store_fail_and_create_nothing() throws Exception {
        Path notAStore = Files.createDirectories(dir.resolve("not-a-store"));
        Mail.write(notAStore.resolve("notes.txt"), "not a store\n");
        var before = StoreState.files(notAStore);

        cli.on(notAStore, "imcheck", "-q").failsWith(1, "no mboxlist database in " + notAStore, "init");
        cli.on(notAStore, "reconstruct", "--mboxlist").failsWith(1, "no store at " + notAStore);
        cli.on(notAStore.resolve("nowhere"), "mboxutil", "-l").failsWith(1, "no store at " + notAStore.resolve("nowhere"));

        assertThat(StoreState.files(notAStore)).isEqualTo(before);
        assertThat(notAStore.resolve("nowhere")).doesNotExist();
        try (var s = Files.list(notAStore)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("notes.txt");
        }
    }

    @Test
    void init_refuses_a_directory_that_is_not_empty_and_leaves_it_as_it_was() throws Exception {
        Path busy = Files.createDirectories(dir.resolve("busy"));
        Mail.write(busy.resolve("keep.txt"), "mine\n");

        cli.on(busy, "init").failsWith(1, "cannot create a store at " + busy, "not empty");

        try (var s = Files.list(busy)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("keep.txt");
        }
    }

    @Test
    void init_refuses_an_existing_store() {
        refused(1, says("a store already exists at " + store), "init");
    }
}
