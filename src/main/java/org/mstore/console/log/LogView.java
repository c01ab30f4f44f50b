package org.mstore.console.log;

import org.mstore.api.LogLevel;
import org.mstore.api.LogLine;
import org.mstore.log.StoreLog;

import javafx.application.Platform;
import javafx.collections.ListChangeListener;
import javafx.geometry.Orientation;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.ScrollBar;
import javafx.scene.control.TextField;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.util.StringConverter;

/** The default log, live, filtered by level and text. */
public final class LogView extends BorderPane {
    private final TextField text = new TextField();

    public LogView(LogViewModel vm) {
        this(vm, line -> { });
    }

    /** With {@code open}: a double-click (or Enter) on a line is handed to it (the window selects the mailbox it names). */
    public LogView(LogViewModel vm, java.util.function.Consumer<LogLine> open) {
        setId("logView");
        ComboBox<LogLevel> level = new ComboBox<>();
        level.setId("logLevel");
        level.getItems().add(null);
        level.getItems().addAll(LogLevel.values());
        level.setConverter(new StringConverter<>() {
            @Override
            public String toString(LogLevel l) {
                return l == null ? "All levels" : l.word() + (l == LogLevel.CRITICAL ? "" : " and more severe");
            }

            @Override
            public LogLevel fromString(String s) {
                return null;
            }
        });
        level.valueProperty().bindBidirectional(vm.minimumLevelProperty());
        text.setId("logFilter");
        text.setPromptText("Filter text (Ctrl+F)");
        text.setPrefColumnCount(28);
        text.textProperty().bindBidirectional(vm.textProperty());
        CheckBox follow = new CheckBox("Follow");
        follow.selectedProperty().bindBidirectional(vm.followProperty());
        Label count = new Label();
        count.getStyleClass().add("muted");
        Label file = new Label(vm.file().toString());
        file.getStyleClass().add("muted");
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox bar = new HBox(8, level, text, follow, count, spacer, file);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.getStyleClass().add("toolbar-row");
        setTop(bar);

        ListView<LogLine> list = new ListView<>(vm.visible());
        list.setId("logList");
        list.setFixedCellSize(22);
        list.setPlaceholder(new Label("No log lines (yet)"));
        list.setCellFactory(l -> new ListCell<>() {
            @Override
            protected void updateItem(LogLine line, boolean empty) {
                super.updateItem(line, empty);
                getStyleClass().removeIf(c -> c.startsWith("log-"));
                if (empty || line == null) {
                    setText(null);
                    return;
                }
                setText(line.raw());
                getStyleClass().add("log-line");
                if (line.level() != null) {
                    getStyleClass().add("log-" + line.level().name().toLowerCase(java.util.Locale.ROOT));
                }
            }
        });
        vm.visible().addListener((ListChangeListener<LogLine>) c -> {
            count.setText(vm.visible().size() + " of " + vm.lines().size() + " lines");
            showNewest(vm, list);
        });
        list.setOnMouseClicked(e -> {
            if (e.getClickCount() == 2 && list.getSelectionModel().getSelectedItem() != null) {
                open.accept(list.getSelectionModel().getSelectedItem());
            }
        });
        list.setOnKeyPressed(e -> {
            if (e.getCode() == javafx.scene.input.KeyCode.ENTER && list.getSelectionModel().getSelectedItem() != null) {
                open.accept(list.getSelectionModel().getSelectedItem());
                e.consume();
            }
        });
        list.setTooltip(new javafx.scene.control.Tooltip("Double-click a line about a mailbox to show that mailbox"));
        setCenter(list);
        count.setText(vm.visible().size() + " of " + vm.lines().size() + " lines");
        // Follow shows the newest line whole: when lines come, when the list has its skin (its flow and scroll bars), and
        // when a line wider than the list brings the horizontal scroll bar in a later layout, as the bar covers the last line
        list.skinProperty().addListener((o, was, is) -> {
            showNewest(vm, list);
            for (Node n : list.lookupAll(".scroll-bar")) {
                if (n instanceof ScrollBar hbar && hbar.getOrientation() == Orientation.HORIZONTAL) {
                    hbar.visibleProperty().addListener((v, wasShown, shown) -> showNewest(vm, list));
                    hbar.heightProperty().addListener((v, wasHigh, high) -> showNewest(vm, list));
                }
            }
        });
    }

    /**
     * With Follow on, scrolls to the newest line, after what is under way: a scroll the list's skin gets before it has
     * heard of the new lines (this view's listener runs before the skin's), or in the middle of a layout, is lost.
     */
    private static void showNewest(LogViewModel vm, ListView<LogLine> list) {
        Platform.runLater(() -> {
            if (vm.followProperty().get() && !vm.visible().isEmpty()) {
                list.scrollTo(vm.visible().size() - 1);
            }
        });
    }

    public void focusFilter() {
        text.requestFocus();
        text.selectAll();
    }
}
