package org.mstore.console.dashboard;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.Map;

import org.mstore.api.Action;
import org.mstore.console.Format;

import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.geometry.Pos;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.StackedAreaChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.util.StringConverter;

/** Queue depth per action over time, and tasks done per minute, over the last hour. */
public final class DashboardView extends VBox {
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm");

    public DashboardView(DashboardViewModel vm, ZoneId zone) {
        this(vm, zone, null, m -> { });
    }

    /**
     * With {@code now} (what impurge is doing now) and {@code showMailbox} (a double-click on a mailbox of the space
     * table shows it).
     */
    public DashboardView(DashboardViewModel vm, ZoneId zone, javafx.beans.value.ObservableStringValue impurgeNow,
                         java.util.function.Consumer<String> showMailbox) {
        setId("dashboardView");
        getStyleClass().add("pane-padding");
        setSpacing(10);

        Label done = new Label();
        done.setId("dashDone");
        done.getStyleClass().add("big");
        done.textProperty().bind(Bindings.createStringBinding(() -> Format.count(vm.doneLastHourProperty().get())
                + (vm.doneLastHourProperty().get() == 1 ? " task finished" : " tasks finished"), vm.doneLastHourProperty()));
        Label bytes = new Label();
        bytes.getStyleClass().add("big");
        bytes.textProperty().bind(Bindings.createStringBinding(() -> Format.bytes(vm.bytesLastHourProperty().get()) + " reclaimed",
                vm.bytesLastHourProperty()));
        Label hour = new Label("in the last hour");
        hour.getStyleClass().add("muted");
        HBox summary = new HBox(24, done, bytes, hour);
        summary.setAlignment(Pos.BASELINE_LEFT);

        // stacked: the top edge is the queue's depth, and an action with no entries adds nothing (as lines, the four
        // series at 0 lay on each other and only the last one drawn showed)
        StackedAreaChart<Number, Number> depth = new StackedAreaChart<>(timeAxis(zone), new NumberAxis());
        depth.setId("depthChart");
        depth.setTitle("Queue depth per action (stacked)");
        depth.setAnimated(false);
        depth.setCreateSymbols(false);
        Map<Action, XYChart.Series<Number, Number>> series = new EnumMap<>(Action.class);
        for (Action a : Action.values()) {
            XYChart.Series<Number, Number> s = new XYChart.Series<>();
            s.setName(a.label());
            series.put(a, s);
            depth.getData().add(s);
        }
        NumberAxis depthX = (NumberAxis) depth.getXAxis();
        Runnable redrawDepth = () -> {
            for (Action a : Action.values()) {
                series.get(a).getData().setAll(vm.depth().stream()
                        .map(d -> new XYChart.Data<Number, Number>(d.time(), d.depth().getOrDefault(a, 0L))).toList());
            }
            range(depthX, vm.depth().isEmpty() ? System.currentTimeMillis() : vm.depth().get(vm.depth().size() - 1).time());
        };
        vm.depth().addListener((ListChangeListener<DashboardViewModel.DepthSample>) c -> redrawDepth.run());
        redrawDepth.run();

        LineChart<Number, Number> perMinute = new LineChart<>(timeAxis(zone), new NumberAxis());
        perMinute.setId("doneChart");
        perMinute.getStyleClass().add("done-chart");
        perMinute.setTitle("Tasks finished per minute (done, skipped or dropped)");
        perMinute.setAnimated(false);
        perMinute.setLegendVisible(false);
        perMinute.setCreateSymbols(false);
        XYChart.Series<Number, Number> doneSeries = new XYChart.Series<>();
        doneSeries.setName("done");
        perMinute.getData().add(doneSeries);
        NumberAxis doneX = (NumberAxis) perMinute.getXAxis();
        Runnable redraw = () -> {
            // every minute of the hour, zero when nothing was done in it
            long now = System.currentTimeMillis() / 60_000L * 60_000L;
            java.util.Map<Long, Long> byMinute = new java.util.HashMap<>();
            vm.perMinute().forEach(m -> byMinute.put(m.minute(), m.done()));
            java.util.List<XYChart.Data<Number, Number>> points = new java.util.ArrayList<>();
            for (long m = now - DashboardViewModel.WINDOW_MS + 60_000L; m <= now; m += 60_000L) {
                points.add(new XYChart.Data<>(m, byMinute.getOrDefault(m, 0L)));
            }
            doneSeries.getData().setAll(points);
            range(doneX, now);
        };
        vm.perMinute().addListener((ListChangeListener<DashboardViewModel.MinuteCount>) c -> redraw.run());
        vm.depth().addListener((ListChangeListener<DashboardViewModel.DepthSample>) c -> redraw.run()); // the hour slides on
        redraw.run();

        VBox.setVgrow(depth, Priority.ALWAYS);
        VBox.setVgrow(perMinute, Priority.ALWAYS);
        Label running = new Label();
        running.setId("dashNow");
        running.setWrapText(true);
        running.getStyleClass().add("now-running");
        if (impurgeNow != null) {
            running.textProperty().bind(Bindings.concat("impurge now: ", impurgeNow));
        }
        running.setVisible(impurgeNow != null);
        running.setManaged(impurgeNow != null);

        getChildren().addAll(summary, running, spacePane(vm, showMailbox), depth, perMinute);
    }

