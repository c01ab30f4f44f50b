package org.mstore.console.history;

import java.time.ZoneId;
import java.util.List;
import java.util.function.Function;

import org.mstore.api.HistoryEntry;
import org.mstore.api.QueueEntry;
import org.mstore.console.Format;

import javafx.beans.binding.Bindings;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.value.ObservableLongValue;
import javafx.geometry.Pos;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Label;
import javafx.scene.control.SelectionMode;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;

/** Done, Dropped (with the reason) and Failed (parked, with Retry and Discard): the queue's finished work. */
public final class HistoryView extends BorderPane {
    private final HistoryViewModel vm;
    private final TabPane lists = new TabPane();
    private final TableView<QueueEntry> failedTable = new TableView<>();

    public HistoryView(HistoryViewModel vm, ZoneId zone) {
        this.vm = vm;
        setId("historyView");
        getStyleClass().add("view");
        lists.setId("historyTabs");
        Tab done = tab("Done", "tabDone", vm.doneCountProperty(), null);
        Tab dropped = tab("Dropped", "tabDropped", vm.droppedCountProperty(), null);
        lists.getTabs().addAll(tab("Failed", "tabFailed", vm.failedCountProperty(), failedPane(zone)), done, dropped);
        // Done and Dropped are built when their tab is first shown: a TabPane lays out every tab's content, and three
        // tables at once made the first switch to History cost three to five times the Failed list alone
        java.util.Map<Tab, java.util.function.Supplier<javafx.scene.Node>> later = new java.util.HashMap<>();
        later.put(done, () -> historyPane(vm.done(), true, zone, "historyDone"));
        later.put(dropped, () -> historyPane(vm.dropped(), false, zone, "historyDropped"));
        lists.getSelectionModel().selectedItemProperty().addListener((o, was, t) -> {
            java.util.function.Supplier<javafx.scene.Node> b = later.remove(t);
            if (b != null) {
                t.setContent(b.get());
            }
        });
        setCenter(lists);
        Label message = new Label();
        message.setId("historyMessage");
        message.getStyleClass().add("message");
        message.textProperty().bind(vm.messageProperty());
        HBox bottom = new HBox(message);
        bottom.getStyleClass().add("pager-row");
        setBottom(bottom);
    }

    private static Tab tab(String title, String id, ObservableLongValue count, javafx.scene.Node content) {
        Tab t = new Tab();
        t.setId(id);
        t.setClosable(false);
        t.textProperty().bind(Bindings.createStringBinding(() -> title + "  " + Format.count(count.get()), count));
        t.setContent(content);
        return t;
    }

    private BorderPane failedPane(ZoneId zone) {
        failedTable.setId("failedTable");
        failedTable.setItems(vm.failed());
        failedTable.getSelectionModel().setSelectionMode(SelectionMode.MULTIPLE);
        failedTable.setPlaceholder(new Label("No failed entries: a task that fails " + 5
                + " times in a row is parked here instead of being retried for ever"));
        failedTable.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        failedTable.getColumns().setAll(List.of(
                col("RecNo", 80, e -> Long.toString(e.recno())),
                col("Mailbox", 260, QueueEntry::mailbox),
                col("Action", 80, e -> e.action().label()),
                col("Timestamp", 160, e -> Format.when(e.timestamp(), zone)),
                col("Attempts", 80, e -> Integer.toString(e.attempts())),
                col("Last error", 400, e -> e.lastError() == null ? "" : e.lastError())));

        Button retry = new Button("Retry");
        retry.setId("retryFailed");
        retry.setTooltip(new Tooltip("Put the selected entries back in the queue: waiting, attempts reset, due at once"));
        retry.setOnAction(e -> vm.retry(selection()));
        Button discard = new Button("Discard");
        discard.setId("discardFailed");
        discard.setTooltip(new Tooltip("Let the selected entries go: they leave the queue, recorded as discarded"));
        discard.setOnAction(e -> confirm("Discard " + HistoryViewModel.plural(selection().size(), "failed entry", "failed entries")
                + "? Their tasks will not run.", () -> vm.discard(selection())));
        retry.disableProperty().bind(vm.readOnlyProperty().or(Bindings.isEmpty(failedTable.getSelectionModel().getSelectedItems())));
        discard.disableProperty().bind(retry.disableProperty());
        Button retryAll = new Button("Retry all");
        retryAll.setId("retryAllFailed");
        retryAll.setOnAction(e -> confirm("Retry all " + HistoryViewModel.plural(vm.failedCountProperty().get(), "failed entry",
                "failed entries") + "?", vm::retryAll));
        Button discardAll = new Button("Discard all");
        discardAll.setId("discardAllFailed");
        discardAll.setOnAction(e -> confirm("Discard all " + HistoryViewModel.plural(vm.failedCountProperty().get(), "failed entry",
                "failed entries") + "? Their tasks will not run.", vm::discardAll));
        retryAll.disableProperty().bind(vm.readOnlyProperty().or(vm.failedCountProperty().isEqualTo(0)));
        discardAll.disableProperty().bind(retryAll.disableProperty());
        Region gap = new Region();
        HBox.setHgrow(gap, Priority.ALWAYS);
        Label help = new Label("Parked after failing 5 times in a row: not picked again until retried or discarded.");
        help.getStyleClass().add("muted");
        Button export = exportButton(HistoryViewModel.List3.FAILED, "failedExport");
        javafx.scene.control.MenuItem copyRetry = new javafx.scene.control.MenuItem("Copy Retry as command");
        copyRetry.setOnAction(e -> vm.messageProperty().set(org.mstore.console.export.ExportUi.copy(vm.retryCommand(selection()))));
        javafx.scene.control.MenuItem copyDiscard = new javafx.scene.control.MenuItem("Copy Discard as command");
        copyDiscard.setOnAction(e -> vm.messageProperty().set(org.mstore.console.export.ExportUi.copy(vm.discardCommand(selection()))));
        failedTable.setContextMenu(new javafx.scene.control.ContextMenu(copyRetry, copyDiscard));
        HBox bar = new HBox(8, retry, discard, gap, help, retryAll, discardAll, export);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.getStyleClass().add("toolbar-row");
        BorderPane p = new BorderPane(failedTable);
        p.setTop(bar);
        return p;
    }

