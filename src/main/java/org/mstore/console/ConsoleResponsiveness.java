package org.mstore.console;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.mstore.api.Action;
import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueRequest;
import org.mstore.api.Setting;
import org.mstore.api.Stores;

import javafx.application.Platform;
import javafx.collections.ListChangeListener;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.ButtonBase;
import javafx.scene.control.ButtonType;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.control.TreeCell;
import javafx.scene.control.TreeView;
import javafx.stage.Stage;
import javafx.stage.Window;

/**
 * How fast the console answers: the time from a tab switch or a button's action to the first frame drawn after it, on a
 * copy of the sample store ({@code clicks}); and the open of a store of 100 mailboxes through File › Open's path until
 * its rows are shown, beside the engine's own open ({@code open}). It prints figures, with the machine's load average,
 * and asserts nothing:
 *
 * <pre>
 * xvfb-run -a -s "-screen 0 1400x900x24" java -Xmx512m -cp target/mstore.jar org.mstore.console.ConsoleResponsiveness [all|clicks|open] [--repeats N]
 * </pre>
 *
 * {@code all} (the default) opens the 100-mailbox store first, in a JVM that has shown no store yet, then measures the
 * clicks. Run it from the repository's root: it copies {@code sample-store/} and generates the other store in a
 * temporary directory, deleted at the end. The window is the console's own ({@link MainWindow} in a 1280x820 scene,
 * with the 1-second tick {@link ConsoleApp} runs), as an administrator would use it.
 *
 * <p>What "the first frame" is. The action runs on the JavaFX thread, posted with {@code Platform.runLater} as an
 * event would be: a tab selected through the selection model, or a button's {@code fire()} (what a click does once
 * the mouse events are handled). The first pulse after it does the scene's CSS and layout
 * ({@code Scene.addPreLayoutPulseListener} / {@code addPostLayoutPulseListener} mark both ends); that pulse then waits
 * for the frame being drawn before it, copies the scene to the renderer, and the render thread draws it. The end of
 * the measure is when the render thread says that frame is done (JavaFX's per-scene {@code PerformanceTracker}, told
 * by the renderer after each frame). Each figure is split into handler + wait + layout + draw: the handler's own time
 * on the JavaFX thread (for a tab seen for the first time, building its view), the wait for the next pulse, that
 * pulse's CSS and layout, and the drawing with the wait for the frame before. A confirmation dialog the action opens
 * is measured to its own first frame, then its OK to the window's next frame. An open is measured to the first frame
 * whose layout found rows in the queue table (or the mailbox tree). With {@code -Dmstore.responsiveness.trace=true}
 * each measure is printed as it is taken (to read beside {@code -Djavafx.pulseLogger=true}).
 */
public final class ConsoleResponsiveness {
    private final int repeats;
    private final Traced executor = new Traced(new FxTaskExecutor());
    private Path dir;
    private MainViewModel vm;
    private MainWindow window;
    private FrameClock clock;
    private java.util.concurrent.ScheduledFuture<?> ticker;
    /** The probe whose action is running on the JavaFX thread (a dialog it opens is watched). */
    private volatile Probe inAction;
    /** The longest time between two pulses (the JavaFX thread busy, or waiting for a frame) since it was last reset. */
    private final FrameGaps maxGap = new FrameGaps();

    private ConsoleResponsiveness(int repeats) {
        this.repeats = repeats;
    }

