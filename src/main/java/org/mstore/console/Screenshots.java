package org.mstore.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javafx.animation.PauseTransition;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.control.Tab;
import javafx.scene.image.WritableImage;
import javafx.stage.Stage;
import javafx.util.Duration;

import javax.imageio.ImageIO;

/**
 * {@code --screenshots DIR}: once the store is loaded, shows each view in turn, saves the window as
 * {@code DIR/<view>.png}, and quits. This is how the pictures in {@code assets/} are made, from the real
 * console (run under {@code xvfb-run}).
 */
final class Screenshots {
    private Screenshots() {
    }

    static void take(Stage stage, MainWindow window, MainViewModel vm, Path dir, Runnable done) {
        vm.sessionProperty().addListener((o, a, s) -> {
            if (s == null) {
                return;
            }
            List<Runnable> steps = new ArrayList<>();
            String[] names = {"queue", "mailboxes", "settings", "daemon", "log", "dashboard"};
            for (int i = 0; i < names.length; i++) {
                Tab t = window.tabs().getTabs().get(i);
                String name = names[i];
                steps.add(() -> {
                    if (name.equals("mailboxes")) {
                        s.mailboxes().select("user/user0002/Lists");
                    }
                    window.tabs().getSelectionModel().select(t);
                });
                steps.add(() -> save(stage, dir.resolve(name + ".png")));
            }
            steps.add(done);
            run(steps, 0);
        });
    }

    private static void run(List<Runnable> steps, int i) {
        if (i >= steps.size()) {
            return;
        }
        PauseTransition p = new PauseTransition(Duration.millis(i == 0 ? 2500 : 900));
        p.setOnFinished(e -> {
            steps.get(i).run();
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
