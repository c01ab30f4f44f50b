package org.mstore.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mstore.api.InvalidMailboxNameException;
import org.mstore.api.MailboxName;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SPEC §1: mailbox names are validated; a bad name is a clear error, never a file outside the store. */
class MailboxNameTest {
    @TempDir
    Path tmp;

    private static void assertRefused(String name, String reason) {
        assertThatThrownBy(() -> MailboxName.parse(name))
                .isInstanceOf(InvalidMailboxNameException.class)
                .hasMessageContaining(reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {"user/alice/..", "user/alice/../bob", "user/alice/Trash/../../bob", "user/alice/./x"})
    void a_dot_or_dotdot_component_is_refused_naming_the_input(String name) {
        assertRefused(name, "invalid mailbox name '" + name + "'");
        assertRefused(name, "component");
    }

    @Test
    void a_user_named_dotdot_is_refused() {
        assertRefused("user/..", "invalid mailbox name 'user/..'");
        assertRefused("user/../etc", "user name must start with a letter or digit");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/user/alice", "/etc/passwd", "/"})
    void an_absolute_path_is_refused_naming_the_input(String name) {
        assertRefused(name, "invalid mailbox name '" + name + "': is an absolute path");
    }

    @Test
    void control_characters_are_refused_naming_the_input_in_printable_form() {
        assertRefused("user/alice/a\u0000b", "invalid mailbox name 'user/alice/a\\u0000b': contains a control character at position 13");
        assertRefused("user/alice/new\nline", "'user/alice/new\\u000aline'");
        assertRefused("user/alice/tab\tbed", "control character");
        assertRefused("user/alice/del\u007f", "control character");
        assertRefused("user/alice/ls\u2028x", "control character");
    }

    @Test
    void a_backslash_is_refused_naming_the_input() {
        assertRefused("user/alice\\..\\bob", "invalid mailbox name 'user/alice\\..\\bob': contains a backslash");
    }

    @ParameterizedTest
    @ValueSource(strings = {"user/alice//Trash", "user/alice/", "user/alice/Trash/", "user//alice", "user/", ""})
    void empty_components_are_refused_naming_the_input(String name) {
        assertRefused(name, "invalid mailbox name '" + name + "'");
    }

    @Test
    void over_long_names_folders_and_users_are_refused() {
        String longName = "user/alice/" + "x".repeat(MailboxName.MAX_LENGTH);
        assertRefused(longName, "longer than " + MailboxName.MAX_LENGTH + " characters");
        assertRefused(longName, "invalid mailbox name 'user/alice/xxx");
        String longUser = "user/" + "u".repeat(MailboxName.MAX_USER_LENGTH + 1);
        assertRefused(longUser, "user name longer than " + MailboxName.MAX_USER_LENGTH + " characters");
        String longFolder = "user/alice/" + "\u00e9".repeat(MailboxName.MAX_COMPONENT_BYTES / 2 + 1); // 2 bytes each in UTF-8
        assertRefused(longFolder, "folder name longer than " + MailboxName.MAX_COMPONENT_BYTES + " bytes");
        // the limits themselves are fine
        assertThat(MailboxName.isValid("user/" + "u".repeat(MailboxName.MAX_USER_LENGTH))).isTrue();
        assertThat(MailboxName.isValid("user/alice/" + "f".repeat(MailboxName.MAX_COMPONENT_BYTES))).isTrue();
    }

    @Test
    void names_outside_the_user_namespace_are_refused() {
        assertRefused("alice", "must start with user/<user>");
        assertRefused("shared/alice", "must start with user/<user>");
        assertRefused("user/al ice", "user name may only contain");
        assertRefused("user/alice/ Trash", "starts or ends with white space");
    }

    @Test
    void a_valid_name_never_resolves_outside_the_partition() {
        ClassicStore layout = new ClassicStore(tmp.resolve("store"));
        Path partition = layout.partitionRoot(ClassicStore.DEFAULT_PARTITION);
        List<String> tricky = List.of("user/alice", "user/a.b", "user/alice/..x", "user/alice/x..", "user/alice/...",
                "user/alice/.hidden", "user/alice/=user", "user/alice/folders", "user/alice/store.idx", "user/alice/0a",
                "user/alice/Trash/Sub/Deeper", "user/alice/%*?", "user/alice/\u00e9t\u00e9", "user/alice/a:b", "user/1@x.org/y");
        for (String n : tricky) {
            MailboxName name = MailboxName.parse(n);
            Path dir = layout.mailboxDir(ClassicStore.DEFAULT_PARTITION, name);
            Path raw = partition.resolve(name.relativeDir());
            assertThat(dir).as(n).startsWithRaw(partition).isEqualTo(raw.normalize()).isEqualTo(raw);
            assertThat(partition.relativize(dir).getName(0).toString()).as(n).isEqualTo("=user");
        }
    }

    @Test
    void from_relative_dir_inverts_relative_dir() {
        for (String n : List.of("user/alice", "user/alice/Trash", "user/alice/Trash/2024/Q1", "user/b.o-b_1@x+y/Sent",
                "user/alice/folders", "user/alice/folders/folders", "user/alice/0a", "user/alice/\u00e9t\u00e9")) {
            MailboxName name = MailboxName.parse(n);
            assertThat(MailboxName.fromRelativeDir(name.relativeDir())).as(n).isEqualTo(name);
        }
        // paths that are not a mailbox's own directory are not mistaken for one
        MailboxName alice = MailboxName.parse("user/alice");
        assertThat(MailboxName.fromRelativeDir(alice.relativeDir() + "/0a")).isNull();
        assertThat(MailboxName.fromRelativeDir(alice.relativeDir() + "/folders")).isNull();
        assertThat(MailboxName.fromRelativeDir("=user/00/00/=alice")).isNull(); // wrong hash directories
        assertThat(MailboxName.fromRelativeDir(alice.relativeDir().replace("=alice", "=../x"))).isNull();
    }

    @Test
    void a_refused_name_creates_nothing_on_disk() throws Exception {
        try (TestStore s = TestStore.create(tmp)) {
            s.mailbox("user/alice");
            List<Path> before;
            try (Stream<Path> w = Files.walk(tmp)) {
                before = w.sorted().toList();
            }
            for (String bad : List.of("user/alice/../../../../escape", "/tmp/escape", "user/alice/a\\b", "user/alice//x")) {
                assertThatThrownBy(() -> s.engine.mailboxes().create(bad, ClassicStore.DEFAULT_PARTITION))
                        .isInstanceOf(InvalidMailboxNameException.class).hasMessageContaining(bad);
            }
            try (Stream<Path> w = Files.walk(tmp)) {
                List<Path> after = w.sorted().filter(p -> !p.startsWith(s.root.resolve("mboxlist")) && !p.startsWith(s.root.resolve("log"))).toList();
                assertThat(after).isSubsetOf(before);
            }
            assertThat(Files.exists(tmp.getRoot().resolve("tmp/escape"))).isFalse();
        }
    }
}
