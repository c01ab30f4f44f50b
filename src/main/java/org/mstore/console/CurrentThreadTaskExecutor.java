package org.mstore.console;

import java.util.concurrent.Callable;
import java.util.function.Consumer;

import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/** Runs work and callbacks at once on the calling thread: for view-model tests. */
public final class CurrentThreadTaskExecutor implements TaskExecutor {
    private final ReadOnlyIntegerWrapper running = new ReadOnlyIntegerWrapper(0);
    private final ReadOnlyStringWrapper title = new ReadOnlyStringWrapper("");

    @Override
    public <T> void execute(String taskTitle, Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        T result;
        try {
            result = work.call();
        } catch (Exception e) {
            if (onFailure != null) {
                onFailure.accept(e);
            }
            return;
        }
        if (onSuccess != null) {
            onSuccess.accept(result);
        }
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
