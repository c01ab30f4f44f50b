package org.mstore.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** A bounded wait for a condition that another thread makes true (never a fixed sleep). */
public final class Await {
    private Await() {
    }

    /** Waits until {@code condition} holds, failing after {@code timeout}. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
    }
}
