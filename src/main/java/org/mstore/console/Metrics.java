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
        // a long value wraps onto more lines instead of ending in "..." (its row grows to fit)
        v.setWrapText(true);
        v.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
        javafx.scene.layout.GridPane.setHgrow(v, javafx.scene.layout.Priority.ALWAYS);
        javafx.scene.layout.GridPane.setFillWidth(v, true);
        v.setMaxWidth(Double.MAX_VALUE);
        grid.add(n, 0, row);
        grid.add(v, 1, row);
        return row + 1;
    }
}
