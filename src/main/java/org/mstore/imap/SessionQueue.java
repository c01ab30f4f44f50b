package org.mstore.imap;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import org.slf4j.LoggerFactory;

/**
 * Runs one session's work in order, one task at a time, on a shared pool: blocking engine calls never run on Netty's
 * event loop, and a session never runs two commands at once. A task may finish later than it returns (a failed login
 * answered after its delay): the next task waits for its stage, not on a thread.
 */
final class SessionQueue {
    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);
    private final Executor pool;
    private final ArrayDeque<Supplier<CompletionStage<?>>> tasks = new ArrayDeque<>();
    private boolean running;

    SessionQueue(Executor pool) {
        this.pool = pool;
    }

    void submit(Runnable r) {
        submitAsync(() -> {
            r.run();
            return DONE;
        });
    }

    void submitAsync(Supplier<CompletionStage<?>> task) {
        synchronized (this) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        execute(this::runNext);
    }

    private void execute(Runnable r) {
        try {
            pool.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the server is stopping: the session's remaining work goes with it
        }
    }

    synchronized int pending() {
        return tasks.size();
    }

    private void runNext() {
        Supplier<CompletionStage<?>> t;
        synchronized (this) {
            t = tasks.poll();
            if (t == null) {
                running = false;
                return;
            }
        }
        CompletionStage<?> stage;
        try {
            stage = t.get();
        } catch (RuntimeException | Error e) {
            LoggerFactory.getLogger(SessionQueue.class).warn("an IMAP session task failed", e);
            stage = DONE;
        }
        if (stage == null) {
            stage = DONE;
        }
        stage.whenComplete((v, e) -> execute(this::runNext));
    }
}