    private BorderPane historyPane(List<HistoryEntry> items, boolean ofDone, ZoneId zone, String id) {
        TableView<HistoryEntry> t = new TableView<>((javafx.collections.ObservableList<HistoryEntry>) items);
        t.setId(id);
        t.setPlaceholder(new Label(ofDone ? "No task has run yet" : "No entry has been dropped"));
        t.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        t.getColumns().setAll(List.of(
                hcol("RecNo", 80, h -> Long.toString(h.entry().recno())),
                hcol("Mailbox", 260, h -> h.entry().mailbox()),
                hcol("Action", 80, h -> h.entry().action().label()),
                hcol("Finished", 160, h -> Format.when(h.doneAt(), zone)),
                ofDone ? hcol("Reclaimed", 100, h -> Format.bytes(h.bytesReclaimed()))
                        : hcol("Outcome", 100, h -> h.outcome().name().toLowerCase(java.util.Locale.ROOT)),
                ofDone ? hcol("Detail", 400, h -> h.detail() == null ? "" : h.detail())
                        : hcol("Reason", 400, HistoryViewModel::reason)));
        Button more = new Button("Older...");
        more.setId(id + "More");
        more.setTooltip(new Tooltip("Read the next " + HistoryViewModel.PAGE + " older entries"));
        more.setOnAction(e -> vm.loadMore(ofDone));
        // with every entry of the list shown, a click read nothing and said nothing
        more.disableProperty().bind(javafx.beans.binding.Bindings.size((javafx.collections.ObservableList<HistoryEntry>) items)
                .greaterThanOrEqualTo(ofDone ? vm.doneCountProperty() : vm.droppedCountProperty()));
        HBox bar = new HBox(8, more, exportButton(ofDone ? HistoryViewModel.List3.DONE : HistoryViewModel.List3.DROPPED, id + "Export"));
        bar.getStyleClass().add("toolbar-row");
        BorderPane p = new BorderPane(t);
        p.setBottom(bar);
        return p;
    }

    private Button exportButton(HistoryViewModel.List3 which, String id) {
        Button b = new Button("Export CSV...");
        b.setId(id);
        b.setTooltip(new Tooltip("Write the whole list (every page) to a CSV file"));
        b.setMinWidth(Region.USE_PREF_SIZE);
        b.setOnAction(e -> org.mstore.console.export.ExportUi.chooseCsv(this,
                "mstore-" + which.name().toLowerCase(java.util.Locale.ROOT) + ".csv", p -> vm.exportCsv(which, p)));
        return b;
    }

    private static TableColumn<QueueEntry, String> col(String name, double width, Function<QueueEntry, String> f) {
        TableColumn<QueueEntry, String> c = new TableColumn<>(name);
        c.setCellValueFactory(x -> new SimpleStringProperty(f.apply(x.getValue())));
        c.setPrefWidth(width);
        return c;
    }

    private static TableColumn<HistoryEntry, String> hcol(String name, double width, Function<HistoryEntry, String> f) {
        TableColumn<HistoryEntry, String> c = new TableColumn<>(name);
        c.setCellValueFactory(x -> new SimpleStringProperty(f.apply(x.getValue())));
        c.setPrefWidth(width);
        return c;
    }

    private List<QueueEntry> selection() {
        return List.copyOf(failedTable.getSelectionModel().getSelectedItems());
    }

    private void confirm(String question, Runnable then) {
        Alert a = new Alert(Alert.AlertType.CONFIRMATION, question, ButtonType.OK, ButtonType.CANCEL);
        a.setHeaderText(null);
        a.initOwner(getScene() == null ? null : getScene().getWindow());
        a.showAndWait().filter(b -> b == ButtonType.OK).ifPresent(b -> then.run());
    }

    /** Shows the Failed list. */
    public void showFailed() {
        lists.getSelectionModel().select(0);
    }

    public TableView<QueueEntry> failedTable() {
        return failedTable;
    }
}
