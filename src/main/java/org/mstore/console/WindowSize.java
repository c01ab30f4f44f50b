package org.mstore.console;

import javafx.application.Platform;
import javafx.beans.value.ChangeListener;
import javafx.geometry.Rectangle2D;
import javafx.stage.Screen;
import javafx.stage.Stage;

/**
 * The console's window at its size when it first comes up. JavaFX 21 on GTK under a window manager (openbox; mutter,
 * GNOME's, per JDK-8316423, fixed in JavaFX 22) maps the first window at 200 x 200 and then, after JavaFX has asked for
 * its size, at its minimum size: the console came up as a small box. The stage is given its size and a minimum (both
 * within the screen), and for the first seconds after it is shown, a shrink that nobody asked for is undone (at most a
 * few times, so that a window manager that insists wins rather than fights).
 */
final class WindowSize {
    /** How long after the window is shown a shrink counts as the window manager's, not the user's. */
    static final long GRACE_NANOS = 3_000_000_000L;
    private static final int MAX_RESTORES = 3;

    private WindowSize() {
    }

    static void keepOnFirstShow(Stage stage, double wantWidth, double wantHeight) {
        keepOnFirstShow(stage, wantWidth, wantHeight, System::nanoTime);
    }

    /** As {@link #keepOnFirstShow(Stage, double, double)}, with the time in nanoseconds from {@code nanoTime} (tests). */
    static void keepOnFirstShow(Stage stage, double wantWidth, double wantHeight, java.util.function.LongSupplier nanoTime) {
        Rectangle2D screen = Screen.getPrimary().getVisualBounds();
        double width = Math.min(wantWidth, screen.getWidth());
        double height = Math.min(wantHeight, screen.getHeight());
        stage.setMinWidth(Math.min(720, width));
        stage.setMinHeight(Math.min(480, height));
        stage.setWidth(width);
        stage.setHeight(height);
        long[] shownAt = {-1};
        int[] restores = {0};
        boolean[] pending = {false};
        ChangeListener<Number> shrunk = (o, was, now) -> {
            if (shownAt[0] < 0 || nanoTime.getAsLong() - shownAt[0] > GRACE_NANOS || restores[0] >= MAX_RESTORES || pending[0]) {
                return;
            }
            if (stage.getWidth() < width - 1 || stage.getHeight() < height - 1) {
                pending[0] = true;
                Platform.runLater(() -> {
                    pending[0] = false;
                    restores[0]++;
                    stage.setWidth(width);
                    stage.setHeight(height);
                });
            }
        };
        stage.widthProperty().addListener(shrunk);
        stage.heightProperty().addListener(shrunk);
        stage.setOnShown(e -> shownAt[0] = nanoTime.getAsLong());
    }
}
