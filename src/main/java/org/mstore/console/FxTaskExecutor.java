package org.mstore.console;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import javafx.application.Platform;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/** Background threads for the work, {@link Platform#runLater} for the results. */
public final class FxTaskExecutor implements TaskExecutor {
    private final ExecutorService pool;
    private final ReadOnlyIntegerWrapper running = new ReadOnlyIntegerWrapper(0);
    private final ReadOnlyStringWrapper title = new ReadOnlyStringWrapper("");

    public FxTaskExecutor() {
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "console-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public <T> void execute(String taskTitle, Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        runOnUi(() -> {
            running.set(running.get() + 1);
            title.set(taskTitle);
        });
        pool.execute(() -> {
            T result = null;
            Throwable failure = null;
            try {
                result = work.call();
            } catch (Throwable t) {
                failure = t;
            }
            T r = result;
            Throwable f = failure;
            Platform.runLater(() -> {
                running.set(running.get() - 1);
                if (running.get() == 0) {
                    title.set("");
                }
                if (f == null) {
                    if (onSuccess != null) {
                        onSuccess.accept(r);
                    }
                } else if (onFailure != null) {
                    onFailure.accept(f);
                }
            });
        });
    }

    @Override
    public void runOnUi(Runnable r) {
        if (Platform.isFxApplicationThread()) {
            r.run();
        } else {
            Platform.runLater(r);
        }
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
        pool.shutdown();
    }
}
