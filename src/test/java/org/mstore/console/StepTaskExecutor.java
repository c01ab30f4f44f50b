package org.mstore.console;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * Runs the background work at once but holds its result back until the test calls {@link #runPending}: the
 * moment between "the database was read" and "the UI thread got the answer", in which engine events can
 * arrive. Deterministic, like {@link CurrentThreadTaskExecutor}; {@link #runOnUi} runs at once (the test is
 * the UI thread).
 */
public final class StepTaskExecutor implements TaskExecutor {
    private final Deque<Runnable> pending = new ArrayDeque<>();
    private final ReadOnlyIntegerWrapper running = new ReadOnlyIntegerWrapper(0);
    private final ReadOnlyStringWrapper title = new ReadOnlyStringWrapper("");

    @Override
    public <T> void execute(String taskTitle, Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        T result;
        try {
            result = work.call();
        } catch (Exception e) {
            pending.add(() -> {
                if (onFailure != null) {
                    onFailure.accept(e);
                }
            });
            return;
        }
        pending.add(() -> {
            if (onSuccess != null) {
                onSuccess.accept(result);
            }
        });
    }

    /** Hands every waiting result to its callback (and those the callbacks start), in order. */
    public void runPending() {
        Runnable r;
        while ((r = pending.poll()) != null) {
            r.run();
        }
    }

    public int pendingCount() {
        return pending.size();
    }

    @Override
    public void runOnUi(Runnable r) {
        r.run();
    }

    @Override
    public ReadOnlyIntegerProperty runningProperty() {
        return running.getReadOnlyProperty();
    }

    @Override
    public ReadOnlyStringProperty currentTitleProperty() {
        return title.getReadOnlyProperty();
    }

    @Override
    public void shutdown() {
    }
}
