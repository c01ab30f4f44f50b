package org.mstore.console;

import java.nio.file.Files;
import java.nio.file.Path;

import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.stage.Stage;

/**
 * The administration console. With no arguments it opens a fresh working copy of {@code sample-store/}
 * (the committed sample never changes); {@code --store DIR} opens another store; {@code --read-only} lets
 * one browse without being able to change anything.
 */
public class ConsoleApp extends Application {
    private static final String DARK_KEY = "darkTheme";
    private MainViewModel vm;
    private FxTaskExecutor executor;
    private java.util.concurrent.ScheduledFuture<?> ticker;

    @Override
    public void start(Stage stage) {
        ConsoleArgs args;
        try {
            args = ConsoleArgs.parse(getParameters().getRaw());
        } catch (IllegalArgumentException e) {
            System.err.println("console: " + e.getMessage());
            Platform.exit();
            return;
        }
        executor = new FxTaskExecutor();
        vm = new MainViewModel(executor, RecentStores.inUserConfig(), args.readOnly());
        MainWindow window = new MainWindow(vm, executor, p -> openSample());
        java.util.prefs.Preferences prefs = java.util.prefs.Preferences.userNodeForPackage(ConsoleApp.class);
        vm.darkProperty().set(prefs.getBoolean(DARK_KEY, false)); // the theme chosen last time
        vm.darkProperty().addListener((o, a, b) -> prefs.putBoolean(DARK_KEY, b));
        Scene scene = new Scene(window, 1280, 820);
        Themes.apply(scene, vm.darkProperty().get());
        vm.darkProperty().addListener((o, a, b) -> Themes.apply(scene, b));
        stage.setScene(scene);
        stage.titleProperty().bind(javafx.beans.binding.Bindings.concat("mstore console — ", vm.storeLabelProperty(),
                args.readOnly() ? " (read-only)" : ""));
        stage.setOnCloseRequest(e -> {
            e.consume();
            shutdown(stage);
        });
        WindowSize.keepOnFirstShow(stage, 1280, 820);
        stage.show();

        // Once a second on the UI thread, from the executor's timer: a Timeline would do the same but, as a running
        // animation, keep the JavaFX pulse at 60 Hz for as long as the console is open (most of its idle CPU).
        ticker = executor.repeatOnUi(1000, () -> {
            StoreSession s = vm.sessionProperty().get();
            if (s != null) {
                s.tick();
            }
        });

        if (args.store() != null) {
            vm.open(args.store(), false);
        } else {
            openSample();
        }
        if (args.screenshots() != null) {
            Screenshots.take(stage, window, vm, args.screenshots(), () -> shutdown(stage));
        }
    }

    private void openSample() {
        Path sample = ConsoleArgs.findSample();
        if (sample == null) {
            sample = org.mstore.api.Stores.bundledSample(); // the copy carried in the jar, unpacked in the background
        }
        if (sample == null) {
            vm.errorProperty().set("No store given and no sample-store/ found here: File › Open store...");
            return;
        }
        vm.open(sample, true);
    }

    private void shutdown(Stage stage) {
        if (ticker != null) {
            ticker.cancel(false);
        }
        stage.hide();
        Thread t = new Thread(() -> {
            try {
                vm.closeNow();
            } finally {
                executor.shutdown();
                Platform.exit();
                System.exit(0);
            }
        }, "console-shutdown");
        t.start();
    }

    /** Entry point for {@code mvn javafx:run}. */
    public static void main(String[] args) {
        launch(args);
    }

}
