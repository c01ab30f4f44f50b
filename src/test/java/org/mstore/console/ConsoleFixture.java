package org.mstore.console;

import java.io.IOException;
import java.nio.file.Path;

import org.mstore.engine.Engine;
import org.mstore.engine.SampleStore;

import javafx.scene.Scene;
import javafx.stage.Stage;

/**
 * The console on a private copy of the committed sample store, as the administrator sees it: the real
 * window, the real engine with its change watcher, background work on real threads.
 */
final class ConsoleFixture {
    final Path store;
    final FxTaskExecutor executor = new FxTaskExecutor();
    MainViewModel vm;
    MainWindow window;

    ConsoleFixture(Path tmp) throws IOException {
        this.store = tmp.resolve("store");
        copySample(store);
    }

    /** Copies sample-store/ (without its read-only marker) to {@code to}. */
    static void copySample(Path to) throws IOException {
        SampleStore.copy(Path.of("sample-store").toAbsolutePath(), to);
    }

    /** Builds the window on {@code stage} and opens the store (in the background, as the app does). */
    void start(Stage stage, boolean readOnly) {
        vm = new MainViewModel(executor, new RecentStores(store.resolveSibling("recent-stores")), readOnly);
        window = new MainWindow(vm, executor, p -> { });
        Scene scene = new Scene(window, 1200, 800);
        Themes.apply(scene, false);
        stage.setScene(scene);
        stage.show();
        vm.open(store, false);
    }

    StoreSession session() {
        return vm.sessionProperty().get();
    }

    Engine engine() {
        return (Engine) session().engine();
    }

    void close() {
        StoreSession s = vm == null ? null : vm.sessionProperty().get();
        if (s != null) {
            s.close();
        }
        executor.shutdown();
    }

    /**
     * Clicks a tab's header and waits until that tab is selected and its view built (views are built when their tab
     * is first shown); clicks again if a click made on a busy machine did not select it. Any node given by id
     * (a tab inside a view, e.g. {@code #tabFailed}) is first waited for, then clicked.
     */
    static void openTab(org.testfx.api.FxRobot robot, String id) {
        String bare = id.startsWith("#") ? id.substring(1) : id;
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
        javafx.scene.control.TabPane tabs = robot.lookup("#mainTabs").queryAs(javafx.scene.control.TabPane.class);
        boolean mainTab = tabs.getTabs().stream().anyMatch(t -> bare.equals(t.getId()));
        while (System.nanoTime() < deadline) {
            if (robot.lookup(id).tryQuery().isPresent()) {
                robot.clickOn(id);
                org.testfx.util.WaitForAsyncUtils.waitForFxEvents();
                if (!mainTab) {
                    return;
                }
                javafx.scene.control.Tab t = tabs.getSelectionModel().getSelectedItem();
                if (t != null && bare.equals(t.getId()) && t.getContent() != null) {
                    return;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("the tab " + id + " could not be shown");
    }
}
