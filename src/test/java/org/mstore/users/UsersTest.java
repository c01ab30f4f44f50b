package org.mstore.users;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.InvalidMailboxNameException;
import org.mstore.api.NoSuchUserException;
import org.mstore.testing.TestStore;

/** Mail users: slow salted hashes only, an INBOX each, subscriptions of their own, a passwd file that survives the database. */
class UsersTest {
    @TempDir
    Path dir;

    @Test
    void a_password_is_kept_only_as_a_pbkdf2_hash_with_its_own_salt() {
        String a = Passwords.hash("secret words".toCharArray());
        String b = Passwords.hash("secret words".toCharArray());
        assertThat(a).startsWith("pbkdf2-sha256$210000$").isNotEqualTo(b);
        assertThat(Passwords.verify("secret words".toCharArray(), a)).isTrue();
        assertThat(Passwords.verify("secret word".toCharArray(), a)).isFalse();
        assertThat(Passwords.verify("secret words".toCharArray(), null)).isFalse();
        assertThat(Passwords.verify("x".toCharArray(), "pbkdf2-sha256$oops$$")).isFalse();
        assertThat(Passwords.verify("x".toCharArray(), "plain")).isFalse();
    }

    @Test
    void users_are_added_with_an_inbox_checked_changed_and_removed_without_their_mail() throws Exception {
        try (TestStore s = TestStore.create(dir)) {
            s.engine.users().add("erin", "first password".toCharArray());
            assertThat(s.engine.mailboxes().exists("user/erin")).isTrue();
            assertThat(s.engine.users().authenticate("erin", "first password".toCharArray())).isTrue();
            assertThat(s.engine.users().authenticate("erin", "wrong password".toCharArray())).isFalse();
            assertThat(s.engine.users().authenticate("nobody", "first password".toCharArray())).isFalse();
            assertThatThrownBy(() -> s.engine.users().add("erin", "another one".toCharArray())).hasMessageContaining("already exists");
            assertThatThrownBy(() -> s.engine.users().add("../x", "long enough".toCharArray())).isInstanceOf(InvalidMailboxNameException.class);
            assertThatThrownBy(() -> s.engine.users().add("frank", "short".toCharArray())).hasMessageContaining("too short");

            s.engine.users().setPassword("erin", "second password".toCharArray());
            assertThat(s.engine.users().authenticate("erin", "first password".toCharArray())).isFalse();
            assertThat(s.engine.users().authenticate("erin", "second password".toCharArray())).isTrue();

            s.engine.users().subscribe("erin", "user/erin/News");
            assertThat(s.engine.users().subscriptions("erin")).containsExactly("user/erin/News");
            assertThatThrownBy(() -> s.engine.users().subscribe("erin", "user/other")).hasMessageContaining("not a mailbox of erin");

            Path passwd = s.root.resolve("passwd");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwd))).isEqualTo("rw-------");
            assertThat(Files.readString(passwd)).doesNotContain("second password");

            s.engine.users().delete("erin");
            assertThat(s.engine.users().find("erin")).isEmpty();
            assertThat(s.engine.users().subscriptions("erin")).isEmpty();
            assertThat(s.engine.mailboxes().exists("user/erin")).as("the mail stays").isTrue();
            assertThatThrownBy(() -> s.engine.users().delete("erin")).isInstanceOf(NoSuchUserException.class);
        }
    }

    @Test
    void a_bad_user_name_is_refused_in_words_about_the_user_name_not_a_mailbox() throws Exception {
        try (TestStore s = TestStore.create(dir)) {
            char[] pw = "long enough".toCharArray();
            assertThatThrownBy(() -> s.engine.users().add("", pw)).hasMessage("invalid user name '': is empty");
            assertThatThrownBy(() -> s.engine.users().add("a b", pw))
                    .hasMessage("invalid user name 'a b': may only contain letters, digits and . _ - @ +");
            assertThatThrownBy(() -> s.engine.users().add("erin/x", pw)).hasMessage("invalid user name 'erin/x': cannot contain '/'");
            assertThatThrownBy(() -> s.engine.users().add("-x", pw)).hasMessage("invalid user name '-x': must start with a letter or digit");
            assertThatThrownBy(() -> s.engine.users().add("a\tb", pw))
                    .hasMessage("invalid user name 'a\\u0009b': contains a control character at position 2");
            assertThat(s.engine.users().list()).isEmpty();
        }
    }

    @Test
    void the_users_survive_a_rebuild_of_the_mailbox_list() throws Exception {
        try (TestStore s = TestStore.create(dir)) {
            s.engine.users().add("gina", "gina's password".toCharArray());
            s.engine.maintenance().rebuildMailboxList();
            assertThat(s.engine.users().authenticate("gina", "gina's password".toCharArray())).isTrue();
        }
    }

    @Test
    void a_folder_is_renamed_with_its_subtree_messages_and_queue_entries() throws Exception {
        try (TestStore s = TestStore.create(dir)) {
            s.mailbox("user/hal/a");
            s.mailbox("user/hal/a/b");
            s.append("user/hal/a/b", 3);
            s.engine.queue().request("user/hal/a/b", org.mstore.api.Action.REPAIR);
            assertThat(s.engine.mailboxes().rename("user/hal/a", "user/hal/z/y")).containsExactly("user/hal/z/y", "user/hal/z/y/b");
            assertThat(s.engine.mailboxes().exists("user/hal/a")).isFalse();
            assertThat(s.engine.mailboxes().snapshot("user/hal/z/y/b").records()).hasSize(3);
            assertThat(s.engine.queue().find("user/hal/z/y/b", org.mstore.api.Action.REPAIR)).isPresent();
            assertThatThrownBy(() -> s.engine.mailboxes().rename("user/hal", "user/hal/x")).hasMessageContaining("INBOX");
            assertThatThrownBy(() -> s.engine.mailboxes().rename("user/hal/z", "user/ivy/z")).isInstanceOf(RuntimeException.class);
        }
    }
}
