package org.mstore.console.queue;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueQuery;
import org.mstore.console.Format;

import javafx.animation.PauseTransition;
import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.ContextMenu;
import javafx.scene.control.Label;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SelectionMode;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.util.Duration;

/**
 * The live queue table: RecNo, Mailbox, Timestamp, Action (and the entry's state), a filter by action
 * (toggles with their counts) and by mailbox text, sorting by any column, and the moves on a selection.
 */
public final class QueueView extends BorderPane {
    private final QueueViewModel vm;
    private final TableView<QueueEntry> table = new TableView<>();
    private final TextField filter = new TextField();

    public QueueView(QueueViewModel vm, ZoneId zone, Consumer<String> showMailbox) {
        this.vm = vm;
        getStyleClass().add("view");
        setId("queueView");

        filter.setId("queueFilter");
        filter.setPromptText("Filter by mailbox (Ctrl+F)");
        filter.setPrefColumnCount(24);
        filter.setText(vm.mailboxFilterProperty().get());
        PauseTransition debounce = new PauseTransition(Duration.millis(250));
        debounce.setOnFinished(e -> {
            vm.mailboxFilterProperty().set(filter.getText());
            vm.applyFilter();
        });
        filter.textProperty().addListener((o, a, b) -> debounce.playFromStart());
        filter.setOnAction(e -> {
            debounce.stop();
            vm.mailboxFilterProperty().set(filter.getText());
            vm.applyFilter();
        });

        HBox toggles = new HBox(6);
        toggles.setAlignment(Pos.CENTER_LEFT);
        for (Action a : Action.values()) {
            ToggleButton t = new ToggleButton();
            t.setId("show" + a.label());
            t.getStyleClass().add("count-toggle");
            t.selectedProperty().bindBidirectional(vm.shownProperty(a));
            t.textProperty().bind(Bindings.createStringBinding(() -> a.label() + "  " + Format.count(vm.countProperty(a).get()),
                    vm.countProperty(a)));
            t.setTooltip(new Tooltip("Show " + a.label() + " entries (" + a.queue() + " queue)"));
            toggles.getChildren().add(t);
        }
        Label total = new Label();
        total.setId("queueTotal");
        total.getStyleClass().add("muted");
        total.textProperty().bind(Bindings.createStringBinding(() -> Format.count(vm.totalProperty().get()) + " pending; "
                + Format.count(vm.rows().totalProperty().get()) + " match", vm.totalProperty(), vm.rows().totalProperty()));

        Button runNow = new Button("Run now");
        runNow.setId("runNow");
        runNow.setTooltip(new Tooltip("Run the selected entries now (Ctrl+Enter)"));
        runNow.setOnAction(e -> runSelected());
        Button remove = new Button("Remove");
        remove.setId("removeEntries");
        remove.setTooltip(new Tooltip("Remove the selected entries from the queue (Delete)"));
        remove.setOnAction(e -> removeSelected());
        Button refresh = new Button("Refresh");
        refresh.setTooltip(new Tooltip("Reload from the store (F5)"));
        refresh.setOnAction(e -> vm.refresh());
        runNow.disableProperty().bind(vm.readOnlyProperty().or(Bindings.isEmpty(table.getSelectionModel().getSelectedIndices())));
        remove.disableProperty().bind(runNow.disableProperty());
        ToggleButton pause = new ToggleButton();
        pause.setId("pauseQueue");
        pause.textProperty().bind(Bindings.when(vm.pausedProperty()).then("Resume live updates").otherwise("Hold still"));
        pause.setTooltip(new Tooltip("Stop the rows moving while you pick one (entries are still counted); resume reads the page again"));
        pause.selectedProperty().bindBidirectional(vm.pausedProperty());
        javafx.scene.control.MenuButton bulk = new javafx.scene.control.MenuButton("All matching");
        bulk.setId("bulkMenu");
        bulk.setTooltip(new Tooltip("Moves on every entry the filter matches, not only this page"));
        MenuItem runAll = new MenuItem("Run all matching now...");
        runAll.setId("runAllMatching");
        runAll.setOnAction(e -> vm.countMatching(n -> confirm("Run all " + Format.count(n) + " matching entr" + (n == 1 ? "y" : "ies")
                + " now? They run at once, also outside the off-peak window.", vm::runAllMatching)));
        MenuItem removeAll = new MenuItem("Remove all matching...");
        removeAll.setId("removeAllMatching");
        removeAll.setOnAction(e -> vm.countMatching(n -> confirm("Remove all " + Format.count(n) + " matching entr" + (n == 1 ? "y" : "ies")
                + " from the maintenance queue? Their tasks will not run.", vm::removeAllMatching)));
        MenuItem export = new MenuItem("Export matching to CSV...");
        export.setId("exportQueueCsv");
        export.setOnAction(e -> org.mstore.console.export.ExportUi.chooseCsv(this, "mstore-queue.csv", vm::exportCsv));
        bulk.getItems().addAll(runAll, removeAll, new javafx.scene.control.SeparatorMenuItem(), export);
        runAll.disableProperty().bind(vm.readOnlyProperty());
        removeAll.disableProperty().bind(vm.readOnlyProperty());
        for (javafx.scene.control.Control c : new javafx.scene.control.Control[] {runNow, remove, refresh, pause, bulk}) {
            c.setMinWidth(Region.USE_PREF_SIZE); // never "Ref..."
        }

        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox bar = new HBox(filter, toggles, spacer, pause, runNow, remove, bulk, refresh);
        bar.getStyleClass().add("toolbar-row");
        setTop(bar);

        buildTable(zone, showMailbox);
        javafx.scene.control.SplitPane split = new javafx.scene.control.SplitPane(table, detailPane());
        split.setId("queueSplit");
        split.setDividerPositions(0.72);
        javafx.scene.control.SplitPane.setResizableWithParent(split.getItems().get(1), false);
        setCenter(split);
        table.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null && (a == null || a.recno() != b.recno())) {
                vm.showDetail(b);
            }
        });
        table.setRowFactory(t -> {
            javafx.scene.control.TableRow<QueueEntry> row = new javafx.scene.control.TableRow<>();
            row.setOnMouseClicked(e -> {
                if (e.getClickCount() == 2 && !row.isEmpty()) {
                    openDetail(row.getItem());
                }
            });
            return row;
        });

        Label message = new Label();
        message.setId("queueMessage");
        message.getStyleClass().add("message");
        message.textProperty().bind(vm.messageProperty());
        Region gap = new Region();
        HBox.setHgrow(gap, Priority.ALWAYS);
        total.setMinWidth(Region.USE_PREF_SIZE); // in the footer beside the pager: the toolbar left it "3 ..." at 1280 px
        HBox bottom = new HBox(12, message, gap, total, pager());
        bottom.setAlignment(Pos.CENTER_LEFT);
        bottom.getStyleClass().add("pager-row");
        setBottom(bottom);
    }

    /** The selected entry's detail: why it is queued, who has it, when it is due, attempts, last error. */
    private javafx.scene.Node detailPane() {
        Label title = new Label();
        title.setId("detailTitle");
        title.getStyleClass().add("heading");
        title.setWrapText(true);
        title.textProperty().bind(Bindings.createStringBinding(() -> {
            EntryDetail d = vm.detailProperty().get();
            return d == null ? "Select an entry (double-click opens it)"
                    : d.entry().action().label() + " " + d.entry().mailbox() + "  (RecNo " + d.entry().recno() + ")";
        }, vm.detailProperty()));
        javafx.scene.layout.GridPane grid = new javafx.scene.layout.GridPane();
        grid.setHgap(10);
        grid.setVgap(6);
        javafx.scene.layout.ColumnConstraints names = new javafx.scene.layout.ColumnConstraints();
        names.setMinWidth(80);
        javafx.scene.layout.ColumnConstraints values = new javafx.scene.layout.ColumnConstraints();
        values.setHgrow(Priority.ALWAYS);
        grid.getColumnConstraints().addAll(names, values);
        int r = 0;
        r = detailRow(grid, r, "State", "detailState", EntryDetail::state);
        r = detailRow(grid, r, "Why", "detailWhy", EntryDetail::why);
        r = detailRow(grid, r, "Who", "detailWho", EntryDetail::who);
        r = detailRow(grid, r, "Due", "detailDue", EntryDetail::dueText);
        r = detailRow(grid, r, "Attempts", "detailAttempts", EntryDetail::attempts);
        r = detailRow(grid, r, "Last error", "detailLastError", EntryDetail::lastError);
        detailRow(grid, r, "Finished", "detailFinished", d -> d.finished().isEmpty() ? "-" : d.finished());
        javafx.scene.layout.VBox box = new javafx.scene.layout.VBox(10, title, grid);
        box.getStyleClass().addAll("pane-padding", "entry-detail");
        box.setId("entryDetail");
        javafx.scene.control.ScrollPane scroll = new javafx.scene.control.ScrollPane(box);
        scroll.setFitToWidth(true);
        scroll.setMinWidth(220);
        return scroll;
    }

    private int detailRow(javafx.scene.layout.GridPane grid, int row, String name, String id,
                          java.util.function.Function<EntryDetail, String> f) {
        Label n = new Label(name);
        n.getStyleClass().add("metric-name");
        Label v = new Label();
        v.setId(id);
        v.setWrapText(true);
        v.getStyleClass().add("metric-value");
        v.textProperty().bind(Bindings.createStringBinding(() -> vm.detailProperty().get() == null ? ""
                : f.apply(vm.detailProperty().get()), vm.detailProperty()));
        grid.add(n, 0, row);
        grid.add(v, 1, row);
        javafx.scene.layout.GridPane.setValignment(n, javafx.geometry.VPos.TOP);
        return row + 1;
    }

    /** Double-click or Enter: selects the entry alone and shows its detail. */
    public void openDetail(QueueEntry e) {
        if (e == null || e.recno() <= 0) {
            return;
        }
        vm.showDetail(e);
    }

    /** First / previous / next / last page, where we are, and a field to jump to a row. */
    private HBox pager() {
        QueuePage page = vm.rows();
        Button first = pagerButton("«", "firstPage", "First page", page::firstPage);
        Button prev = pagerButton("◀", "previousPage", "Previous page (Ctrl+Page Up)", page::previousPage);
        Button next = pagerButton("▶", "nextPage", "Next page (Ctrl+Page Down)", page::nextPage);
        Button last = pagerButton("»", "lastPage", "Last page", page::lastPage);
        Label where = new Label();
        where.setId("pageLabel");
        where.getStyleClass().add("muted");
        Runnable update = () -> {
            long n = page.totalProperty().get();
            long from = n == 0 ? 0 : page.pageStartProperty().get() + 1;
            long to = page.pageStartProperty().get() + page.size();
            where.setText("rows " + Format.count(from) + "–" + Format.count(to) + " of " + Format.count(n));
            first.setDisable(!page.hasPrevious());
            prev.setDisable(!page.hasPrevious());
            next.setDisable(!page.hasNext());
            last.setDisable(!page.hasNext());
        };
        page.totalProperty().addListener((o, a, b) -> update.run());
        page.pageStartProperty().addListener((o, a, b) -> update.run());
        page.addListener((javafx.collections.ListChangeListener<QueueEntry>) c -> {
            update.run();
            javafx.application.Platform.runLater(this::selectWantedRow);
        });
        page.pageStartProperty().addListener((o, a, b) -> javafx.application.Platform.runLater(this::selectWantedRow));
        update.run();
        TextField go = new TextField();
        go.setId("goToRow");
        go.setPromptText("go to row");
        go.setPrefColumnCount(8);
        go.setOnAction(e -> {
            try {
                long row = Long.parseLong(go.getText().replace(",", "").strip());
                wantedRow = Math.max(0, row - 1);
                page.showRow(wantedRow);
                selectWantedRow();
                go.clear();
            } catch (NumberFormatException ex) {
                vm.messageProperty().set("'" + go.getText() + "' is not a row number");
            }
        });
        HBox box = new HBox(6, where, first, prev, next, last, go);
        box.setAlignment(Pos.CENTER_RIGHT);
        box.setMinWidth(Region.USE_PREF_SIZE); // a long outcome beside it is cut, never "rows..." or "go to ro"
        return box;
    }

    private long wantedRow = -1;

    /** Go to row: once the page that holds it is shown, select that row and scroll to it. */
    private void selectWantedRow() {
        QueuePage page = vm.rows();
        long i = wantedRow - page.pageStartProperty().get();
        if (wantedRow < 0 || i < 0 || i >= page.size()) {
            return;
        }
        wantedRow = -1;
        table.getSelectionModel().clearAndSelect((int) i);
        table.scrollTo(Math.max(0, (int) i - 3));
        table.requestFocus();
    }

    private void confirm(String question, Runnable then) {
        Alert a = new Alert(Alert.AlertType.CONFIRMATION, question, ButtonType.OK, ButtonType.CANCEL);
        a.setHeaderText(null);
        a.initOwner(getScene() == null ? null : getScene().getWindow());
        a.showAndWait().filter(b -> b == ButtonType.OK).ifPresent(b -> then.run());
    }

    private static Button pagerButton(String text, String id, String tip, Runnable action) {
        Button b = new Button(text);
        b.setId(id);
        b.getStyleClass().add("pager-button");
        b.setTooltip(new Tooltip(tip));
        b.setOnAction(e -> action.run());
        return b;
    }

    private void buildTable(ZoneId zone, Consumer<String> showMailbox) {
        table.setId("queueTable");
        table.setItems(vm.rows());
        keepSelectionAcrossRefreshes();
        table.setFixedCellSize(26);
        table.getSelectionModel().setSelectionMode(SelectionMode.MULTIPLE);
        Label placeholder = new Label();
        placeholder.setId("queuePlaceholder");
        placeholder.textProperty().bind(vm.placeholderText());
        table.setPlaceholder(placeholder);
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);

        TableColumn<QueueEntry, Number> recno = new TableColumn<>("RecNo");
        recno.setId("colRecNo");
        recno.setCellValueFactory(c -> new javafx.beans.property.SimpleLongProperty(c.getValue().recno()));
        recno.setCellFactory(c -> cell(e -> Long.toString(e.recno())));
        recno.setPrefWidth(90);
        recno.setUserData(QueueQuery.Sort.RECNO);

        TableColumn<QueueEntry, String> mailbox = new TableColumn<>("Mailbox");
        mailbox.setId("colMailbox");
        mailbox.setCellValueFactory(c -> new javafx.beans.property.SimpleStringProperty(c.getValue().mailbox()));
        mailbox.setCellFactory(c -> cell(QueueEntry::mailbox));
        mailbox.setPrefWidth(320);
        mailbox.setUserData(QueueQuery.Sort.MAILBOX);

        TableColumn<QueueEntry, String> ts = new TableColumn<>("Timestamp");
        ts.setId("colTimestamp");
        ts.setCellValueFactory(c -> new javafx.beans.property.SimpleStringProperty(""));
        ts.setCellFactory(c -> cell(e -> Format.when(e.timestamp(), zone)));
        ts.setPrefWidth(170);
        ts.setUserData(QueueQuery.Sort.TIMESTAMP);

        TableColumn<QueueEntry, String> action = new TableColumn<>("Action");
        action.setId("colAction");
        action.setCellValueFactory(c -> new javafx.beans.property.SimpleStringProperty(""));
        action.setCellFactory(c -> new TableCell<>() {
            private final Label chip = new Label();

            @Override
            protected void updateItem(String item, boolean empty) {
                super.updateItem(item, empty);
                QueueEntry e = empty ? null : getTableRow() == null ? null : getTableRow().getItem();
                if (e == null || e.action() == null) {
                    setGraphic(null);
                    setText(null);
                    return;
                }
                chip.setText(e.action().label());
                chip.getStyleClass().setAll("label", "action-chip", "action-" + e.action().lower());
                setGraphic(chip);
                setText(null);
            }
        });
        action.setPrefWidth(100);
        action.setUserData(QueueQuery.Sort.ACTION);

        TableColumn<QueueEntry, String> state = new TableColumn<>("State");
        state.setSortable(false);
        state.setCellValueFactory(c -> new javafx.beans.property.SimpleStringProperty(""));
        state.setCellFactory(c -> cell(e -> {
            List<String> parts = new ArrayList<>();
            if (e.inProgress()) {
                parts.add("in progress");
            }
            if (e.forced()) {
                parts.add("forced");
            }
            if (e.attempts() > 0) {
                parts.add("retry " + e.attempts() + (e.notBefore() != null ? " at " + Format.when(e.notBefore(), zone) : "")
                        + (e.lastError() != null ? ": " + e.lastError() : ""));
            }
            return String.join(", ", parts);
        }));
        state.setPrefWidth(200);

        TableColumn<QueueEntry, String> due = new TableColumn<>("Due");
        due.setId("colDue");
        due.setSortable(false);
        due.setCellValueFactory(c -> new javafx.beans.property.SimpleStringProperty(""));
        due.setCellFactory(c -> cell(e -> e.parked() ? "-" : Format.when(vm.due(e), zone)));
        due.setPrefWidth(170);
        vm.settingsProperty().addListener((o, a, b) -> table.refresh()); // store.cleanupage changed: Remove's due moves

        List<TableColumn<QueueEntry, ?>> cols = List.of(recno, mailbox, ts, due, action, state);
        table.getColumns().setAll(cols);
        recno.setSortType(TableColumn.SortType.ASCENDING);
        table.getSortOrder().setAll(List.of(recno));
        table.setSortPolicy(t -> {
            if (t.getSortOrder().isEmpty()) {
                vm.sortProperty().set(QueueQuery.Sort.RECNO);
                vm.ascendingProperty().set(true);
            } else {
                TableColumn<QueueEntry, ?> c = t.getSortOrder().get(0);
                if (c.getUserData() instanceof QueueQuery.Sort s) {
                    vm.ascendingProperty().set(c.getSortType() == TableColumn.SortType.ASCENDING);
                    vm.sortProperty().set(s);
                }
            }
            return true; // the database sorts
        });

        MenuItem run = new MenuItem("Run now");
        run.setOnAction(e -> runSelected());
        MenuItem rm = new MenuItem("Remove from the queue");
        rm.setOnAction(e -> removeSelected());
        MenuItem show = new MenuItem("Show the mailbox");
        show.setOnAction(e -> {
            QueueEntry sel = table.getSelectionModel().getSelectedItem();
            if (sel != null && sel.recno() > 0) {
                showMailbox.accept(sel.mailbox());
            }
        });
        run.disableProperty().bind(vm.readOnlyProperty());
        rm.disableProperty().bind(vm.readOnlyProperty());
        MenuItem copy = new MenuItem("Copy as command");
        copy.setId("copyQueueCommand");
        copy.setOnAction(e -> vm.messageProperty().set(org.mstore.console.export.ExportUi.copy(
                vm.runNowCommand(List.copyOf(table.getSelectionModel().getSelectedItems())))));
        table.setContextMenu(new ContextMenu(run, rm, show, copy));
        table.setOnKeyPressed(e -> {
            switch (e.getCode()) {
                case DELETE -> {
                    removeSelected();
                    e.consume();
                }
                case ENTER -> {
                    if (e.isShortcutDown()) {
                        runSelected();
                        e.consume();
                    }
                }
                case PAGE_DOWN -> {
                    if (e.isShortcutDown()) {
                        vm.rows().nextPage();
                        e.consume();
                    }
                }
                case PAGE_UP -> {
                    if (e.isShortcutDown()) {
                        vm.rows().previousPage();
                        e.consume();
                    }
                }
                default -> { }
            }
        });
    }

    /**
     * The page is refreshed under the table as entries come and go; the administrator's selection follows the
     * entries (by RecNo), not the row positions.
     */
    private void keepSelectionAcrossRefreshes() {
        java.util.Set<Long> chosen = new java.util.LinkedHashSet<>();
        boolean[] restoring = {false};
        table.getSelectionModel().getSelectedItems().addListener((javafx.collections.ListChangeListener<QueueEntry>) c -> {
            if (!restoring[0] && !vm.rows().firing()) {
                chosen.clear();
                table.getSelectionModel().getSelectedItems().forEach(e -> chosen.add(e.recno()));
            }
        });
        vm.rows().afterChange(() -> {
            if (chosen.isEmpty()) {
                return;
            }
            restoring[0] = true;
            try {
                table.getSelectionModel().clearSelection();
                for (int i = 0; i < vm.rows().size(); i++) {
                    if (chosen.contains(vm.rows().get(i).recno())) {
                        table.getSelectionModel().select(i);
                    }
                }
            } finally {
                restoring[0] = false;
            }
        });
    }

    private static <T> TableCell<QueueEntry, T> cell(java.util.function.Function<QueueEntry, String> text) {
        return new TableCell<>() {
            @Override
            protected void updateItem(T item, boolean empty) {
                super.updateItem(item, empty);
                QueueEntry e = empty || getTableRow() == null ? null : getTableRow().getItem();
                setText(e == null ? null : text.apply(e));
            }
        };
    }

    /** The selected entries. */
    public List<QueueEntry> selection() {
        return table.getSelectionModel().getSelectedItems().stream().filter(e -> e != null).toList();
    }

    public void runSelected() {
        List<QueueEntry> sel = selection();
        if (!sel.isEmpty() && !vm.readOnlyProperty().get()) {
            vm.runNow(sel);
        }
    }

    public void removeSelected() {
        List<QueueEntry> sel = selection();
        if (sel.isEmpty() || vm.readOnlyProperty().get()) {
            return;
        }
        Alert a = new Alert(Alert.AlertType.CONFIRMATION, "Remove " + sel.size() + " entr" + (sel.size() == 1 ? "y" : "ies")
                + " from the maintenance queue? The tasks will not run.", ButtonType.OK, ButtonType.CANCEL);
        a.setHeaderText(null);
        a.initOwner(getScene() == null ? null : getScene().getWindow());
        a.showAndWait().filter(b -> b == ButtonType.OK).ifPresent(b -> vm.remove(sel));
    }

    public void focusFilter() {
        filter.requestFocus();
        filter.selectAll();
    }

    public TableView<QueueEntry> table() {
        return table;
    }
}
