package org.mstore.console.daemon;

import org.mstore.api.Action;
import org.mstore.api.DaemonState;
import org.mstore.console.Metrics;

import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;

/** Start / Stop, the off-peak window, and the daemon's state at a glance. */
public final class DaemonView extends ScrollPane {
    public DaemonView(DaemonViewModel vm) {
        this(vm, null);
    }

    /** With {@code now}: what impurge is doing now (the running entries, how long they have run). */
    public DaemonView(DaemonViewModel vm, javafx.beans.value.ObservableStringValue now) {
        setId("daemonView");
        setFitToWidth(true);

        Label state = new Label();
        state.setId("daemonState");
        state.getStyleClass().add("state-label");
        state.textProperty().bind(vm.stateTextProperty());
        vm.stateProperty().addListener((o, a, b) -> styleState(state, b));
        styleState(state, vm.stateProperty().get());

        Button start = new Button("Start");
        start.setId("startDaemon");
        start.setTooltip(new Tooltip("Start impurge in this console (it takes the purge session lock)"));
        start.disableProperty().bind(vm.runningProperty().or(vm.readOnlyProperty()));
        start.setOnAction(e -> vm.start());
        Button stop = new Button("Stop");
        stop.setId("stopDaemon");
        stop.setTooltip(new Tooltip("Stop after the current task and let go of the session lock"));
        stop.disableProperty().bind(vm.runningProperty().not());
        stop.setOnAction(e -> vm.stop());
        HBox controls = new HBox(8, state, start, stop);
        controls.setAlignment(Pos.CENTER_LEFT);

        Label error = new Label();
        error.setId("daemonError");
        error.getStyleClass().add("error-banner");
        error.setWrapText(true);
        error.textProperty().bind(vm.errorProperty());
        error.visibleProperty().bind(vm.errorProperty().isNotEmpty());
        error.managedProperty().bind(error.visibleProperty());

        Label other = new Label();
        other.setId("daemonOtherHolder");
        other.getStyleClass().add("notice-banner");
        other.setWrapText(true);
        other.textProperty().bind(vm.otherHolderProperty());
        other.visibleProperty().bind(vm.otherHolderProperty().isNotEmpty());
        other.managedProperty().bind(other.visibleProperty());

        GridPane stats = new GridPane();
        stats.setHgap(16);
        stats.setVgap(6);
        Metrics.row(stats, 0, "Working on", "daemonWorking", Bindings.createStringBinding(() ->
                vm.workingProperty().get().isEmpty() ? "-" : vm.workingProperty().get(), vm.workingProperty()));
        Metrics.row(stats, 1, "Tasks finished", "daemonTasks", vm.tasksTextProperty());
        Metrics.row(stats, 2, "Bytes reclaimed", "daemonBytes", vm.bytesTextProperty());
        Label running = new Label();
        running.setId("daemonNow");
        running.setWrapText(true);
        running.getStyleClass().add("now-running");
        if (now != null) {
            running.textProperty().bind(Bindings.concat("Now: ", now));
        }
        running.setVisible(now != null);
        running.setManaged(now != null);
        VBox status = new VBox(10, controls, error, other, running, stats);
        status.getStyleClass().add("card");

        Label wTitle = new Label("Off-peak window");
        wTitle.getStyleClass().add("heading");
        CheckBox use = new CheckBox("Run only inside an off-peak window");
        use.setId("useWindow");
        use.selectedProperty().bindBidirectional(vm.useWindowProperty());
        TextField from = new TextField();
        from.setId("windowStart");
        from.setPrefColumnCount(5);
        from.setPromptText("HH:MM");
        from.setTextFormatter(timeFormatter());
        from.textProperty().bindBidirectional(vm.windowStartProperty());
        TextField to = new TextField();
        to.setId("windowEnd");
        to.setPrefColumnCount(5);
        to.setPromptText("HH:MM");
        to.setTextFormatter(timeFormatter());
        to.textProperty().bindBidirectional(vm.windowEndProperty());
        from.disableProperty().bind(use.selectedProperty().not());
        to.disableProperty().bind(use.selectedProperty().not());
        HBox times = new HBox(8, new Label("from"), from, new Label("to"), to, new Label("(HH:MM, may cross midnight)"));
        times.setAlignment(Pos.CENTER_LEFT);
        CheckBox exit = new CheckBox("Stop for the rest of the window once the queue is empty");
        exit.setId("exitWhenEmpty");
        exit.selectedProperty().bindBidirectional(vm.exitWhenEmptyProperty());
        exit.disableProperty().bind(use.selectedProperty().not());
        Label wError = new Label();
        wError.getStyleClass().add("field-error");
        wError.textProperty().bind(vm.windowErrorProperty());
        Button applyWindow = new Button("Apply");
        applyWindow.setId("applyWindow");
        applyWindow.disableProperty().bind(vm.readOnlyProperty().or(vm.windowErrorProperty().isNotEmpty()));
        applyWindow.setOnAction(e -> vm.applyWindow());
        Label help = new Label("Outside the window impurge sleeps and lets go of the session lock, so a command-line impurge may run. "
                + "Without a window it works whenever entries are due (daemon mode).");
        help.getStyleClass().add("help");
        help.setWrapText(true);
        VBox window = new VBox(8, wTitle, use, times, exit, wError, applyWindow, help);
        window.getStyleClass().add("card");

        Label message = new Label();
        message.setId("daemonMessage");
        message.getStyleClass().add("muted");
        message.textProperty().bind(vm.messageProperty());

        Label kTitle = new Label("Workers");
        kTitle.getStyleClass().add("heading");
        javafx.scene.control.TableView<DaemonViewModel.WorkerRow> table = new javafx.scene.control.TableView<>(vm.workers());
        table.setId("workersTable");
        table.setPrefHeight(140);
        table.setPlaceholder(new Label("No impurge is running"));
        table.setColumnResizePolicy(javafx.scene.control.TableView.CONSTRAINED_RESIZE_POLICY);
        table.getColumns().add(column("Host", DaemonViewModel.WorkerRow::host));
        table.getColumns().add(column("PID", r -> Long.toString(r.pid())));
        table.getColumns().add(column("Current task", DaemonViewModel.WorkerRow::task));
        table.getColumns().add(column("Lease age", DaemonViewModel.WorkerRow::leaseAge));
        Button refresh = new Button("Refresh");
        refresh.setId("refreshWorkers");
        refresh.setOnAction(e -> vm.refreshWorkers());
        HBox kHead = new HBox(8, kTitle, refresh);
        kHead.setAlignment(Pos.CENTER_LEFT);
        VBox workersCard = new VBox(8, kHead, table);
        workersCard.getStyleClass().add("card");

        VBox box = new VBox(12, status, actionsCard(vm), workersCard, window, message);
        box.getStyleClass().add("pane-padding");
        setContent(box);
    }

