package org.mstore.console;

import java.nio.file.Path;
import java.time.ZoneId;
import java.util.function.Consumer;

import org.controlsfx.control.StatusBar;
import org.mstore.api.Action;
import org.mstore.console.daemon.DaemonView;
import org.mstore.console.dashboard.DashboardView;
import org.mstore.console.log.LogView;
import org.mstore.console.mailboxes.MailboxesView;
import org.mstore.console.queue.QueueView;
import org.mstore.console.queue.QueueViewModel;
import org.mstore.console.settings.SettingsView;

import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.scene.control.Alert;
import javafx.scene.control.ButtonType;
import javafx.scene.control.CheckMenuItem;
import javafx.scene.control.Label;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.StackPane;
import javafx.stage.DirectoryChooser;
import javafx.stage.Window;

/**
 * The console's window: menus with the keyboard shortcuts, one tab per view, and a status bar with the
 * store, the daemon's state, the queue depth and the background work in progress.
 */
public final class MainWindow extends BorderPane {
    private final MainViewModel vm;
    private final TaskExecutor executor;
    private final TabPane tabs = new TabPane();
    private final Tab queueTab = tab("Queue", "tabQueue");
    private final Tab historyTab = tab("History", "tabHistory");
    private final Tab mailboxesTab = tab("Mailboxes", "tabMailboxes");
    private final Tab sessionsTab = tab("Sessions", "tabSessions");
    private final Tab settingsTab = tab("Settings", "tabSettings");
    private final Tab daemonTab = tab("Purge daemon", "tabDaemon");
    private final Tab logTab = tab("Log", "tabLog");
    private final Tab dashboardTab = tab("Dashboard", "tabDashboard");
    private final StatusBar statusBar = new StatusBar();
    private final Label daemonStatus = new Label();
    private final Label depthStatus = new Label();
    private final Label problemsStatus = new Label();
    private final Label readOnlyBadge = new Label("READ-ONLY");
    private final Consumer<Path> openSample;
    private QueueView queueView;
    private MailboxesView mailboxesView;
    private LogView logView;
    private org.mstore.console.history.HistoryView historyView;

    public MainWindow(MainViewModel vm, TaskExecutor executor, Consumer<Path> openSample) {
        this.vm = vm;
        this.executor = executor;
        this.openSample = openSample;
        setId("mainWindow");
        addEventFilter(javafx.scene.input.InputEvent.ANY, e -> lastInput = System.nanoTime());
        tabs.getTabs().addAll(queueTab, historyTab, mailboxesTab, sessionsTab, settingsTab, daemonTab, logTab, dashboardTab);
        tabs.setId("mainTabs");
        setTop(menus());
        setCenter(tabs);
        setBottom(statusBar());
        showEmpty();
        vm.sessionProperty().addListener((o, a, s) -> show(s));
        // Ctrl+Page Up / Down: the previous / next view (the queue table uses them for its pages while it has the focus)
        addEventHandler(javafx.scene.input.KeyEvent.KEY_PRESSED, e -> {
            if (e.isShortcutDown() && (e.getCode() == KeyCode.PAGE_DOWN || e.getCode() == KeyCode.PAGE_UP)) {
                int n = tabs.getTabs().size();
                int i = tabs.getSelectionModel().getSelectedIndex();
                tabs.getSelectionModel().select((i + (e.getCode() == KeyCode.PAGE_DOWN ? 1 : n - 1)) % n);
                e.consume();
            }
        });
    }

    private static Tab tab(String title, String id) {
        Tab t = new Tab(title);
        t.setId(id);
        t.setClosable(false);
        return t;
    }

    private void showEmpty() {
        for (Tab t : tabs.getTabs()) {
            Label l = new Label();
            l.textProperty().bind(Bindings.when(vm.openingProperty()).then("Opening the store...")
                    .otherwise(Bindings.when(vm.errorProperty().isEmpty()).then("No store open: File › Open store...")
                            .otherwise(vm.errorProperty())));
            l.getStyleClass().add("muted");
            t.setContent(new StackPane(l));
        }
    }

