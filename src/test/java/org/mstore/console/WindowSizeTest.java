package org.mstore.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;

import javafx.scene.Scene;
import javafx.scene.layout.StackPane;
import javafx.stage.Stage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The console's window keeps its size when it first comes up: a window manager that maps it smaller (JavaFX 21 on GTK,
 * JDK-8316423: 200 x 200, then its minimum) is undone in the first seconds; later, a shrink is the user's and stays.
 * The window manager's resize is played by setting the stage's size, as its configure event does.
 */
@ExtendWith(ApplicationExtension.class)
class WindowSizeTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private Stage show(FxRobot robot) {
        Stage[] stage = new Stage[1];
        robot.interact(() -> {
            stage[0] = new Stage();
            stage[0].setScene(new Scene(new StackPane(), 100, 100));
            WindowSize.keepOnFirstShow(stage[0], 1000, 700, now::get);
            stage[0].show();
        });
        return stage[0];
    }

    @Test
    void a_shrink_right_after_the_window_is_shown_is_undone() {
        FxRobot robot = new FxRobot();
        Stage stage = show(robot);
        robot.interact(() -> {
            stage.setWidth(200);
            stage.setHeight(200);
        });
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(stage.getWidth()).isEqualTo(1000);
        assertThat(stage.getHeight()).isEqualTo(700);
        assertThat(stage.getMinWidth()).isEqualTo(720);
        assertThat(stage.getMinHeight()).isEqualTo(480);
        robot.interact(stage::close);
    }

    @Test
    void a_shrink_once_the_window_has_been_up_a_while_is_the_users_and_stays() {
        FxRobot robot = new FxRobot();
        Stage stage = show(robot);
        now.addAndGet(WindowSize.GRACE_NANOS + 1);
        robot.interact(() -> stage.setWidth(800));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(stage.getWidth()).isEqualTo(800);
        robot.interact(stage::close);
    }
}