    /**
     * Per action: running or paused, with Pause / Resume (for every impurge of the store: store.purge.paused), its
     * entries, the oldest one's wait, the throughput and the median wait.
     */
    private static VBox actionsCard(DaemonViewModel vm) {
        Label title = new Label("Actions");
        title.getStyleClass().add("heading");
        GridPane grid = new GridPane();
        grid.setId("actionsGrid");
        grid.setHgap(18);
        grid.setVgap(6);
        String[] heads = {"Action", "State", "In queue", "Oldest waiting", "Finished / min", "Median wait", ""};
        for (int i = 0; i < heads.length; i++) {
            Label h = new Label(heads[i]);
            h.getStyleClass().add("muted");
            grid.add(h, i, 0);
        }
        int r = 1;
        for (Action a : Action.values()) {
            DaemonViewModel.ActionRow row = vm.action(a);
            String id = a.label();
            Label state = new Label();
            state.setId("actionState-" + id);
            state.textProperty().bind(Bindings.when(row.pausedProperty()).then("paused").otherwise("running"));
            row.pausedProperty().addListener((o, was, now) -> styleActionState(state, now));
            styleActionState(state, row.pausedProperty().get());
            Button toggle = new Button();
            toggle.setId("pauseAction-" + id);
            toggle.textProperty().bind(Bindings.when(row.pausedProperty()).then("Resume").otherwise("Pause"));
            toggle.setTooltip(new Tooltip("Pause: impurge leaves " + a + " entries waiting, in every process, until resumed "
                    + "(Run now still runs them). Resume: they run again."));
            toggle.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
            toggle.disableProperty().bind(vm.readOnlyProperty().or(row.busyProperty()));
            toggle.setOnAction(e -> vm.setPaused(a, !row.pausedProperty().get()));
            grid.add(new Label(a.label()), 0, r);
            grid.add(state, 1, r);
            grid.add(value("actionQueue-" + id, row.inQueueProperty()), 2, r);
            grid.add(value("actionOldest-" + id, row.oldestProperty()), 3, r);
            grid.add(value("actionRate-" + id, row.perMinuteProperty()), 4, r);
            grid.add(value("actionWait-" + id, row.medianWaitProperty()), 5, r);
            grid.add(toggle, 6, r);
            r++;
        }
        Label note = new Label();
        note.getStyleClass().add("help");
        note.setWrapText(true);
        note.textProperty().bind(vm.actionsOverProperty());
        VBox card = new VBox(8, title, grid, note);
        card.getStyleClass().add("card");
        return card;
    }

    private static Label value(String id, javafx.beans.value.ObservableStringValue text) {
        Label l = new Label();
        l.setId(id);
        l.textProperty().bind(text);
        return l;
    }

    private static void styleActionState(Label l, boolean paused) {
        l.getStyleClass().removeAll("action-paused", "action-running");
        l.getStyleClass().add(paused ? "action-paused" : "action-running");
    }

    private static javafx.scene.control.TableColumn<DaemonViewModel.WorkerRow, String> column(String title,
            java.util.function.Function<DaemonViewModel.WorkerRow, String> value) {
        javafx.scene.control.TableColumn<DaemonViewModel.WorkerRow, String> c = new javafx.scene.control.TableColumn<>(title);
        c.setCellValueFactory(d -> new javafx.beans.property.ReadOnlyStringWrapper(value.apply(d.getValue())));
        return c;
    }

    /** Accepts only what can still become HH:MM (at most two digits, a colon, two digits): never "01:001:000". */
    static javafx.scene.control.TextFormatter<String> timeFormatter() {
        return new javafx.scene.control.TextFormatter<>(c -> c.getControlNewText().matches("\\d{0,2}(:\\d{0,2})?") ? c : null);
    }

    private static void styleState(Label l, DaemonState s) {
        l.getStyleClass().removeIf(c -> c.startsWith("state-") && !c.equals("state-label"));
        l.getStyleClass().add("state-" + s.name().toLowerCase(java.util.Locale.ROOT));
    }

}
