package org.mstore.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.engine.Engine;
import org.mstore.store.ClassicStore;
import org.mstore.testing.SettableClock;
import org.mstore.testing.TestStore;

/**
 * The store a process checked is the store it uses. A path is looked up again at every file it opens: through a
 * symbolic link, or a directory another user can rename entries in, the store could be switched after the check of its
 * owner (docs/security.md, section 6) for one with someone else's code in its database. So the engine resolves the
 * store's real path once, before its checks, and refuses a store reached through a directory another user could
 * replace it in.
 */
class StorePathTest {
    @TempDir
    Path tmp;

    private static Engine init(Path root) throws IOException {
        return Engine.init(root, TestStore.options(SettableClock.fixed()));
    }

    /** The directories named {@code name} anywhere under {@code dir}. */
    private static List<Path> named(Path dir, String name) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(p -> p.getFileName().toString().equals(name)).toList();
        }
    }

    @Test
    void a_store_opened_through_a_symbolic_link_stays_the_store_the_link_named_when_it_opened() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        init(a).close();
        init(b).close();
        Path link = Files.createSymbolicLink(tmp.resolve("current"), a);

        Path opened;
        try (Engine e = Engine.open(link, TestStore.options(SettableClock.fixed()))) {
            // the link is switched to the other store once the open's checks are done
            Path next = Files.createSymbolicLink(tmp.resolve("current.new"), b);
            Files.move(next, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

            e.mailboxes().create("user/zoe", ClassicStore.DEFAULT_PARTITION);
            e.mailboxes().append("user/zoe", TestStore.news(List.of(TestStore.message("hello", "body\r\n")), 0, 0));
            opened = e.root();
        }

        assertThat(named(a, "=zoe")).as("the mailbox is made in the store that was opened").isNotEmpty();
        assertThat(named(b, "=zoe")).as("nothing is written to the store the link names now").isEmpty();
        assertThat(opened).isEqualTo(a.toRealPath());
    }

    @Test
    void a_store_reached_through_a_directory_every_user_may_write_to_without_the_sticky_bit_is_refused() throws Exception {
        Path open = Files.createDirectory(tmp.resolve("open"));
        init(open.resolve("store")).close();
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> Engine.open(open.resolve("store"), TestStore.options(SettableClock.fixed())))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("reached through " + open.toRealPath())
                .hasMessageContaining("every user may write to (mode 777, no sticky bit)")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> init(open.resolve("another"))).hasMessageContaining("reached through " + open.toRealPath());
        assertThat(open.resolve("another")).doesNotExist();

        // with the sticky bit, as /tmp has it, only an entry's owner may rename it: the store opens
        Files.setAttribute(open, "unix:mode", 01777);
        Engine.open(open.resolve("store"), TestStore.options(SettableClock.fixed())).close();
    }

    @Test
    void a_store_reached_through_a_directory_another_user_owns_is_refused() throws Exception {
        assumeTrue(Processes.root(), "hands a directory to nobody: needs root");
        Path theirs = Files.createDirectory(tmp.resolve("theirs"));
        init(theirs.resolve("store")).close();
        UserPrincipal nobody = tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(theirs, nobody);

        assertThatThrownBy(() -> Engine.open(theirs.resolve("store"), TestStore.options(SettableClock.fixed())))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("reached through " + theirs.toRealPath() + ", which nobody (uid ")
                .hasMessageNotContaining("\n");
    }
}