    private void show(StoreSession s) {
        if (s == null) {
            showEmpty();
            return;
        }
        ZoneId zone = s.engine().clock().getZone();
        queueView = null;
        historyView = null;
        mailboxesView = null;
        logView = null;
        // Each view is built when its tab is first shown: the window comes up with only the queue to style and lay out.
        java.util.Map<Tab, java.util.function.Supplier<javafx.scene.Node>> builders = new java.util.LinkedHashMap<>();
        builders.put(queueTab, () -> queueView = new QueueView(s.queue(), zone, this::showMailbox));
        builders.put(historyTab, () -> historyView = new org.mstore.console.history.HistoryView(s.history(), zone));
        builders.put(mailboxesTab, () -> {
            mailboxesView = new MailboxesView(s.mailboxes(), zone);
            mailboxesView.addBelowTree(new org.mstore.console.health.HealthPane(s.health(), this::showMailbox));
            return mailboxesView;
        });
        builders.put(sessionsTab, () -> new org.mstore.console.sessions.SessionsView(s.sessions(), zone));
        builders.put(settingsTab, () -> new SettingsView(s.settings()));
        builders.put(daemonTab, () -> new DaemonView(s.daemon(), s.impurgeNow().textProperty()));
        builders.put(logTab, () -> logView = new LogView(s.log(), line -> {
            String box = org.mstore.console.log.LogViewModel.mailboxIn(line.message() != null ? line.message() : line.raw(),
                    s.mailboxes().mailboxes().stream().map(org.mstore.api.MailboxInfo::name).toList());
            if (box != null) {
                showMailbox(box);
            }
        }));
        builders.put(dashboardTab, () -> new DashboardView(s.dashboard(), zone, s.impurgeNow().textProperty(), this::showMailbox));
        builders.forEach((t, b) -> t.setContent(null));
        Runnable buildSelected = () -> {
            Tab t = tabs.getSelectionModel().getSelectedItem();
            java.util.function.Supplier<javafx.scene.Node> b = builders.remove(t);
            if (b != null) {
                t.setContent(b.get());
            }
            s.viewsShown(t == daemonTab, t == sessionsTab);
        };
        if (selectionBuilder != null) {
            tabs.getSelectionModel().selectedItemProperty().removeListener(selectionBuilder);
        }
        selectionBuilder = (o, a, b) -> buildSelected.run();
        tabs.getSelectionModel().selectedItemProperty().addListener(selectionBuilder);
        builders.remove(queueTab).get();
        queueTab.setContent(queueView);
        buildSelected.run();
        long generation = ++shown;
        if (PREBUILD) {
            prebuildWhenIdle(builders, generation);
        }
        daemonStatus.textProperty().bind(Bindings.concat("impurge: ", s.daemon().stateTextProperty()));
        depthStatus.textProperty().bind(Bindings.createStringBinding(() -> "queue: " + Format.count(s.queue().totalProperty().get()),
                s.queue().totalProperty()));
        problemsStatus.textProperty().bind(s.health().badgeProperty());
        problemsStatus.visibleProperty().bind(s.health().badgeProperty().isNotEmpty());
        problemsStatus.managedProperty().bind(problemsStatus.visibleProperty());
        // the problems badge: a count in the tab's title (a tab's graphic set once its header is built is not shown), red
        javafx.beans.binding.StringBinding badge = Bindings.createStringBinding(() -> {
            int n = s.health().problemMailboxesProperty().get();
            long r = s.health().repairsWaitingProperty().get();
            return n > 0 ? Format.count(n) : r > 0 ? Format.count(r) : "";
        }, s.health().problemMailboxesProperty(), s.health().repairsWaitingProperty());
        mailboxesTab.textProperty().bind(Bindings.when(badge.isEmpty()).then("Mailboxes").otherwise(Bindings.concat("Mailboxes  ", badge)));
        javafx.scene.control.Tooltip tip = new javafx.scene.control.Tooltip();
        tip.textProperty().bind(s.health().badgeProperty());
        mailboxesTab.setTooltip(tip);
        Runnable mark = () -> {
            mailboxesTab.getStyleClass().remove("tab-problems");
            if (!badge.get().isEmpty()) {
                mailboxesTab.getStyleClass().add("tab-problems");
            }
        };
        badge.addListener((o, a, b) -> mark.run());
        mark.run();
        s.noticeProperty().addListener((o, was, n) -> {
            if (n != null) {
                org.controlsfx.control.Notifications note = org.controlsfx.control.Notifications.create().title(n.title()).text(n.text())
                        .owner(getScene() == null ? null : getScene().getWindow())
                        .hideAfter(javafx.util.Duration.seconds(8))
                        .onAction(e -> tabs.getSelectionModel().select(n.failure() ? historyTab : queueTab));
                if (n.failure()) {
                    note.showWarning();
                } else {
                    note.showInformation();
                }
            }
        });
    }

