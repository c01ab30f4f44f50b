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
        setId("dashboardView");
        getStyleClass().add("pane-padding");
        setSpacing(10);

        Label done = new Label();
        done.setId("dashDone");
        done.getStyleClass().add("big");
        done.textProperty().bind(Bindings.createStringBinding(() -> Format.count(vm.doneLastHourProperty().get()) + " tasks finished",
                vm.doneLastHourProperty()));
        Label bytes = new Label();
        bytes.getStyleClass().add("big");
        bytes.textProperty().bind(Bindings.createStringBinding(() -> Format.bytes(vm.bytesLastHourProperty().get()) + " reclaimed",
                vm.bytesLastHourProperty()));
        Label hour = new Label("in the last hour");
        hour.getStyleClass().add("muted");
        HBox summary = new HBox(24, done, bytes, hour);
        summary.setAlignment(Pos.BASELINE_LEFT);

        LineChart<Number, Number> depth = new LineChart<>(timeAxis(zone), new NumberAxis());
        depth.setId("depthChart");
        depth.setTitle("Queue depth per action");
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
        getChildren().addAll(summary, depth, perMinute);
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
