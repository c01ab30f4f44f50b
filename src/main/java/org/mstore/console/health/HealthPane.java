package org.mstore.console.health;

import java.util.function.Consumer;

import org.mstore.api.CheckReport;

import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;

/** Check all, below the mailbox tree: the button, progress and Cancel, and what it found (click: select the mailbox). */
public final class HealthPane extends VBox {
    public HealthPane(HealthViewModel vm, Consumer<String> selectMailbox) {
        super(6);
        setId("healthPane");
        getStyleClass().add("health-pane");
        Button checkAll = new Button("Check all");
        checkAll.setId("checkAll");
        checkAll.setMinWidth(Region.USE_PREF_SIZE);
        checkAll.setTooltip(new Tooltip("Run the full sanity check on every mailbox; each corrupt one gets one Repair in the queue"));
        checkAll.setOnAction(e -> vm.checkAll());
        checkAll.disableProperty().bind(vm.checkingProperty());
        Button cancel = new Button("Cancel");
        cancel.setId("cancelCheckAll");
        cancel.setMinWidth(Region.USE_PREF_SIZE);
        cancel.setOnAction(e -> vm.cancel());
        cancel.visibleProperty().bind(vm.checkingProperty());
        cancel.managedProperty().bind(cancel.visibleProperty());
        ProgressBar bar = new ProgressBar();
        bar.setId("checkAllProgress");
        bar.progressProperty().bind(vm.progressProperty());
        bar.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(bar, Priority.ALWAYS);
        bar.visibleProperty().bind(vm.checkingProperty());
        HBox row = new HBox(8, checkAll, bar, cancel);
        row.setAlignment(Pos.CENTER_LEFT);
        Label message = new Label();
        message.setId("checkAllMessage");
        message.setWrapText(true);
        message.textProperty().bind(vm.messageProperty());
        message.getStyleClass().add("muted");
        ListView<CheckReport> found = new ListView<>(vm.findings());
        found.setId("checkAllFindings");
        found.setPrefHeight(110);
        found.setCellFactory(l -> {
            ListCell<CheckReport> c = new ListCell<>() {
                @Override
                protected void updateItem(CheckReport r, boolean empty) {
                    super.updateItem(r, empty);
                    setText(empty || r == null ? null : r.mailbox() + ": " + String.join("; ", r.problems())
                            + (r.repairQueued() ? " (Repair queued)" : ""));
                    setTooltip(empty || r == null ? null : new Tooltip(String.join("\n", r.problems())));
                }
            };
            c.getStyleClass().add("problem");
            return c;
        });
        found.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                selectMailbox.accept(b.mailbox());
            }
        });
        found.visibleProperty().bind(Bindings.isNotEmpty(vm.findings()));
        found.managedProperty().bind(found.visibleProperty());
        getChildren().addAll(row, message, found);
    }
}