    private javafx.beans.value.ChangeListener<Tab> selectionBuilder;

    /**
     * Whether the views not shown yet are built while the console sits idle ({@code -Dmstore.console.prebuild=false}
     * leaves each to its first switch, as before: for measuring one against the other).
     */
    static final boolean PREBUILD = !"false".equals(System.getProperty("mstore.console.prebuild"));
    /** How long the console must have had no input, and no background work, before a view is built ahead. */
    static final long IDLE_NANOS = 1_000_000_000L;
    private static final javafx.util.Duration PREBUILD_LOOK = javafx.util.Duration.millis(700);
    /** When the window last saw a key, mouse or scroll event. */
    private long lastInput = System.nanoTime();
    /** Which store's views are being built (a new one stops the building of the last one's). */
    private long shown;

    /**
     * Builds the views not yet shown one at a time, in tab order, each once the console has been idle for
     * {@link #IDLE_NANOS} (no input, no background task): a first switch to a view found it to build, style and lay
     * out on the JavaFX thread (the Dashboard's charts 155–356 ms), where later switches take 10–70 ms. Built in a
     * tab that is not selected, the view is styled and laid out by the pulses that follow, while nothing else waits.
     */
    private void prebuildWhenIdle(java.util.Map<Tab, java.util.function.Supplier<javafx.scene.Node>> builders, long generation) {
        javafx.animation.PauseTransition look = new javafx.animation.PauseTransition(PREBUILD_LOOK);
        look.setOnFinished(e -> {
            if (generation != shown || builders.isEmpty()) {
                return;
            }
            if (System.nanoTime() - lastInput >= IDLE_NANOS && executor.runningProperty().get() == 0) {
                Tab t = builders.keySet().iterator().next();
                t.setContent(builders.remove(t).get());
            }
            prebuildWhenIdle(builders, generation);
        });
        look.play();
    }

    /** Switches to the Mailboxes view with {@code name} selected. */
    public void showMailbox(String name) {
        StoreSession s = vm.sessionProperty().get();
        if (s != null) {
            s.mailboxes().searchProperty().set("");
            s.mailboxes().select(name);
            tabs.getSelectionModel().select(mailboxesTab);
        }
    }

    private StatusBar statusBar() {
        statusBar.setId("statusBar");
        statusBar.textProperty().bind(Bindings.createStringBinding(() -> {
            String t = executor.currentTitleProperty().get();
            String store = vm.storeLabelProperty().get();
            return t.isEmpty() ? store : store + "   —   " + t + "...";
        }, executor.currentTitleProperty(), vm.storeLabelProperty()));
        // the moving bar while a task shows (FxTaskExecutor shows those that run for a while): an indeterminate progress
        // bar keeps the JavaFX pulse at 60 Hz while it is visible, so not for the routine reads of a few milliseconds
        statusBar.progressProperty().bind(Bindings.when(executor.currentTitleProperty().isNotEmpty()).then(-1.0).otherwise(0.0));
        readOnlyBadge.setId("readOnlyBadge");
        readOnlyBadge.getStyleClass().addAll("badge", "badge-readonly");
        readOnlyBadge.setVisible(vm.readOnly());
        readOnlyBadge.setManaged(vm.readOnly());
        daemonStatus.setId("statusDaemon");
        depthStatus.setId("statusDepth");
        daemonStatus.getStyleClass().add("status-item");
        depthStatus.getStyleClass().add("status-item");
        problemsStatus.setId("statusProblems");
        problemsStatus.getStyleClass().addAll("status-item", "status-problems");
        problemsStatus.setVisible(false);
        problemsStatus.setManaged(false);
        readOnlyBadge.getStyleClass().add("status-item");
        statusBar.getRightItems().addAll(readOnlyBadge, problemsStatus, daemonStatus, depthStatus);
        return statusBar;
    }

