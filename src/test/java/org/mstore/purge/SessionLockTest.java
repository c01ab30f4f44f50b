package org.mstore.purge;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.DaemonMode;
import org.mstore.api.DaemonState;
import org.mstore.api.Outcome;
import org.mstore.api.SessionLockedException;
import org.mstore.api.TaskResult;
import org.mstore.engine.Engine;
import org.mstore.testing.Await;
import org.mstore.testing.LockHolder;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SPEC §5 and the seed: only one impurge at a time per store, whatever process it runs in. */
class SessionLockTest {
    static final String SEED_MESSAGE = "Could not get purge session lock. Possibly another impurge is running";
    static final String SEED_LINE = "General Error: " + SEED_MESSAGE;
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox("user/alice");
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private List<String> seedLines() throws IOException {
        return s.logLines().stream().filter(l -> l.endsWith(SEED_LINE)).toList();
    }

    @Test
    void a_second_impurge_on_the_same_store_fails_with_the_seeds_message_and_log_line() throws Exception {
        s.engine.daemon().start(DaemonMode.daemon());
        try (Engine other = s.openAgain()) {
            assertThatThrownBy(() -> other.daemon().drain()).isInstanceOf(SessionLockedException.class)
                    .hasMessageStartingWith(SEED_MESSAGE);
            assertThat(seedLines()).singleElement().satisfies(l -> assertThat(l)
                    .matches("\\[[^]]+] \\S+ impurge\\[" + ProcessHandle.current().pid() + "]: " + SEED_LINE.replace(".", "\\.")));
            assertThat(other.daemon().status().state()).isEqualTo(DaemonState.LOCKED_OUT);
            assertThatThrownBy(() -> other.daemon().start(DaemonMode.daemon())).isInstanceOf(SessionLockedException.class)
                    .hasMessageStartingWith(SEED_MESSAGE);
            assertThatThrownBy(() -> other.daemon().runNow(List.of(1L))).isInstanceOf(SessionLockedException.class);
            assertThat(other.daemon().running()).isFalse();
            assertThat(seedLines()).hasSize(3);
        }
        assertThat(s.engine.daemon().running()).isTrue();
    }

    @Test
    void the_session_lock_is_free_again_when_the_holder_stops() throws Exception {
        s.engine.daemon().start(DaemonMode.daemon());
        try (Engine other = s.openAgain()) {
            assertThatThrownBy(() -> other.daemon().drain()).isInstanceOf(SessionLockedException.class);
            s.engine.daemon().stop();
            assertThat(s.engine.daemon().running()).isFalse();
            other.queue().request("user/alice", Action.REPAIR);
            assertThat(other.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
            // and the first one can take it back
            s.engine.daemon().start(DaemonMode.daemon());
            assertThat(s.engine.daemon().running()).isTrue();
        }
    }

    @Test
    void the_session_lock_is_free_again_after_the_engine_closes() throws Exception {
        Engine first = s.openAgain();
        first.daemon().start(DaemonMode.daemon());
        assertThatThrownBy(() -> s.engine.daemon().drain()).isInstanceOf(SessionLockedException.class);
        first.close();
        assertThat(s.engine.daemon().drain()).isEmpty();
    }

    @Test
    void an_impurge_in_another_process_holds_the_lock_until_it_exits() throws Exception {
        Process other = LockHolder.start("session", s.root);
        try {
            assertThatThrownBy(() -> s.engine.daemon().drain()).isInstanceOf(SessionLockedException.class)
                    .hasMessageStartingWith(SEED_MESSAGE).hasMessageContaining("lockholder");
            assertThat(seedLines()).hasSize(1);
        } finally {
            other.getOutputStream().close(); // a clean exit
            assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(other.exitValue()).isZero();
        assertThat(s.engine.daemon().drain()).isEmpty();
    }

    @Test
    void a_crashed_impurge_does_not_leave_the_lock_held() throws Exception {
        Process other = LockHolder.start("session", s.root);
        assertThatThrownBy(() -> s.engine.daemon().drain()).isInstanceOf(SessionLockedException.class);
        other.destroyForcibly();
        assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Await.until(Duration.ofSeconds(10), "the lock to be free", () -> SessionLock.holder(s.root).isEmpty());
        s.engine.queue().request("user/alice", Action.REPAIR);
        assertThat(s.engine.daemon().drain()).extracting(TaskResult::outcome).containsExactly(Outcome.DONE);
    }

    @Test
    void asking_who_holds_the_lock_in_the_holding_process_keeps_the_lock() throws Exception {
        try (SessionLock held = SessionLock.tryAcquire(s.root, "impurge[" + ProcessHandle.current().pid() + "]").orElseThrow()) {
            assertThat(SessionLock.holder(s.root)).contains("impurge[" + ProcessHandle.current().pid() + "]");
            // a second process must still find the lock taken (reading the file here would have released it: fcntl)
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(), "session",
                    s.root.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(p.getInputStream().readAllBytes()).strip()).isEqualTo("BUSY");
            assertThat(p.exitValue()).isEqualTo(2);
        }
    }
}
