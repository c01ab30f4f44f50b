package org.mstore.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javafx.animation.PauseTransition;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.image.WritableImage;
import javafx.stage.Stage;
import javafx.util.Duration;

import javax.imageio.ImageIO;

/**
 * {@code --screenshots DIR}: once the store is loaded, walks through the views as an administrator would
 * (the queue, the mailbox past its purge thresholds, the settings, impurge started, the log, the
 * dashboard, the dark theme), saves the window as {@code DIR/<view>.png} at each step, and quits. This is
 * how the pictures in {@code assets/} are made, from the real console under {@code xvfb-run}; run
 * {@code simulate} beside it to see the queue move.
 */
final class Screenshots {
    private Screenshots() {
    }

    private record Step(double waitSeconds, Runnable action) {
    }

    static void take(Stage stage, MainWindow window, MainViewModel vm, Path dir, Runnable done) {
        vm.sessionProperty().addListener((o, a, s) -> {
            if (s == null) {
                return;
            }
            List<Step> steps = new ArrayList<>();
            steps.add(new Step(3.5, () -> {
                // an entry selected, so that the picture shows its detail: why it was queued, by whom, when it is due
                if (stage.getScene().lookup("#queueTable") instanceof javafx.scene.control.TableView<?> t && t.getItems().size() > 1) {
                    t.getSelectionModel().select(1);
                }
            }));
            steps.add(new Step(1, () -> save(stage, dir.resolve("queue.png"))));
            steps.add(new Step(0.5, () -> window.showMailbox("user/user0002/Lists")));
            steps.add(new Step(1.5, () -> save(stage, dir.resolve("mailboxes.png"))));
            steps.add(new Step(0.5, () -> select(window, "tabSettings")));
            steps.add(new Step(1.5, () -> save(stage, dir.resolve("settings.png"))));
            steps.add(new Step(0.5, () -> {
                select(window, "tabDaemon");
                s.daemon().start();
            }));
            steps.add(new Step(6, () -> save(stage, dir.resolve("daemon.png"))));
            steps.add(new Step(20, () -> select(window, "tabHistory")));
            steps.add(new Step(2, () -> save(stage, dir.resolve("history.png"))));
            steps.add(new Step(0.5, () -> select(window, "tabSessions")));
            steps.add(new Step(2, () -> save(stage, dir.resolve("sessions.png"))));
            steps.add(new Step(0.5, () -> select(window, "tabLog")));
            steps.add(new Step(1.5, () -> save(stage, dir.resolve("log.png"))));
            steps.add(new Step(0.5, () -> select(window, "tabDashboard")));
            steps.add(new Step(3, () -> save(stage, dir.resolve("dashboard.png"))));
            steps.add(new Step(0.5, () -> {
                vm.darkProperty().set(true);
                select(window, "tabQueue");
            }));
            steps.add(new Step(2, () -> save(stage, dir.resolve("queue-dark.png"))));
            steps.add(new Step(0.5, done));
            run(steps, 0);
        });
    }

    private static void select(MainWindow window, String tabId) {
        window.tabs().getTabs().stream().filter(t -> tabId.equals(t.getId())).findFirst()
                .ifPresent(t -> window.tabs().getSelectionModel().select(t));
    }

    private static void run(List<Step> steps, int i) {
        if (i >= steps.size()) {
            return;
        }
        PauseTransition p = new PauseTransition(Duration.seconds(steps.get(i).waitSeconds()));
        p.setOnFinished(e -> {
            steps.get(i).action().run();
            run(steps, i + 1);
        });
        p.play();
    }

    private static void save(Stage stage, Path file) {
        try {
            Files.createDirectories(file.getParent());
            WritableImage img = stage.getScene().snapshot(null);
            ImageIO.write(SwingFXUtils.fromFXImage(img, null), "png", file.toFile());
        } catch (IOException e) {
            System.err.println("could not save " + file + ": " + e.getMessage());
        }
    }
}
