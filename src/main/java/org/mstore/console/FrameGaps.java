package org.mstore.console;

import java.util.concurrent.atomic.AtomicLong;

import javafx.animation.AnimationTimer;

/**
 * For the console's benchmarks: the longest time between two JavaFX frames (the JavaFX thread busy, or waiting for a
 * frame) since it was last reset. Running, it keeps the pulse going at 60 Hz, as any animation does.
 */
final class FrameGaps extends AnimationTimer {
    private final AtomicLong max = new AtomicLong();
    private long last;

    @Override
    public void handle(long now) {
        if (last != 0) {
            max.accumulateAndGet(now - last, Math::max);
        }
        last = now;
    }

    /** The longest gap so far, in nanoseconds. */
    long maxNanos() {
        return max.get();
    }

    /** The longest gap so far, in nanoseconds, and starts over. */
    long reset() {
        return max.getAndSet(0);
    }
}
