package org.mstore.console;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import javafx.application.Platform;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * Background threads for the work, {@link Platform#runLater} for the results, and a timer thread for what is due later
 * (the console's one-second tick, the status bar's delay) that wakes the JavaFX thread only when something is due: a
 * JavaFX animation would keep the pulse running at 60 Hz for as long as it runs.
 */
public final class FxTaskExecutor implements TaskExecutor {
    /** A task is shown in the status bar (its title, the moving progress bar) once it has run this long. */
    static final long SHOW_AFTER_MILLIS = 400;
    private final ExecutorService pool;
    private final ScheduledThreadPoolExecutor timer;
    private final ReadOnlyIntegerWrapper running = new ReadOnlyIntegerWrapper(0);
    private final ReadOnlyStringWrapper title = new ReadOnlyStringWrapper("");
    /** The running tasks that have run longer than {@link #SHOW_AFTER_MILLIS}, by number, oldest first (UI thread only). */
    private final Map<Long, String> slow = new LinkedHashMap<>();
    private long taskNumbers;

    public FxTaskExecutor() {
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "console-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "console-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Runs {@code tick} on the UI thread every {@code periodMillis} until the returned handle is cancelled; a tick that
     * finds the previous one still waiting for the UI thread is dropped, so a busy UI thread is not queued up.
     */
    public ScheduledFuture<?> repeatOnUi(long periodMillis, Runnable tick) {
        AtomicBoolean waiting = new AtomicBoolean();
        return timer.scheduleAtFixedRate(() -> {
            if (waiting.compareAndSet(false, true)) {
                Platform.runLater(() -> {
                    waiting.set(false);
                    tick.run();
                });
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * The work counts in {@link #runningProperty()} at once, but shows in {@link #currentTitleProperty()} (the status
     * bar's text and moving progress bar) only once it has run for {@link #SHOW_AFTER_MILLIS}: the console's routine
     * reads (the log every second, the workers every three) take milliseconds, and showing and hiding them cost two
     * layout and paint passes a second and made the status bar flicker.
     */
    @Override
    public <T> void execute(String taskTitle, Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        long[] number = new long[1];
        ScheduledFuture<?>[] show = new ScheduledFuture<?>[1];
        runOnUi(() -> {
            running.set(running.get() + 1);
            long id = ++taskNumbers;
            number[0] = id;
            show[0] = timer.schedule(() -> Platform.runLater(() -> {
                if (number[0] != 0) { // still running
                    slow.put(id, taskTitle);
                    title.set(taskTitle);
                }
            }), SHOW_AFTER_MILLIS, TimeUnit.MILLISECONDS);
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
                if (show[0] != null) {
                    show[0].cancel(false);
                }
                if (slow.remove(number[0]) != null) {
                    String latest = "";
                    for (String t : slow.values()) {
                        latest = t;
                    }
                    title.set(latest);
                }
                number[0] = 0;
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
        timer.shutdownNow();
        pool.shutdown();
    }
}
