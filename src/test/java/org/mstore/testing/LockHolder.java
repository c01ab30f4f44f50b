package org.mstore.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.mstore.purge.SessionLock;
import org.mstore.store.MailboxLocks;

/**
 * A second process for the cross-process lock rules: {@code session <storeRoot>} holds the purge session lock,
 * {@code mailbox <dir>} a mailbox lock. Prints {@code HELD} once it holds the lock and keeps it until its
 * standard input closes (or it is killed, as a crash would).
 */
public final class LockHolder {
    private LockHolder() {
    }

    public static void main(String[] args) throws IOException {
        AutoCloseable held;
        if (args[0].equals("session")) {
            held = SessionLock.tryAcquire(Path.of(args[1]), "lockholder").orElse(null);
        } else {
            held = MailboxLocks.jvmWide().acquire(Path.of(args[1]), Duration.ofSeconds(10));
        }
        if (held == null) {
            System.out.println("BUSY");
            System.exit(2);
        }
        System.out.println("HELD");
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold until the parent closes our input
        }
        try {
            held.close();
        } catch (Exception e) {
            System.exit(3);
        }
    }

    /** Starts a holder in a child JVM and waits until it holds the lock. */
    public static Process start(String kind, Path path) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(), kind,
                path.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String got;
        try {
            got = line.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            throw new AssertionError("the lock-holder process did not report within 30s");
        }
        if (!"HELD".equals(got)) {
            p.destroyForcibly();
            throw new AssertionError("the lock-holder process could not take the " + kind + " lock: " + got);
        }
        return p;
    }
}