    public static void main(String[] args) throws Exception {
        String mode = "all";
        int repeats = 5;
        int users = 20;
        int folders = 4;
        int messages = 50;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "clicks", "open", "all" -> mode = args[i];
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--users" -> users = Integer.parseInt(args[++i]);
                case "--folders" -> folders = Integer.parseInt(args[++i]);
                case "--messages" -> messages = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: ConsoleResponsiveness [clicks|open|all] [--repeats N] [--users N --folders F --messages M]");
                    System.exit(2);
                }
            }
        }
        Path sample = Path.of("sample-store");
        if (!Files.isDirectory(sample.resolve("mboxlist"))) {
            System.err.println("run it from the repository's root: no sample-store/ here");
            System.exit(2);
        }
        ConsoleResponsiveness b = new ConsoleResponsiveness(repeats);
        int rc = 0;
        try {
            b.dir = Files.createTempDirectory("mstore-responsiveness");
            b.header();
            b.startConsole();
            if (!mode.equals("clicks")) {
                b.open100(users, folders, messages);
            }
            if (!mode.equals("open")) {
                b.clicks(sample);
            }
            b.footer();
        } catch (Exception | Error e) {
            e.printStackTrace();
            rc = 1;
        } finally {
            b.close();
        }
        Platform.exit();
        System.exit(rc);
    }

    // ---------------------------------------------------------------- the console, as ConsoleApp builds it

    private void startConsole() throws Exception {
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        Platform.startup(started::countDown);
        started.await();
        onFx(() -> {
            vm = new MainViewModel(executor, new RecentStores(dir.resolve("recent-stores")), false);
            window = new MainWindow(vm, executor, p -> { });
            Scene scene = new Scene(window, 1280, 820);
            Themes.apply(scene, false);
            Stage stage = new Stage();
            stage.setScene(scene);
            stage.setTitle("mstore console — responsiveness");
            stage.show();
            clock = new FrameClock(scene);
            // the console's own tick, as ConsoleApp runs it (maxGap, a running AnimationTimer, keeps the pulse going to measure gaps)
            ticker = executor.real.repeatOnUi(1000, () -> {
                StoreSession s = vm.sessionProperty().get();
                if (s != null) {
                    s.tick();
                }
            });
            maxGap.start();
            Window.getWindows().addListener((ListChangeListener<Window>) c -> {
                while (c.next()) {
                    for (Window w : c.getAddedSubList()) {
                        Probe p = inAction;
                        if (p != null && w instanceof Stage && w.getScene() != null && w != stage) {
                            p.dialogShown(w);
                        }
                    }
                }
            });
            return null;
        });
        Thread.sleep(500);
    }

    private void close() {
        try {
            if (ticker != null) {
                ticker.cancel(false);
            }
            if (vm != null) {
                vm.closeNow();
            }
            awaitIdle(10_000);
            executor.shutdown();
        } catch (Exception | Error e) {
            System.err.println("closing: " + e);
        }
        if (dir != null) {
            try {
                deleteRecursively(dir);
            } catch (java.io.IOException e) {
                System.err.println("could not delete " + dir + ": " + e);
            }
        }
    }

    /** Opens {@code store} through File › Open's path and waits until it is open and every first load has come back. */
    private void openAndSettle(Path store) throws Exception {
        StoreSession before = onFx(() -> vm.sessionProperty().get());
        onFx(() -> {
            vm.open(store, false);
            return null;
        });
        await("the store open", () -> onFx(() -> vm.sessionProperty().get() != before && vm.sessionProperty().get() != null), 120_000);
        awaitIdle(60_000);
    }

    /**
     * The console's executor, with each background task's times kept (asked, started, done, its result handled on the
     * JavaFX thread): where an open's time goes.
     */
    private static final class Traced implements TaskExecutor {
        record Task(String title, long asked, long started, long done, long handled) {
        }

        private final FxTaskExecutor real;
        private final java.util.concurrent.ConcurrentLinkedQueue<Task> log = new java.util.concurrent.ConcurrentLinkedQueue<>();

        Traced(FxTaskExecutor real) {
            this.real = real;
        }

        @Override
        public <T> void execute(String title, Callable<T> work, java.util.function.Consumer<T> onSuccess,
                                java.util.function.Consumer<Throwable> onFailure) {
            long asked = System.nanoTime();
            long[] t = new long[2];
            real.execute(title, () -> {
                t[0] = System.nanoTime();
                try {
                    return work.call();
                } finally {
                    t[1] = System.nanoTime();
                }
            }, r -> {
                if (onSuccess != null) {
                    onSuccess.accept(r);
                }
                log.add(new Task(title, asked, t[0], t[1], System.nanoTime()));
            }, e -> {
                if (onFailure != null) {
                    onFailure.accept(e);
                }
                log.add(new Task(title + " (failed)", asked, t[0], t[1], System.nanoTime()));
            });
        }

        /** The tasks asked for since {@code from}, by when they were asked. */
        List<Task> since(long from) {
            return log.stream().filter(x -> x.asked() >= from).sorted(java.util.Comparator.comparingLong(Task::asked)).toList();
        }

        @Override
        public void runOnUi(Runnable r) {
            real.runOnUi(r);
        }

        @Override
        public javafx.beans.property.ReadOnlyIntegerProperty runningProperty() {
            return real.runningProperty();
        }

        @Override
        public javafx.beans.property.ReadOnlyStringProperty currentTitleProperty() {
            return real.currentTitleProperty();
        }

        @Override
        public void shutdown() {
            real.shutdown();
        }
    }

    // ---------------------------------------------------------------- measuring one action

    /**
     * The frames of one scene: a count and the time of each frame the renderer finished (JavaFX's per-scene
     * PerformanceTracker, told on the render thread), and a hook run after the layout of each pulse.
     */
    private static final class FrameClock {
        private final Scene scene;
        private final long[] at = new long[1 << 12];
        private final AtomicLong rendered = new AtomicLong();
        private volatile Runnable afterLayout;
        /** When the current pulse began on this scene (before its CSS and layout). */
        private volatile long pulseStart;

        FrameClock(Scene scene) {
            this.scene = scene;
            com.sun.javafx.perf.PerformanceTracker.getSceneTracker(scene).setOnRenderedFrameTask(() -> {
                long n = rendered.get() + 1;
                at[(int) (n & (at.length - 1))] = System.nanoTime();
                rendered.set(n);
            });
            scene.addPreLayoutPulseListener(() -> pulseStart = System.nanoTime());
            scene.addPostLayoutPulseListener(() -> {
                Runnable r = afterLayout;
                if (r != null) {
                    r.run();
                }
            });
        }

        /** Blocks (on the JavaFX thread, as the pulse would next) until the frame being drawn is done; its count. */
        long drawnSoFar() {
            com.sun.javafx.scene.SceneHelper.getPeer(scene).waitForRenderingToComplete();
            return rendered.get();
        }

        long frameTime(long n) {
            return at[(int) (n & (at.length - 1))];
        }
    }

    /** One measure: when the action began and returned, the next layout, and the frame drawn after it. */
    private final class Probe {
        final String what;
        volatile long t0;
        volatile long handled;
        volatile long pulseStarted;
        volatile long laidOut;
        volatile long frame;
        volatile long targetFrame;
        volatile FrameClock target;
        volatile Probe dialog;
        BooleanSupplier until;

        Probe(String what) {
            this.what = what;
        }

        /** Called on the JavaFX thread when the action returned: the next pulse(s) lay out and draw what it did. */
        void armOn(FrameClock c) {
            target = c;
            c.afterLayout = () -> {
                if (until != null && !until.getAsBoolean()) {
                    Platform.requestNextPulse();
                    return;
                }
                c.afterLayout = null;
                laidOut = System.nanoTime();
                pulseStarted = Math.max(c.pulseStart, handled);
                targetFrame = c.drawnSoFar() + 1; // the frame this pulse will draw (or, if nothing changed, the next one)
            };
            Platform.requestNextPulse();
        }

        /** A window the action opened (a confirmation): its first frame is what the click shows. */
        void dialogShown(Window w) {
            if (dialog != null || handled != 0) {
                return;
            }
            Probe d = new Probe(what + " (dialog)");
            d.t0 = t0;
            d.handled = System.nanoTime();
            dialog = d;
            d.armOn(new FrameClock(w.getScene()));
        }

        boolean done() {
            return targetFrame != 0 && target.rendered.get() >= targetFrame;
        }

        long awaitFrame() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!done()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + ": no frame drawn after it");
                }
                Thread.sleep(1);
            }
            frame = target.frameTime(targetFrame);
            return frame;
        }

        double totalMs() {
            return (frame - t0) / 1e6;
        }

        double handlerMs() {
            return (handled - t0) / 1e6;
        }

        double waitMs() {
            return (pulseStarted - handled) / 1e6;
        }

        double layoutMs() {
            return (laidOut - pulseStarted) / 1e6;
        }

        double drawMs() {
            return (frame - laidOut) / 1e6;
        }
    }

    /** Runs {@code action} on the JavaFX thread and waits for the first frame drawn after it (its rows, with {@code until}). */
    private Probe measure(String what, Runnable action, BooleanSupplier until) throws Exception {
        Probe p = new Probe(what);
        p.until = until;
        Platform.runLater(() -> {
            inAction = p;
            p.t0 = System.nanoTime();
            try {
                action.run();
            } finally {
                inAction = null;
                p.handled = System.nanoTime();
                p.armOn(clock);
            }
        });
        // a confirmation opened by the action: its first frame, then OK, then the main window's next frame
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!p.done() && p.dialog == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": nothing happened");
            }
            Thread.sleep(1);
        }
        if (p.dialog != null) {
            p.dialog.awaitFrame();
            trace(p.dialog);
            return p;
        }
        p.awaitFrame();
        trace(p);
        return p;
    }

    private static final boolean TRACE = Boolean.getBoolean("mstore.responsiveness.trace");

    private static void trace(Probe p) {
        if (TRACE) {
            System.out.printf(Locale.ROOT, "== %s: %.0f ms (%.0f+%.0f+%.0f+%.0f)%n", p.what, p.totalMs(), p.handlerMs(), p.waitMs(), p.layoutMs(),
                    p.drawMs());
        }
    }

    /** The action's confirmation dialog: OK fired, then the main window's first frame after the action returned. */
    private Probe confirm(Probe clicked) throws Exception {
        Probe ok = new Probe(clicked.what + " › OK");
        Window w = onFx(() -> Window.getWindows().stream().filter(x -> x instanceof Stage && x.getScene() != null
                && x.getScene().getRoot() instanceof DialogPane).findFirst().orElseThrow());
        Platform.runLater(() -> {
            ok.t0 = System.nanoTime();
            ((ButtonBase) ((DialogPane) w.getScene().getRoot()).lookupButton(ButtonType.OK)).fire();
        });
        clicked.awaitFrame(); // the outer action returns once the dialog is closed, then its frame is drawn
        ok.handled = clicked.handled;
        ok.laidOut = clicked.laidOut;
        ok.pulseStarted = clicked.pulseStarted;
        ok.frame = clicked.frame;
        return ok;
    }

    // ---------------------------------------------------------------- tab switches and buttons on the sample

    private final Map<String, List<Probe>> results = new LinkedHashMap<>();

    private void record(String key, Probe p) {
        results.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
    }

    private void clicks(Path sample) throws Exception {
        Path store = dir.resolve("sample-copy");
        copySample(sample, store);
        onFx(() -> {
            tabs().getSelectionModel().select(0);
            return null;
        });
        double[] f = openMeasured(store, false, 0);
        line("");
        line("opened a copy of the sample store (%d mailboxes, %d queue entries): engine open done %.0f ms, queue rows in the table %.0f ms,"
                + " shown %.0f ms, every first load back %.0f ms; load %s", onFx(() -> session().mailboxes().mailboxes().size()),
                onFx(() -> session().queue().totalProperty().get()), f[0], f[1], f[2], f[3], load());
        tabSwitches(store);
        buttons();
        onFx(() -> {
            tabs().getSelectionModel().select(0);
            return null;
        });
    }

    /** How long the console is left alone after a re-open before the idle round's first switches. */
    static final long IDLE_BEFORE_SWITCH_MILLIS = 8_000;

    private void tabSwitches(Path store) throws Exception {
        List<Tab> all = onFx(() -> List.copyOf(tabs().getTabs()));
        String loadBefore = load();
        // the first round builds each view (the queue's was built when the store opened), the later ones only switch
        for (int round = 0; round <= repeats; round++) {
            for (int i = 1; i <= all.size(); i++) {
                Tab tab = all.get(i % all.size());
                awaitQuiet();
                Probe p = measure("tab " + tab.getText(), () -> tabs().getSelectionModel().select(tab), null);
                record((round == 0 && i < all.size() ? "first " : "") + "tab " + tab.getId(), p);
            }
        }
        // the store opened again (File › Open recent): every view is built anew, by code that has run before
        firstSwitchesAfterReopen(store, all, 0, "rebuilt tab ");
        // the store opened again, then left alone for a while (no input): the console builds the views not shown yet
        // while it sits idle (MainWindow.prebuildWhenIdle), so a first switch then finds its view built
        firstSwitchesAfterReopen(store, all, IDLE_BEFORE_SWITCH_MILLIS, "idle tab ");
        section("Tab switches (load before " + loadBefore + ", after " + load() + ")");
        for (Tab tab : all) {
            if (results.containsKey("first tab " + tab.getId())) {
                printRow("first switch to " + tab.getId() + " (builds the view)", results.get("first tab " + tab.getId()));
            } else {
                line("  %-56s (built when the store opened)", "first switch to " + tab.getId());
            }
        }
        for (Tab tab : all) {
            if (results.containsKey("rebuilt tab " + tab.getId())) {
                printRow("first switch after the store's re-open, " + tab.getId(), results.get("rebuilt tab " + tab.getId()));
            }
        }
        for (Tab tab : all) {
            if (results.containsKey("idle tab " + tab.getId())) {
                printRow("first switch after a re-open and " + IDLE_BEFORE_SWITCH_MILLIS / 1000 + " s idle"
                        + (MainWindow.PREBUILD ? "" : " (prebuild off)") + ", " + tab.getId(), results.get("idle tab " + tab.getId()));
            }
        }
        for (Tab tab : all) {
            printRow("switch to " + tab.getId(), results.get("tab " + tab.getId()));
        }
    }

    /** {@code repeats} rounds: the store opened again, left alone {@code idleMillis}, then every view's first switch. */
    private void firstSwitchesAfterReopen(Path store, List<Tab> all, long idleMillis, String key) throws Exception {
        for (int round = 0; round < repeats; round++) {
            openAndSettle(store);
            Thread.sleep(idleMillis);
            for (int i = 1; i <= all.size(); i++) {
                Tab tab = all.get(i % all.size());
                awaitQuiet();
                Probe p = measure("tab " + tab.getText(), () -> tabs().getSelectionModel().select(tab), null);
                if (i < all.size()) {
                    record(key + tab.getId(), p);
                }
            }
        }
    }

    private void buttons() throws Exception {
        String loadBefore = load();
        StoreSession s = onFx(this::session);
        List<String> boxes = onFx(() -> s.mailboxes().mailboxes().stream().map(org.mstore.api.MailboxInfo::name).toList());
        String box = boxes.contains("user/user0001") ? "user/user0001" : boxes.get(0);
        for (int r = 0; r < repeats; r++) {
            // Queue: two entries for Run now and Remove (impurge, started below, drains the rest), added as another process would
            List<QueueRequest> two = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                two.add(new QueueRequest(boxes.get((2 * r + i) % boxes.size()), Action.REPAIR, System.currentTimeMillis(), false));
            }
            s.engine().queue().requestAll(two);
            show("tabQueue");
            selectQueueRow(s);
            click("Queue: Run now (one selected entry)", "#runNow");
            selectQueueRow(s);
            Probe rm = clickProbe("Queue: Remove (one selected entry) › confirmation shown", "#removeEntries");
            if (rm.dialog != null) {
                record("Queue: Remove (one selected entry) › confirmation shown", rm.dialog);
                record("Queue: Remove › OK", confirm(rm));
            }
            click("Queue: Refresh", () -> find(window.queueView(), "Refresh"));
            click("Queue: Hold still", "#pauseQueue");
            click("Queue: Resume live updates", "#pauseQueue");
            click("Queue: hide Clean (action toggle)", "#showClean");
            click("Queue: show Clean again", "#showClean");
            // Mailboxes
            show("tabMailboxes");
            onFx(() -> {
                s.mailboxes().select(box);
                return null;
            });
            awaitQuiet();
            click("Mailboxes: Repair now", "#repairNow");
            click("Mailboxes: Clean now", "#cleanNow");
            click("Mailboxes: Purge now", "#purgeNow");
            click("Mailboxes: Check", "#checkMailbox");
            click("Mailboxes: Check all", "#checkAll");
            click("Mailboxes: List (expunged)", "#listExpunged");
            // Purge daemon
            show("tabDaemon");
            click("Daemon: Start", "#startDaemon");
            await("impurge running", () -> onFx(() -> s.daemon().runningProperty().get()), 30_000);
            click("Daemon: Pause Purge", "#pauseAction-Purge");
            await("Purge paused", () -> onFx(() -> s.daemon().action(Action.PURGE).pausedProperty().get()
                    && !s.daemon().action(Action.PURGE).busyProperty().get()), 30_000);
            click("Daemon: Resume Purge", "#pauseAction-Purge");
            await("Purge resumed", () -> onFx(() -> !s.daemon().action(Action.PURGE).pausedProperty().get()
                    && !s.daemon().action(Action.PURGE).busyProperty().get()), 30_000);
            click("Daemon: Stop", "#stopDaemon");
            await("impurge stopped", () -> onFx(() -> !s.daemon().runningProperty().get()), 30_000);
            click("Daemon: Refresh (workers)", "#refreshWorkers");
            click("Daemon: Apply (off-peak window)", "#applyWindow");
            // Settings
            show("tabSettings");
            editSetting(s);
            click("Settings: Apply (one value changed)", "#applySettings");
            await("the settings applied", () -> onFx(() -> !s.settings().anyDirtyProperty().get()), 30_000);
            editSetting(s);
            click("Settings: Revert", "#revertSettings");
        }
        section("Buttons: click to the first frame drawn (load before " + loadBefore + ", after " + load() + ")");
        for (Map.Entry<String, List<Probe>> e : results.entrySet()) {
            if (!e.getKey().contains("tab ")) {
                printRow(e.getKey(), e.getValue());
            }
        }
    }

    private void selectQueueRow(StoreSession s) throws Exception {
        awaitQuiet();
        await("a queue row to select", () -> onFx(() -> {
            TableView<QueueEntry> t = window.queueView().table();
            for (int i = 0; i < t.getItems().size(); i++) {
                QueueEntry e = t.getItems().get(i);
                if (e != null && e.recno() > 0 && !e.inProgress()) {
                    t.getSelectionModel().clearAndSelect(i);
                    return true;
                }
            }
            return false;
        }), 30_000);
        awaitQuiet();
    }

    private void editSetting(StoreSession s) throws Exception {
        awaitQuiet();
        onFx(() -> {
            var f = s.settings().field(Setting.PURGE_COUNT);
            f.valueProperty().set(Long.toString(Long.parseLong(f.storedProperty().get()) == 500 ? 501 : 500));
            return null;
        });
        awaitQuiet();
    }

    private void show(String tabId) throws Exception {
        awaitQuiet();
        onFx(() -> {
            TabPane tp = tabs();
            tp.getSelectionModel().select(tp.getTabs().stream().filter(t -> tabId.equals(t.getId())).findFirst().orElseThrow());
            return null;
        });
        awaitQuiet();
    }

    private void click(String what, String id) throws Exception {
        click(what, () -> window.getScene().lookup(id));
    }

    private void click(String what, Callable<Node> button) throws Exception {
        Probe p = clickProbe(what, button);
        if (p != null) {
            record(what, p);
        }
    }

    private Probe clickProbe(String what, String id) throws Exception {
        return clickProbe(what, () -> window.getScene().lookup(id));
    }

    private Probe clickProbe(String what, Callable<Node> button) throws Exception {
        awaitQuiet();
        Node n = onFx(button);
        if (!(n instanceof ButtonBase b)) {
            skipped(what + ": not found");
            return null;
        }
        if (onFx(b::isDisabled)) {
            skipped(what + ": disabled");
            return null;
        }
        return measure(what, b::fire, null);
    }

    private final java.util.Set<String> skips = new java.util.LinkedHashSet<>();

    private void skipped(String why) {
        if (skips.add(why)) {
            line("  skipped: %s", why);
        }
    }

    private static Node find(Node root, String text) {
        for (Node n : root.lookupAll(".button")) {
            if (n instanceof ButtonBase b && text.equals(b.getText())) {
                return n;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- the open of a 100-mailbox store

    private List<Traced.Task> firstOpenTasks = List.of();
    private long firstOpenFrom;

    private void open100(int users, int folders, int messages) throws Exception {
        Path store = dir.resolve("store100");
        long t = System.nanoTime();
        // made by another JVM: this one has run none of the engine yet when the console opens the store, as after a start
        String made = inNewJvm(Generate.class, store.toString(), Integer.toString(users), Integer.toString(folders), Integer.toString(messages));
        if (!made.startsWith("generated ")) {
            throw new IllegalStateException("generating the store failed: " + made);
        }
        int boxes = Integer.parseInt(made.split(" ")[1]);
        double generated = secs(t);
        String loadBefore = load();
        // as File › Open does: MainViewModel.open; in turn with the Queue and the Mailboxes view in front, the sample between
        Path sampleCopy = dir.resolve("sample-for-open");
        copySample(Path.of("sample-store"), sampleCopy);
        List<double[]> queueFront = new ArrayList<>();
        List<double[]> treeFront = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            boolean tree = round % 2 == 1;
            onFx(() -> {
                TabPane tp = tabs();
                tp.getSelectionModel().select(tp.getTabs().stream().filter(x -> (tree ? "tabMailboxes" : "tabQueue")
                        .equals(x.getId())).findFirst().orElseThrow());
                return null;
            });
            awaitQuiet();
            long from = System.nanoTime();
            double[] f = openMeasured(store, tree, boxes);
            if (round == 0) {
                firstOpenTasks = executor.since(from);
                firstOpenFrom = from;
            }
            (tree ? treeFront : queueFront).add(f);
            openAndSettle(sampleCopy); // and store100 is closed in the background
        }
        // the same store with work due: the impurge the console starts drains it while the console opens
        Path due = dir.resolve("store100-due");
        copySample(store, due);
        try (MessageStore e = Stores.open(due, OpenOptions.cli("bench"))) {
            List<QueueRequest> q = new ArrayList<>();
            long now = System.currentTimeMillis();
            for (String name : org.mstore.tools.StoreGenerator.mailboxNames(users, folders)) {
                q.add(new QueueRequest(name, Action.REPAIR, now - 60_000, false));
            }
            e.queue().requestAll(q);
        }
        onFx(() -> {
            tabs().getSelectionModel().select(0);
            return null;
        });
        awaitQuiet();
        double[] busy = openMeasured(due, false, boxes);
        openAndSettle(sampleCopy);
        // the engine alone: Stores.open, the mailbox list and the first queue page, closed again (the console has the sample open)
        List<Double> engineOpen = new ArrayList<>();
        List<Double> engineFirst = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            try (MessageStore e = Stores.open(store, OpenOptions.console(false))) {
                engineOpen.add((System.nanoTime() - t0) / 1e6);
                e.mailboxes().list();
                e.queue().page(org.mstore.api.QueueQuery.all(), 0, 500);
                engineFirst.add((System.nanoTime() - t0) / 1e6);
            }
        }
        // the engine alone in a new JVM (its classes loaded, H2 started, nothing compiled yet: what a first open also pays)
        List<String> fresh = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            fresh.add(inNewJvm(EngineOpen.class, store.toString()));
        }
        section(String.format(Locale.ROOT, "Open of a store of %d mailboxes (%d users x %d, %d messages each; %d Remove entries, not yet due; made in "
                + "%.1f s by another JVM) through MainViewModel.open (load before %s, after %s)", boxes, users, folders + 1, messages, boxes, generated,
                loadBefore, load()));
        String[] names = {"1st, Queue in front", "1st, Mailboxes in front", "2nd, Queue in front", "2nd, Mailboxes in front"};
        for (int i = 0; i < 4; i++) {
            double[] f = (i % 2 == 0 ? queueFront : treeFront).get(i / 2);
            line("  %-24s engine open done %5.0f ms; %s %5.0f ms, shown %5.0f ms; every first load back %5.0f ms;"
                    + " longest gap between pulses %4.0f ms", names[i], f[0], i % 2 == 0 ? "queue rows in the table" : "mailboxes in the model ",
                    f[1], f[2], f[3], f[4]);
        }
        line("  %-24s engine open done %5.0f ms; queue rows in the table %5.0f ms, shown %5.0f ms; every first load back %5.0f ms;"
                + " longest gap between pulses %4.0f ms", "with 100 Repairs due", busy[0], busy[1], busy[2], busy[3], busy[4]);
        line("  %-24s (a copy with a Repair due for every mailbox: the impurge the console starts rebuilds them while it opens)", "");
        line("  engine only (Stores.open, 3 times): open %s ms; with the mailbox list and the first queue page %s ms",
                list(engineOpen), list(engineFirst));
        for (String f : fresh) {
            line("  engine only, in a new JVM: %s", f);
        }
        line("  the 1st open's background tasks (ms after the open was asked: started, done, result handled on the JavaFX thread):");
        for (Traced.Task k : firstOpenTasks) {
            line("    %-44s %6.0f %6.0f %6.0f", k.title().length() > 44 ? k.title().substring(0, 41) + "..." : k.title(),
                    (k.started() - firstOpenFrom) / 1e6, (k.done() - firstOpenFrom) / 1e6, (k.handled() - firstOpenFrom) / 1e6);
        }
    }

    /**
     * Opens {@code store} as File › Open does, with the Queue (or the Mailboxes) view in front; ms from the call to the
     * engine's open done (the session set), the rows (or mailboxes) in the view model, the first frame showing them, and
     * every first load back.
     */
    private double[] openMeasured(Path store, boolean tree, int boxes) throws Exception {
        StoreSession before = onFx(() -> vm.sessionProperty().get());
        maxGap.reset();
        long[] at = new long[2];
        javafx.beans.value.ChangeListener<StoreSession> seen = (o, a, b) -> at[0] = System.nanoTime();
        onFx(() -> {
            vm.sessionProperty().addListener(seen);
            return null;
        });
        Probe p = measure("open", () -> vm.open(store, false), () -> {
            StoreSession s = vm.sessionProperty().get();
            if (s == null || s == before) {
                return false;
            }
            if (at[1] == 0 && (tree ? s.mailboxes().mailboxes().size() >= boxes : window.queueView() != null
                    && !window.queueView().table().getItems().isEmpty())) {
                at[1] = System.nanoTime(); // (seen at the layout of a pulse)
            }
            return tree ? treeRowsShown(boxes) : queueRowsShown();
        });
        long loaded = awaitIdle(120_000);
        onFx(() -> {
            vm.sessionProperty().removeListener(seen);
            return null;
        });
        return new double[] {(at[0] - p.t0) / 1e6, (at[1] - p.t0) / 1e6, p.totalMs(), (loaded - p.t0) / 1e6, maxGap.maxNanos() / 1e6};
    }

    /**
     * Runs {@code main} in a new JVM (this one's class path and class-data archive, if it was given one: target/mstore
     * maps target/mstore.jsa); its last line of output.
     */
    private static String inNewJvm(Class<?> main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-XX:SharedArchiveFile") || a.startsWith("-Xshare") || a.startsWith("-Xlog:cds")).forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        int rc = pr.waitFor();
        List<String> lines = out.lines().toList();
        return rc == 0 && !lines.isEmpty() ? lines.get(lines.size() - 1) : "failed (exit " + rc + "): " + out;
    }

    /**
     * Makes the store to open: {@code users} users with an INBOX and {@code folders} folders each, {@code messages}
     * messages in every mailbox ({@code mstore generate}), and one Remove entry per mailbox, due after
     * store.cleanupage (an hour): the impurge the console starts leaves them waiting. Prints "generated N mailboxes".
     */
    public static final class Generate {
        private Generate() {
        }

        public static void main(String[] args) throws Exception {
            Path root = Path.of(args[0]);
            int users = Integer.parseInt(args[1]);
            int folders = Integer.parseInt(args[2]);
            try (MessageStore e = Stores.init(root, OpenOptions.cli("generate"))) {
                int boxes = org.mstore.tools.StoreGenerator.generate(e, users, folders, Integer.parseInt(args[3]), 1).mailboxes();
                List<QueueRequest> q = new ArrayList<>();
                long now = System.currentTimeMillis();
                for (String name : org.mstore.tools.StoreGenerator.mailboxNames(users, folders)) {
                    q.add(new QueueRequest(name, Action.REMOVE, now, false));
                }
                e.queue().requestAll(q);
                System.out.println("generated " + boxes + " mailboxes");
            }
        }
    }

    /** The engine's open of a store in a JVM of its own: {@code Stores.open}, then the mailbox list and the first queue page. */
    public static final class EngineOpen {
        private EngineOpen() {
        }

        public static void main(String[] args) throws Exception {
            long t0 = System.nanoTime();
            try (MessageStore e = Stores.open(Path.of(args[0]), OpenOptions.console(false))) {
                long opened = System.nanoTime();
                int n = e.mailboxes().list().size();
                e.queue().page(org.mstore.api.QueueQuery.all(), 0, 500);
                System.out.printf(Locale.ROOT, "engine open %.0f ms; with the list of %d mailboxes and the first queue page %.0f ms%n",
                        (opened - t0) / 1e6, n, (System.nanoTime() - t0) / 1e6);
            }
        }
    }

    private boolean queueRowsShown() {
        if (window.queueView() == null) {
            return false;
        }
        for (Node n : window.queueView().table().lookupAll(".table-row-cell")) {
            if (n instanceof TableRow<?> r && r.isVisible() && r.getItem() != null) {
                return true;
            }
        }
        return false;
    }

    private boolean treeRowsShown(int boxes) {
        Node n = window.getScene().lookup("#mailboxTree");
        if (!(n instanceof TreeView<?> tree) || tree.getRoot() == null || tree.getExpandedItemCount() < boxes) {
            return false;
        }
        for (Node c : tree.lookupAll(".tree-cell")) {
            if (c instanceof TreeCell<?> cell && cell.isVisible() && cell.getItem() != null) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- helpers

    private TabPane tabs() {
        return window.tabs();
    }

    private StoreSession session() {
        return vm.sessionProperty().get();
    }

    /** Waits until no background task has run for 300 ms (the 1-second tick starts some now and then). */
    private void awaitQuiet() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long quietSince = 0;
        while (System.nanoTime() < deadline) {
            boolean idle = onFx(() -> executor.runningProperty().get() == 0);
            long now = System.nanoTime();
            if (!idle) {
                quietSince = 0;
            } else if (quietSince == 0) {
                quietSince = now;
            } else if (now - quietSince > TimeUnit.MILLISECONDS.toNanos(300)) {
                return;
            }
            Thread.sleep(10);
        }
        skipped("the console was never quiet for 300 ms within 60 s; measured anyway");
    }

    /** Waits until no background task runs; when that was first seen. */
    private long awaitIdle(long millis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline) {
            if (onFx(() -> executor.runningProperty().get() == 0)) {
                return System.nanoTime();
            }
            Thread.sleep(2);
        }
        throw new IllegalStateException("background work still running after " + millis + " ms");
    }

    private void header() {
        line("mstore console responsiveness: Java %s (%s), %d CPUs, max heap %.0f MB", System.getProperty("java.runtime.version"),
                System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / 1048576.0);
        line("load average at the start: %s", load());
    }

    private void footer() {
        line("");
        line("load average at the end: %s", load());
        line("(ms from the action on the JavaFX thread to the first frame drawn after it: median / max over the repeats; in brackets"
                + " handler+wait+layout+draw: the handler's own time, the wait for the next pulse, that pulse's CSS and layout, and the"
                + " frame's drawing (with the wait for the frame before it): their medians, and those of the worst repeat)");
    }

    private void section(String title) {
        line("");
        line("%s", title);
    }

    private void printRow(String what, List<Probe> ps) {
        if (ps == null || ps.isEmpty()) {
            line("  %-58s -", what);
            return;
        }
        List<Probe> byTotal = ps.stream().sorted(java.util.Comparator.comparingDouble(Probe::totalMs)).toList();
        Probe worst = byTotal.get(byTotal.size() - 1);
        line("  %-56s %5.0f / %5.0f ms  (n=%d; median %s; worst %s)", what, median(byTotal.stream().map(Probe::totalMs).toList()),
                worst.totalMs(), ps.size(), parts(ps.stream().map(Probe::handlerMs).sorted().toList(),
                        ps.stream().map(Probe::waitMs).sorted().toList(), ps.stream().map(Probe::layoutMs).sorted().toList(),
                        ps.stream().map(Probe::drawMs).sorted().toList()),
                String.format(Locale.ROOT, "%.0f+%.0f+%.0f+%.0f", worst.handlerMs(), worst.waitMs(), worst.layoutMs(), worst.drawMs()));
    }

    private static String parts(List<Double> handler, List<Double> wait, List<Double> layout, List<Double> draw) {
        return String.format(Locale.ROOT, "%.0f+%.0f+%.0f+%.0f", median(handler), median(wait), median(layout), median(draw));
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String list(List<Double> ms) {
        return String.join(", ", ms.stream().map(d -> String.format(Locale.ROOT, "%.0f", d)).toList());
    }

    private void line(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }

    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static <T> T onFx(Callable<T> c) {
        if (Platform.isFxApplicationThread()) {
            try {
                return c.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        FutureTask<T> f = new FutureTask<>(c);
        Platform.runLater(f);
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(BooleanSupplier cond, long millis) throws InterruptedException {
        await("a condition", cond, millis);
    }

    private static void await(String what, BooleanSupplier cond, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Copies the sample store to {@code to} as a store that may be changed: without the sample's marker (which would
     * have the console open a working copy of its own elsewhere) and without H2's lock and trace files.
     */
    private static void copySample(Path from, Path to) throws java.io.IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                String name = p.getFileName().toString();
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else if (!name.equals(".mstore-sample") && !name.endsWith(".lock.db") && !name.endsWith(".trace.db")) {
                    Files.copy(p, q, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
