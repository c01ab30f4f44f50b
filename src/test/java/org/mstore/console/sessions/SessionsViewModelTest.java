package org.mstore.console.sessions;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.SessionInfo;
import org.mstore.api.Sessions;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The Sessions view on a real store: the sessions a server registers, as another process's console sees them. */
class SessionsViewModelTest {
    @TempDir
    Path tmp;
    TestStore s;
    SessionsViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox("user/alice");
        vm = new SessionsViewModel(s.engine, new CurrentThreadTaskExecutor());
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void no_session_says_no_client_is_connected() {
        vm.load();
        assertThat(vm.sessions()).isEmpty();
        assertThat(vm.summaryProperty().get()).isEqualTo("No client is connected.");
    }

    @Test
    void a_registered_session_shows_its_user_mailbox_and_idle_state() throws Exception {
        try (var other = s.openAgain(); Sessions.Registration r = other.sessions().register("imap", "127.0.0.1:40000")) {
            r.user("alice");
            r.mailbox("user/alice");
            r.command("IDLE");
            r.idle(true);
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                vm.load();
                Thread.sleep(50);
            } while (vm.sessions().stream().noneMatch(SessionInfo::idle) && System.nanoTime() < deadline);
            assertThat(vm.sessions()).singleElement().satisfies(x -> {
                assertThat(x.user()).isEqualTo("alice");
                assertThat(x.mailbox()).isEqualTo("user/alice");
                assertThat(x.lastCommand()).isEqualTo("IDLE");
                assertThat(x.idle()).isTrue();
            });
            assertThat(vm.summaryProperty().get()).isEqualTo("1 session, 1 in IDLE, 1 mailbox selected.");
            assertThat(vm.in("user/alice")).hasSize(1);
            assertThat(vm.in("user/bob")).isEmpty();
        }
        vm.load();
        assertThat(vm.sessions()).isEmpty();
    }
}
