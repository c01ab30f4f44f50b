package org.mstore.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.MailboxBusyException;
import org.mstore.testing.LockHolder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SPEC §1: writers and impurge serialise per mailbox with a lock that also works across processes. */
class MailboxLockTest {
    static final Duration SHORT = Duration.ofMillis(300);
    @TempDir
    Path tmp;

    @Test
    void a_mailbox_lock_excludes_another_thread_until_it_is_released() throws Exception {
        Path dir = tmp.resolve("box");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> {
            try (MailboxLocks.Lock l = MailboxLocks.jvmWide().acquire(dir, SHORT)) {
                held.countDown();
                release.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> MailboxLocks.jvmWide().acquire(dir, SHORT)).isInstanceOf(MailboxBusyException.class)
                .hasMessageContaining("mailbox is locked by another process or thread");
        // a different mailbox is not affected
        try (MailboxLocks.Lock other = MailboxLocks.jvmWide().acquire(tmp.resolve("other"), SHORT)) {
            assertThat(other).isNotNull();
        }
        release.countDown();
        holder.get(30, TimeUnit.SECONDS);
        try (MailboxLocks.Lock l = MailboxLocks.jvmWide().acquire(dir, SHORT)) {
            assertThat(l).isNotNull();
        }
    }

    @Test
    void a_mailbox_lock_is_reentrant_for_the_thread_that_holds_it() throws Exception {
        Path dir = tmp.resolve("box");
        try (MailboxLocks.Lock outer = MailboxLocks.jvmWide().acquire(dir, SHORT);
             MailboxLocks.Lock inner = MailboxLocks.jvmWide().acquire(dir, SHORT)) {
            assertThat(inner).isNotSameAs(outer);
        }
        // both released: another thread gets it
        CompletableFuture.runAsync(() -> {
            try (MailboxLocks.Lock l = MailboxLocks.jvmWide().acquire(dir, SHORT)) {
                assertThat(l).isNotNull();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }).get(30, TimeUnit.SECONDS);
    }

    @Test
    void a_mailbox_lock_excludes_another_process_and_a_crashed_holder_leaves_it_free() throws Exception {
        Path dir = tmp.resolve("box");
        Process other = LockHolder.start("mailbox", dir);
        try {
            assertThatThrownBy(() -> MailboxLocks.jvmWide().acquire(dir, SHORT)).isInstanceOf(MailboxBusyException.class);
        } finally {
            other.destroyForcibly(); // as a crash would
            other.waitFor(30, TimeUnit.SECONDS);
        }
        try (MailboxLocks.Lock l = MailboxLocks.jvmWide().acquire(dir, Duration.ofSeconds(10))) {
            assertThat(l).isNotNull();
        }
    }

    @Test
    void a_mailbox_locked_here_is_refused_to_another_process() throws Exception {
        Path dir = tmp.resolve("box");
        try (MailboxLocks.Lock l = MailboxLocks.jvmWide().acquire(dir, SHORT)) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), TimedAcquire.class.getName(),
                    dir.toString()).redirectErrorStream(true).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(p.getInputStream().readAllBytes()).strip()).isEqualTo("BUSY");
        }
    }

    /** Tries to lock a mailbox for 300 ms in a child JVM; prints BUSY or HELD. */
    public static final class TimedAcquire {
        public static void main(String[] args) throws Exception {
            try (MailboxLocks.Lock l = MailboxLocks.jvmWide().acquire(Path.of(args[0]), SHORT)) {
                System.out.println("HELD");
            } catch (MailboxBusyException e) {
                System.out.println("BUSY");
            }
        }
    }
}
