package org.mstore.console;

import java.util.concurrent.Callable;
import java.util.function.Consumer;

import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyStringProperty;

/**
 * The one door for background work (JabRef's TaskExecutor): engine calls run off the JavaFX thread and
 * their results come back on it. {@link FxTaskExecutor} is the real one; {@link CurrentThreadTaskExecutor}
 * runs everything at once on the caller's thread, which makes view-model tests deterministic.
 */
public interface TaskExecutor {
    /** Runs {@code work} in the background; then {@code onSuccess} or {@code onFailure} on the UI thread. */
    <T> void execute(String title, Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure);

    /** Runs {@code r} on the UI thread (soon, or now if already on it). */
    void runOnUi(Runnable r);

    /** How many background tasks are running (the status bar's progress). */
    ReadOnlyIntegerProperty runningProperty();

    /** The title of the latest running task worth showing ({@link FxTaskExecutor}: one that has run for a while), or "". */
    ReadOnlyStringProperty currentTitleProperty();

    /** Stops accepting work. */
    void shutdown();
}
