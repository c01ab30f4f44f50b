package org.mstore.imap;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows password guessing: each failed login from an address makes the answer to the next failure from it wait
 * longer (250 ms, doubling, at most {@link #MAX}); fifteen quiet minutes forget the address. A success answers at
 * once.
 */
final class LoginThrottle {
    static final Duration FIRST = Duration.ofMillis(250);
    static final Duration MAX = Duration.ofSeconds(15);
    static final Duration FORGET = Duration.ofMinutes(15);
    private final ConcurrentHashMap<String, long[]> failures = new ConcurrentHashMap<>();

    /** Records a failure from {@code address}; returns {count, delay in ms} for the answer to it. */
    long[] failed(String address, long now) {
        long[] f = failures.compute(address, (k, v) -> {
            if (v == null || now - v[1] > FORGET.toMillis()) {
                return new long[] {1, now};
            }
            return new long[] {v[0] + 1, now};
        });
        long delay = Math.min(MAX.toMillis(), FIRST.toMillis() << Math.min(20, f[0] - 1));
        if (failures.size() > 100_000) {
            failures.entrySet().removeIf(e -> now - e.getValue()[1] > FORGET.toMillis());
        }
        return new long[] {f[0], delay};
    }

    void succeeded(String address) {
        failures.remove(address);
    }
}