    private MenuBar menus() {
        Menu file = new Menu("_File");
        MenuItem open = item("_Open store...", new KeyCodeCombination(KeyCode.O, KeyCombination.SHORTCUT_DOWN), this::chooseStore);
        Menu recent = new Menu("Open _recent");
        Runnable fillRecent = () -> {
            recent.getItems().clear();
            for (Path p : vm.recentStores()) {
                MenuItem i = new MenuItem(p.toString());
                i.setMnemonicParsing(false);
                i.setOnAction(e -> vm.open(p, false));
                recent.getItems().add(i);
            }
            recent.setDisable(recent.getItems().isEmpty());
        };
        vm.recentStores().addListener((ListChangeListener<Path>) c -> fillRecent.run());
        fillRecent.run();
        MenuItem sample = item("Open the _sample store (fresh copy)", null, () -> openSample.accept(null));
        MenuItem quit = item("_Quit", new KeyCodeCombination(KeyCode.Q, KeyCombination.SHORTCUT_DOWN), () -> {
            Window w = getScene().getWindow();
            w.fireEvent(new javafx.stage.WindowEvent(w, javafx.stage.WindowEvent.WINDOW_CLOSE_REQUEST));
        });
        file.getItems().addAll(open, recent, sample, new SeparatorMenuItem(), quit);

        Menu view = new Menu("_View");
        // Ctrl+1 ... Ctrl+8: the tabs in the order they are shown
        KeyCode[] digits = {KeyCode.DIGIT1, KeyCode.DIGIT2, KeyCode.DIGIT3, KeyCode.DIGIT4, KeyCode.DIGIT5, KeyCode.DIGIT6, KeyCode.DIGIT7,
            KeyCode.DIGIT8, KeyCode.DIGIT9};
        for (int i = 0; i < tabs.getTabs().size() && i < digits.length; i++) {
            Tab t = tabs.getTabs().get(i);
            view.getItems().add(item(t.getText(), new KeyCodeCombination(digits[i], KeyCombination.SHORTCUT_DOWN),
                    () -> tabs.getSelectionModel().select(t)));
        }
        MenuItem find = item("_Find / filter", new KeyCodeCombination(KeyCode.F, KeyCombination.SHORTCUT_DOWN), this::focusFilter);
        find.setId("menuFind");
        MenuItem refresh = item("_Refresh", new KeyCodeCombination(KeyCode.F5), this::refresh);
        CheckMenuItem dark = new CheckMenuItem("_Dark theme");
        dark.setAccelerator(new KeyCodeCombination(KeyCode.T, KeyCombination.SHORTCUT_DOWN));
        dark.selectedProperty().bindBidirectional(vm.darkProperty());
        view.getItems().addAll(new SeparatorMenuItem(), find, refresh, dark);

        Menu actions = new Menu("_Actions");
        MenuItem repair = item("_Repair the selection", new KeyCodeCombination(KeyCode.R, KeyCombination.SHORTCUT_DOWN), this::repairSelection);
        repair.setId("menuRepair");
        MenuItem runNow = item("Run selected entries _now", new KeyCodeCombination(KeyCode.ENTER, KeyCombination.SHORTCUT_DOWN), () -> {
            if (queueView != null) {
                queueView.runSelected();
            }
        });
        MenuItem check = item("_Check the mailbox", new KeyCodeCombination(KeyCode.K, KeyCombination.SHORTCUT_DOWN), () -> {
            StoreSession s = vm.sessionProperty().get();
            if (s != null) {
                s.mailboxes().check();
            }
        });
        MenuItem start = item("_Start impurge", null, () -> {
            StoreSession s = vm.sessionProperty().get();
            if (s != null) {
                s.daemon().start();
            }
        });
        MenuItem stop = item("S_top impurge", null, () -> {
            StoreSession s = vm.sessionProperty().get();
            if (s != null) {
                s.daemon().stop();
            }
        });
        for (MenuItem m : new MenuItem[] {repair, runNow, start}) {
            m.setDisable(vm.readOnly());
        }
        actions.getItems().addAll(repair, runNow, check, new SeparatorMenuItem(), start, stop);

        Menu help = new Menu("_Help");
        help.getItems().add(item("_Keyboard shortcuts", new KeyCodeCombination(KeyCode.F1), this::showShortcuts));
        MenuBar bar = new MenuBar(file, view, actions, help);
        bar.setId("menuBar");
        return bar;
    }

