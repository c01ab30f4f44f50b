package org.mstore.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import javafx.scene.control.Button;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.stage.Stage;

import static org.assertj.core.api.Assertions.assertThat;

/** --read-only: everything can be browsed, nothing can be changed. */
@ExtendWith(ApplicationExtension.class)
class ReadOnlyConsoleFxTest {
    @TempDir
    static Path tmp;
    ConsoleFixture console;

    @Start
    void start(Stage stage) throws IOException {
        console = new ConsoleFixture(Files.createTempDirectory(tmp, "ro"));
        console.start(stage, true);
    }

    @AfterEach
    void tearDown() {
        console.close();
    }

    @Test
    void read_only_mode_shows_the_store_but_every_change_is_disabled(FxRobot robot) throws TimeoutException {
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> console.session() != null
                && robot.lookup("#queueTable").tryQuery().map(t -> ((TableView<?>) t).getItems().size() > 0).orElse(false));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(console.engine().readOnly()).isTrue();
        assertThat(console.engine().daemon().running()).isFalse();

        ConsoleFixture.openTab(robot, "#tabMailboxes");
        robot.interact(() -> console.session().mailboxes().select("user/user0003/Drafts"));
        WaitForAsyncUtils.waitForFxEvents();
        for (String id : new String[] {"#repairNow", "#cleanNow", "#purgeNow"}) {
            assertThat(robot.lookup(id).queryAs(Button.class).isDisabled()).as(id).isTrue();
        }
        assertThat(robot.lookup("#checkMailbox").queryAs(Button.class).isDisabled()).isFalse();

        ConsoleFixture.openTab(robot, "#tabDaemon");
        assertThat(robot.lookup("#startDaemon").queryAs(Button.class).isDisabled()).isTrue();

        ConsoleFixture.openTab(robot, "#tabSettings");
        TextField f = robot.lookup(n -> "field-store.cleanupsize".equals(n.getId())).queryAs(TextField.class);
        assertThat(f.isEditable()).isFalse();
        assertThat(robot.lookup("#applySettings").queryAs(Button.class).isDisabled()).isTrue();

        // Ctrl+R (repair the selection) does nothing either
        ConsoleFixture.openTab(robot, "#tabMailboxes");
        robot.press(javafx.scene.input.KeyCode.CONTROL).press(javafx.scene.input.KeyCode.R)
                .release(javafx.scene.input.KeyCode.R).release(javafx.scene.input.KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(console.engine().queue().find("user/user0003/Drafts", org.mstore.api.Action.REPAIR)).isEmpty();
    }

    @Test
    void the_read_only_badge_is_drawn_in_the_warning_colour_not_the_status_bars_grey(FxRobot robot) throws TimeoutException {
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> console.session() != null);
        WaitForAsyncUtils.waitForFxEvents();
        javafx.scene.control.Label badge = robot.lookup("#readOnlyBadge").queryAs(javafx.scene.control.Label.class);
        javafx.scene.control.Label depth = robot.lookup("#statusDepth").queryAs(javafx.scene.control.Label.class);
        assertThat(badge.isVisible()).isTrue();
        assertThat(badge.getTextFill()).isNotEqualTo(depth.getTextFill());
        assertThat(badge.getTextFill()).isEqualTo(javafx.scene.paint.Color.web("#9a6700")); // light.css: -color-warning
        assertThat(badge.getPadding().getLeft()).isEqualTo(badge.getPadding().getRight());
    }
}
