package org.mstore.cassandra;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/** Asynchronous statements with at most {@code width} in flight; {@link #await} waits for all and rethrows the first failure. */
final class Window {
    private final Semaphore permits;
    private final List<CompletableFuture<?>> pending = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    Window(int width) {
        permits = new Semaphore(width);
    }

    void submit(Supplier<? extends CompletionStage<?>> work) {
        permits.acquireUninterruptibly();
        CompletableFuture<?> f;
        try {
            f = work.get().toCompletableFuture();
        } catch (RuntimeException e) {
            permits.release();
            throw e;
        }
        f.whenComplete((x, t) -> {
            if (t != null) {
                failure.compareAndSet(null, t instanceof CompletionException && t.getCause() != null ? t.getCause() : t);
            }
            permits.release();
        });
        pending.add(f);
        if (pending.size() > 4096) {
            pending.removeIf(CompletableFuture::isDone);
        }
    }

    void await() throws IOException {
        try {
            CompletableFuture.allOf(pending.toArray(new CompletableFuture[0])).exceptionally(t -> null).join();
        } finally {
            pending.clear();
        }
        Throwable t = failure.getAndSet(null);
        if (t != null) {
            throw new IOException("Cassandra write failed: " + Cql.oneLine(t.getMessage()), t);
        }
    }
}
