package org.mstore.console;

import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * The test thread plays the UI thread: work and its callbacks run at once on the caller (as in
 * {@link CurrentThreadTaskExecutor}), while {@link #runOnUi} from any other thread (the engine's watcher,
 * the daemon) only queues the runnable until the test calls {@link #runUi}. Engine events thus reach the
 * view-models on the test thread, in order, when the test says so.
 */
public final class UiQueueTaskExecutor implements TaskExecutor {
    private final Thread ui = Thread.currentThread();
    private final ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
    private final CurrentThreadTaskExecutor now = new CurrentThreadTaskExecutor();
    /** The title of every task run, in order. */
    public final java.util.List<String> titles = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public <T> void execute(String title, Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        titles.add(title);
        now.execute(title, work, onSuccess, onFailure);
    }

    @Override
    public void runOnUi(Runnable r) {
        if (Thread.currentThread() == ui) {
            r.run();
        } else {
            queued.add(r);
        }
    }

    /** Runs what other threads handed to the UI thread. */
    public void runUi() {
        Runnable r;
        while ((r = queued.poll()) != null) {
            r.run();
        }
    }

    @Override
    public ReadOnlyIntegerProperty runningProperty() {
        return new ReadOnlyIntegerWrapper(0).getReadOnlyProperty();
    }

    @Override
    public ReadOnlyStringProperty currentTitleProperty() {
        return new ReadOnlyStringWrapper("").getReadOnlyProperty();
    }

    @Override
    public void shutdown() {
    }
}
