package org.mstore.console;

import javafx.beans.value.ObservableValue;
import javafx.scene.control.Label;
import javafx.scene.layout.GridPane;

/** A name and a live value on one row of a grid (the mailbox metadata, the daemon's figures). */
public final class Metrics {
    private Metrics() {
    }

    /** Adds the row at {@code row}; the value's label gets {@code id}. Returns the next row. */
    public static int row(GridPane grid, int row, String name, String id, ObservableValue<String> value) {
        Label n = new Label(name);
        n.getStyleClass().add("metric-name");
        Label v = new Label();
        v.setId(id);
        v.getStyleClass().add("metric-value");
        v.textProperty().bind(value);
        grid.add(n, 0, row);
        grid.add(v, 1, row);
        return row + 1;
    }
}
