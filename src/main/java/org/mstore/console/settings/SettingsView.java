package org.mstore.console.settings;

import org.mstore.api.Setting;

import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

/**
 * The threshold editors for every {@code store.*} option: the value (validated as it is typed), the default
 * and the help text; Apply, Revert, Restore defaults.
 */
public final class SettingsView extends javafx.scene.layout.BorderPane {
    public SettingsView(SettingsViewModel vm) {
        setId("settingsView");
        ScrollPane scroll = new ScrollPane();
        scroll.setFitToWidth(true);
        GridPane grid = new GridPane();
        grid.setHgap(14);
        grid.setVgap(4);
        ColumnConstraints c0 = new ColumnConstraints();
        c0.setMinWidth(210);
        ColumnConstraints c1 = new ColumnConstraints();
        c1.setMinWidth(200);
        ColumnConstraints c2 = new ColumnConstraints();
        c2.setHgrow(Priority.ALWAYS);
        grid.getColumnConstraints().addAll(c0, c1, c2);
        int row = 0;
        for (Setting s : Setting.values()) {
            SettingField f = vm.field(s);
            Label key = new Label(s.key());
            key.getStyleClass().addAll("mono", "metric-value");
            javafx.scene.Node editor = isBoolean(s) ? checkBox(f, vm) : textField(f, vm);
            Label def = new Label("default: " + (s.defaultValue().isEmpty() ? "(empty)" : s.defaultValue()));
            def.getStyleClass().add("muted");
            Label help = new Label(s.help());
            help.getStyleClass().add("help");
            help.setWrapText(true);
            Label error = new Label();
            error.setId("error-" + s.key());
            error.getStyleClass().add("field-error");
            error.setWrapText(true);
            error.textProperty().bind(f.errorProperty());
            error.visibleProperty().bind(f.errorProperty().isNotEmpty());
            error.managedProperty().bind(error.visibleProperty());
            grid.add(key, 0, row);
            grid.add(editor, 1, row);
            grid.add(def, 2, row);
            row++;
            grid.add(help, 0, row, 3, 1);
            row++;
            grid.add(error, 0, row, 3, 1);
            row++;
            Label gap = new Label(" ");
            grid.add(gap, 0, row++);
        }

        Button apply = new Button("Apply");
        apply.setId("applySettings");
        apply.setDefaultButton(true);
        apply.disableProperty().bind(vm.canApplyProperty().not());
        apply.setOnAction(e -> {
            vm.apply();
            grid.requestFocus(); // not on the next button (Restore defaults), where Space would fill in every default
        });
        grid.setFocusTraversable(false);
        Button revert = new Button("Revert");
        revert.setId("revertSettings");
        revert.disableProperty().bind(vm.anyDirtyProperty().not());
        revert.setOnAction(e -> vm.revert());
        Button defaults = new Button("Restore defaults");
        defaults.setId("defaultSettings");
        defaults.disableProperty().bind(vm.readOnlyProperty());
        defaults.setOnAction(e -> vm.restoreDefaults());
        Label message = new Label();
        message.setId("settingsMessage");
        message.getStyleClass().add("muted");
        message.textProperty().bind(vm.messageProperty());
        HBox buttons = new HBox(8, apply, revert, defaults, message);
        buttons.setAlignment(Pos.CENTER_LEFT);

        Label title = new Label("Maintenance thresholds");
        title.getStyleClass().add("heading");
        Label intro = new Label("Values are checked as you type; Apply saves all of them or none. A running impurge reads them "
                + "before its next task: no restart.");
        intro.getStyleClass().add("help");
        intro.setWrapText(true);
        // the fields scroll; Apply, Revert and Restore defaults stay in sight below them, whatever the window's height
        VBox box = new VBox(10, title, intro, grid);
        box.getStyleClass().add("pane-padding");
        scroll.setContent(box);
        setCenter(scroll);
        buttons.getStyleClass().addAll("pane-padding", "button-bar-fixed");
        setBottom(buttons);
    }

    /** An edited value that is not applied yet shows it (style class {@code edited}). */
    private static void markEdited(javafx.scene.Node n, SettingField f) {
        Runnable mark = () -> {
            n.getStyleClass().remove("edited");
            if (f.dirtyProperty().get()) {
                n.getStyleClass().add("edited");
            }
        };
        f.dirtyProperty().addListener((o, a, b) -> mark.run());
        mark.run();
    }

    private static boolean isBoolean(Setting s) {
        return s == Setting.PURGE_ENABLE || s == Setting.PURGE_EXIT_WHEN_EMPTY;
    }

    private static TextField textField(SettingField f, SettingsViewModel vm) {
        TextField t = new TextField();
        t.setId("field-" + f.setting().key());
        t.textProperty().bindBidirectional(f.valueProperty());
        t.setTooltip(new Tooltip(f.setting().help() + "\nAllowed: " + f.setting().allowed()));
        t.editableProperty().bind(vm.readOnlyProperty().not());
        markEdited(t, f);
        f.errorProperty().addListener((o, a, b) -> {
            t.getStyleClass().remove("invalid");
            if (!b.isEmpty()) {
                t.getStyleClass().add("invalid");
            }
        });
        return t;
    }

    private static CheckBox checkBox(SettingField f, SettingsViewModel vm) {
        CheckBox c = new CheckBox();
        c.setId("field-" + f.setting().key());
        c.setSelected(Boolean.parseBoolean(f.valueProperty().get()));
        f.valueProperty().addListener((o, a, b) -> c.setSelected(Boolean.parseBoolean(b)));
        c.selectedProperty().addListener((o, a, b) -> f.valueProperty().set(Boolean.toString(b)));
        c.disableProperty().bind(vm.readOnlyProperty());
        markEdited(c, f);
        return c;
    }
}