    private static VBox spacePane(DashboardViewModel vm, java.util.function.Consumer<String> showMailbox) {
        Label title = new Label("Space waiting to be reclaimed");
        title.getStyleClass().add("section-title");
        Label summary = new Label();
        summary.setId("dashSpace");
        summary.setWrapText(true);
        summary.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE); // the charts below give way, not this text
        summary.getStyleClass().add("muted");
        summary.textProperty().bind(Bindings.createStringBinding(() -> vm.spaceProperty().get() == null ? "Reading..."
                : vm.spaceProperty().get().summary(), vm.spaceProperty()));
        javafx.scene.control.TableView<SpaceReport.Row> top = new javafx.scene.control.TableView<>();
        top.setId("dashSpaceTop");
        top.setPrefHeight(170);
        top.setMinHeight(120);
        top.setPlaceholder(new Label("No expunged message waits: nothing to reclaim"));
        top.setColumnResizePolicy(javafx.scene.control.TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        top.getColumns().setAll(java.util.List.of(
                spaceCol("Mailbox", 260, SpaceReport.Row::mailbox),
                spaceCol("Bytes on disk", 110, r -> r.bytes() < 0 ? "not known" : Format.bytes(r.bytes())),
                spaceCol("Expunged (for Clean)", 140, r -> Format.count(r.expunged())),
                spaceCol("Awaiting Remove", 120, r -> Format.count(r.awaitingRemove())),
                spaceCol("Expunged cache records (for Purge)", 220, r -> Format.count(r.cacheExpunged()))));
        vm.spaceProperty().addListener((o, a, b) -> top.getItems().setAll(b == null ? java.util.List.of() : b.top()));
        if (vm.spaceProperty().get() != null) {
            top.getItems().setAll(vm.spaceProperty().get().top());
        }
        top.setRowFactory(t -> {
            javafx.scene.control.TableRow<SpaceReport.Row> row = new javafx.scene.control.TableRow<>();
            row.setOnMouseClicked(e -> {
                if (e.getClickCount() == 2 && row.getItem() != null) {
                    showMailbox.accept(row.getItem().mailbox());
                }
            });
            return row;
        });
        Label disk = new Label();
        disk.setId("dashDisk");
        disk.setWrapText(true);
        disk.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE); // the charts below give way, not this text
        disk.getStyleClass().add("muted");
        Runnable showDisk = () -> {
            SpaceReport r = vm.spaceProperty().get();
            disk.setText(r == null ? "" : r.diskLine());
            disk.setVisible(r != null && !r.diskLine().isEmpty());
            disk.setManaged(disk.isVisible());
            disk.getStyleClass().remove("problem");
            if (r != null && r.diskWarning()) {
                disk.getStyleClass().add("problem");
            }
        };
        vm.spaceProperty().addListener((o, a, b) -> showDisk.run());
        showDisk.run();
        return new VBox(4, title, summary, disk, top);
    }

    private static javafx.scene.control.TableColumn<SpaceReport.Row, String> spaceCol(String name, double width,
                                                                                      java.util.function.Function<SpaceReport.Row, String> f) {
        javafx.scene.control.TableColumn<SpaceReport.Row, String> c = new javafx.scene.control.TableColumn<>(name);
        c.setCellValueFactory(x -> new javafx.beans.property.SimpleStringProperty(f.apply(x.getValue())));
        c.setPrefWidth(width);
        c.setSortable(false);
        return c;
    }

    /** The last hour, up to {@code end}, in ticks of five minutes. */
    private static void range(NumberAxis x, long end) {
        x.setUpperBound(end);
        x.setLowerBound(end - DashboardViewModel.WINDOW_MS);
        x.setTickUnit(5 * 60_000L);
    }

    private static NumberAxis timeAxis(ZoneId zone) {
        NumberAxis x = new NumberAxis();
        x.setForceZeroInRange(false);
        x.setAutoRanging(false);
        x.setMinorTickVisible(false);
        x.setTickLabelFormatter(new StringConverter<>() {
            @Override
            public String toString(Number n) {
                return HM.format(Instant.ofEpochMilli(n.longValue()).atZone(zone));
            }

            @Override
            public Number fromString(String s) {
                return 0;
            }
        });
        return x;
    }
}