    private static MenuItem item(String text, KeyCombination key, Runnable action) {
        MenuItem i = new MenuItem(text);
        if (key != null) {
            i.setAccelerator(key);
        }
        i.setOnAction(e -> action.run());
        return i;
    }

    private void chooseStore() {
        DirectoryChooser c = new DirectoryChooser();
        c.setTitle("Open a store (the directory that holds mboxlist/ and partition/)");
        Path current = vm.recentStores().isEmpty() ? null : vm.recentStores().get(0);
        if (current != null && current.getParent() != null && current.getParent().toFile().isDirectory()) {
            c.setInitialDirectory(current.getParent().toFile());
        }
        java.io.File f = c.showDialog(getScene().getWindow());
        if (f != null) {
            vm.open(f.toPath(), false);
        }
    }

    /** Ctrl+F: the filter of the view in front. */
    public void focusFilter() {
        Tab t = tabs.getSelectionModel().getSelectedItem();
        if (t == queueTab && queueView != null) {
            queueView.focusFilter();
        } else if (t == mailboxesTab && mailboxesView != null) {
            mailboxesView.focusSearch();
        } else if (t == logTab && logView != null) {
            logView.focusFilter();
        } else if (queueView != null) {
            tabs.getSelectionModel().select(queueTab);
            queueView.focusFilter();
        }
    }

    private void refresh() {
        StoreSession s = vm.sessionProperty().get();
        if (s != null) {
            s.queue().refresh();
            s.mailboxes().load();
            s.settings().load();
            s.daemon().load();
            s.dashboard().load();
        }
    }

    /** Ctrl+R: repair the selected mailbox, or the mailboxes of the selected queue entries. */
    public void repairSelection() {
        StoreSession s = vm.sessionProperty().get();
        if (s == null || vm.readOnly()) {
            return;
        }
        Tab t = tabs.getSelectionModel().getSelectedItem();
        if (t == queueTab && queueView != null) {
            for (String m : QueueViewModel.mailboxes(queueView.selection())) {
                s.mailboxes().request(m, Action.REPAIR);
            }
        } else {
            s.mailboxes().repairNow();
        }
    }

    private void showShortcuts() {
        Alert a = new Alert(Alert.AlertType.INFORMATION, String.join("\n",
                "Ctrl+O   open a store", "Ctrl+1…8  switch view (in the order of the tabs)", "Ctrl+PgUp / Ctrl+PgDn  previous / next view (in the queue table: its pages)", "Ctrl+F   focus the filter / search", "F5       refresh",
                "Ctrl+R   repair the selected mailbox (or the selected entries' mailboxes)",
                "Ctrl+K   check the selected mailbox", "Ctrl+Enter  run the selected queue entries now",
                "Delete   remove the selected queue entries", "Ctrl+T   dark / light theme", "Ctrl+Q   quit"), ButtonType.OK);
        a.setHeaderText("Keyboard shortcuts");
        a.initOwner(getScene().getWindow());
        a.show();
    }

    public TabPane tabs() {
        return tabs;
    }

    public QueueView queueView() {
        return queueView;
    }
}
