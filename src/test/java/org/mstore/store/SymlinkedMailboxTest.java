package org.mstore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.testing.TestStore;

/**
 * A mailbox directory replaced by a symbolic link to another mailbox's (a restore gone wrong, or a hand that meant
 * well) is not followed: followed, it served alice's mail as bob's, and an expunge through bob deleted alice's.
 */
class SymlinkedMailboxTest {
    @TempDir
    Path tmp;
    TestStore s;
    Path alice;
    Path bob;

    @BeforeEach
    void bobsDirectoryIsALinkToAlices() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox("user/alice");
        s.mailbox("user/bob");
        s.append("user/alice", 3);
        s.append("user/bob", 2);
        alice = s.dir("user/alice");
        bob = s.dir("user/bob");
        org.mstore.store.ClassicStore.deleteRecursively(bob);
        Files.createSymbolicLink(bob, alice);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void a_mailbox_directory_that_is_a_link_is_refused_and_the_mailbox_it_names_is_untouched() throws Exception {
        byte[] aliceIndex = Files.readAllBytes(alice.resolve("store.idx"));
        assertThatThrownBy(() -> s.engine.mailboxes().fetch("user/bob", 1)).isInstanceOf(MailboxFormatException.class)
                .hasMessageContaining("is a symbolic link");
        assertThatThrownBy(() -> s.expunge("user/bob", "1:3")).isInstanceOf(MailboxFormatException.class);

        s.engine.daemon().drain(); // the Repair fails, and says why: only an administrator can tell whose directory it is
        QueueEntry repair = s.queue().get(0);
        assertThat(repair.action()).isEqualTo(Action.REPAIR);
        assertThat(repair.attempts()).isEqualTo(1);
        assertThat(repair.lastError()).contains("is a symbolic link").contains("put the mailbox's own directory in its place");
        assertThat(Files.readAllBytes(alice.resolve("store.idx"))).isEqualTo(aliceIndex);
        assertThat(new String(s.engine.mailboxes().fetch("user/alice", 3), StandardCharsets.UTF_8)).contains("Body 2");
        assertThat(s.info("user/alice").messageCount()).isEqualTo(3);
        assertThat(Files.isSymbolicLink(bob)).isTrue();
    }
}
