package org.mstore.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;
import javafx.scene.paint.Color;
import javafx.stage.PopupWindow;
import javafx.stage.Stage;
import javafx.stage.Window;

import org.controlsfx.control.Notifications;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The console's notifications (ControlsFX) are drawn in the theme's colours: in the dark theme its own style sheet
 * wrote dark text (#292929) on the dark base colour, and the notice could not be read.
 */
@ExtendWith(ApplicationExtension.class)
class NotificationThemeTest {
    /** The notice's title and text, once shown over a window in the given theme. */
    private static List<Label> notice(FxRobot robot, boolean dark) throws Exception {
        Stage[] stage = new Stage[1];
        robot.interact(() -> {
            stage[0] = new Stage();
            Scene scene = new Scene(new StackPane(), 800, 600);
            Themes.apply(scene, dark);
            stage[0].setScene(scene);
            stage[0].show();
            Notifications.create().title("Self-healing queued 2 Repairs").text("user/alice: store.idx has a bad magic number")
                    .owner(stage[0]).hideAfter(javafx.util.Duration.seconds(30)).showInformation();
        });
        WaitForAsyncUtils.waitForFxEvents();
        List<Label> labels = WaitForAsyncUtils.asyncFx(() -> Window.getWindows().stream().filter(w -> w instanceof PopupWindow)
                .flatMap(w -> w.getScene().getRoot().lookupAll(".notification-bar .label").stream())
                .map(n -> (Label) n).filter(l -> l.getText() != null && !l.getText().isEmpty()).toList()).get(10, java.util.concurrent.TimeUnit.SECONDS);
        return labels;
    }

    private static double luminance(Color c) {
        return 0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue();
    }

    @Test
    void a_notice_in_the_dark_theme_is_light_text_on_the_dark_surface() throws Exception {
        FxRobot robot = new FxRobot();
        List<Label> labels = notice(robot, true);
        assertThat(labels).extracting(Label::getText).contains("Self-healing queued 2 Repairs");
        for (Label l : labels) {
            assertThat(luminance((Color) l.getTextFill())).as(l.getText()).isGreaterThan(0.7);
        }
    }

    @Test
    void a_notice_in_the_light_theme_is_dark_text() throws Exception {
        FxRobot robot = new FxRobot();
        List<Label> labels = notice(robot, false);
        assertThat(labels).isNotEmpty();
        for (Label l : labels) {
            assertThat(luminance((Color) l.getTextFill())).as(l.getText()).isLessThan(0.3);
        }
    }
}
