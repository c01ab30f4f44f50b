package org.mstore.console.mailboxes;

import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import org.mstore.api.MailboxInfo;
import org.mstore.console.Format;
import org.mstore.console.Metrics;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.StringBinding;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.control.TreeCell;
import javafx.scene.control.TreeItem;
import javafx.scene.control.TreeView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

/**
 * Users and folders as a searchable tree; the selected mailbox's metadata against the thresholds; and the
 * buttons Repair now, Clean now, Purge now, Check.
 */
public final class MailboxesView extends SplitPane {
    private final MailboxesViewModel vm;
    private final TreeView<String> tree = new TreeView<>();
    private final TextField search = new TextField();
    private final Map<String, TreeItem<String>> items = new LinkedHashMap<>();
    private boolean rebuilding;
    private VBox left;

    public MailboxesView(MailboxesViewModel vm, ZoneId zone) {
        this.vm = vm;
        setId("mailboxesView");

        search.setId("mailboxSearch");
        search.setPromptText("Search mailboxes (Ctrl+F)");
        search.textProperty().bindBidirectional(vm.searchProperty());
        tree.setId("mailboxTree");
        tree.setShowRoot(false);
        tree.setCellFactory(t -> new TreeCell<>() {
            @Override
            protected void updateItem(String name, boolean empty) {
                super.updateItem(name, empty);
                if (empty || name == null) {
                    setText(null);
                    setTooltip(null);
                    return;
                }
                boolean user = name.indexOf('/', 5) < 0;
                String leaf = user ? name.substring(5) : name.substring(name.lastIndexOf('/') + 1);
                MailboxInfo m = find(name);
                setText(m == null ? leaf : leaf + "  (" + Format.count(m.messageCount()) + ")");
                setTooltip(new Tooltip(name));
            }
        });
        vm.visible().addListener((ListChangeListener<MailboxInfo>) c -> rebuild());
        tree.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (!rebuilding) {
                vm.select(b == null ? null : b.getValue());
            }
        });
        vm.selectedProperty().addListener((o, a, b) -> {
            if (b != null && (tree.getSelectionModel().getSelectedItem() == null
                    || !b.name().equals(tree.getSelectionModel().getSelectedItem().getValue()))) {
                TreeItem<String> it = items.get(b.name());
                if (it != null) {
                    tree.getSelectionModel().select(it);
                    tree.scrollTo(Math.max(0, tree.getRow(it) - 3));
                }
            }
        });
        rebuild();

        left = new VBox(8, search, tree);
        left.setPadding(new Insets(10));
        VBox.setVgrow(tree, Priority.ALWAYS);

        getItems().addAll(left, details(zone));
        setDividerPositions(0.32);
    }

    /** Adds a pane below the mailbox tree (Check all). */
    public void addBelowTree(javafx.scene.Node n) {
        left.getChildren().add(n);
    }

    private MailboxInfo find(String name) {
        for (MailboxInfo m : vm.mailboxes()) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        return null;
    }

    /** Rebuilds the tree from the visible mailboxes: users, then folders below them. */
    private void rebuild() {
        rebuilding = true;
        try {
            String keep = vm.selectedProperty().get() == null ? null : vm.selectedProperty().get().name();
            TreeItem<String> root = new TreeItem<>("");
            items.clear();
            boolean searching = !vm.searchProperty().get().isBlank();
            for (MailboxInfo m : vm.visible()) {
                TreeItem<String> item = ensure(root, m.name());
                item.setExpanded(searching || vm.visible().size() < 400);
            }
            tree.setRoot(root);
            if (keep != null && items.containsKey(keep)) {
                tree.getSelectionModel().select(items.get(keep));
            }
        } finally {
            rebuilding = false;
        }
    }

    private TreeItem<String> ensure(TreeItem<String> root, String name) {
        TreeItem<String> existing = items.get(name);
        if (existing != null) {
            return existing;
        }
        int slash = name.lastIndexOf('/');
        TreeItem<String> parent = name.indexOf('/', 5) < 0 ? root : ensure(root, name.substring(0, slash));
        TreeItem<String> item = new TreeItem<>(name);
        item.setExpanded(true);
        parent.getChildren().add(item);
        items.put(name, item);
        return item;
    }

    private BorderPane details(ZoneId zone) {
        Label title = new Label();
        title.setId("mailboxTitle");
        title.getStyleClass().add("big");
        title.textProperty().bind(text(m -> m.name(), "Select a mailbox"));

        GridPane grid = new GridPane();
        grid.setHgap(16);
        grid.setVgap(6);
        javafx.scene.layout.ColumnConstraints names = new javafx.scene.layout.ColumnConstraints();
        names.setMinWidth(170);
        grid.getColumnConstraints().add(names);
        int r = 0;
        r = Metrics.row(grid, r, "Messages", "mbMessages", text(m -> Format.count(m.messageCount()), ""));
        r = Metrics.row(grid, r, "Size", "mbSize", text(m -> Format.bytes(m.sizeBytes()) + " (" + Format.count(m.sizeBytes()) + " bytes)", ""));
        r = Metrics.row(grid, r, "Expunged", "mbExpunged", Bindings.createStringBinding(() ->
                MailboxesViewModel.cleanupStanding(vm.selectedProperty().get(), vm.thresholdsProperty().get()),
                vm.selectedProperty(), vm.thresholdsProperty()));
        r = Metrics.row(grid, r, "Waiting to be reclaimed", "mbReclaimable", Bindings.createStringBinding(() ->
                MailboxesViewModel.reclaimableText(vm.selectedProperty().get(), vm.reclaimableProperty().get()),
                vm.selectedProperty(), vm.reclaimableProperty()));
        r = Metrics.row(grid, r, "Cache records", "mbCacheRecords", text(m -> Format.count(m.cacheRecords()), ""));
        r = Metrics.row(grid, r, "Expunged cache records", "mbCacheExpunged", Bindings.createStringBinding(() ->
                MailboxesViewModel.purgeStanding(vm.selectedProperty().get(), vm.thresholdsProperty().get()),
                vm.selectedProperty(), vm.thresholdsProperty()));
        ProgressBar share = new ProgressBar(0);
        share.setId("mbShareBar");
        share.getStyleClass().add("share-bar");
        share.setPrefWidth(260);
        share.visibleProperty().bind(vm.selectedProperty().isNotNull()); // an empty bar under empty figures read as broken
        share.progressProperty().bind(Bindings.createDoubleBinding(() -> {
            MailboxInfo m = vm.selectedProperty().get();
            return m == null ? 0 : m.cacheExpungedPercent() / 100.0;
        }, vm.selectedProperty()));
        Runnable pastStyle = () -> {
            MailboxInfo m = vm.selectedProperty().get();
            var s = vm.thresholdsProperty().get();
            boolean past = m != null && s != null && s.purgeDue(m.cacheRecords(), m.cacheExpunged());
            share.getStyleClass().remove("past");
            if (past) {
                share.getStyleClass().add("past");
            }
        };
        vm.selectedProperty().addListener((o, a, b) -> pastStyle.run());
        vm.thresholdsProperty().addListener((o, a, b) -> pastStyle.run());
        grid.add(share, 1, r++);
        r = Metrics.row(grid, r, "Last expunge", "mbLastExpunge", text(m -> Format.when(m.lastExpunge(), zone), ""));
        r = Metrics.row(grid, r, "Last cleanup", "mbLastCleanup", text(m -> Format.when(m.lastCleanup(), zone), ""));
        r = Metrics.row(grid, r, "Last purge", "mbLastPurge", text(m -> Format.when(m.lastPurge(), zone), ""));
        r = Metrics.row(grid, r, "Last repair", "mbLastRepair", text(m -> Format.when(m.lastRepair(), zone), ""));
        r = Metrics.row(grid, r, "Partition", "mbPartition", text(MailboxInfo::partition, ""));
        r = Metrics.row(grid, r, "UID validity / next UID", "mbUids", text(m -> m.uidValidity() + " / " + m.nextUid(), ""));
        Metrics.row(grid, r, "Created", "mbCreated", text(m -> Format.when(m.created(), zone), ""));

        Button repair = button("Repair now", "repairNow", "Repair at once, also outside the off-peak window: rebuild the index and "
                + "cache from the message files (Ctrl+R)", vm::repairNow);
        Button clean = button("Clean now", "cleanNow", "Clean at once: rename store.exp and queue its files for Remove", vm::cleanNow);
        Button purge = button("Purge now", "purgeNow", "Purge at once: rewrite the cache without expunged records", vm::purgeNow);
        javafx.scene.control.MenuButton queueLater = new javafx.scene.control.MenuButton("Queue");
        queueLater.setId("queueLater");
        queueLater.setTooltip(new Tooltip("Queue a forced task for impurge to run in its turn (inside its window), instead of now"));
        for (org.mstore.api.Action a : new org.mstore.api.Action[] {org.mstore.api.Action.REPAIR, org.mstore.api.Action.CLEAN,
                org.mstore.api.Action.PURGE}) {
            javafx.scene.control.MenuItem i = new javafx.scene.control.MenuItem(a.label());
            i.setId("queue" + a.label());
            i.setOnAction(e -> vm.request(a));
            queueLater.getItems().add(i);
        }
        queueLater.disableProperty().bind(vm.actionsDisabledProperty());
        Button queueInstead = new Button();
        queueInstead.setId("queueInstead");
        queueInstead.textProperty().bind(Bindings.createStringBinding(() -> vm.queueInsteadProperty().get() == null ? ""
                : "Queue " + vm.queueInsteadProperty().get().label() + " instead", vm.queueInsteadProperty()));
        queueInstead.visibleProperty().bind(vm.queueInsteadProperty().isNotNull());
        queueInstead.managedProperty().bind(queueInstead.visibleProperty());
        queueInstead.setOnAction(e -> vm.queueInstead());
        Button check = button("Check", "checkMailbox", "Run the full sanity check; corruption queues a Repair", vm::check);
        repair.disableProperty().bind(vm.actionsDisabledProperty());
        clean.disableProperty().bind(vm.actionsDisabledProperty());
        purge.disableProperty().bind(vm.actionsDisabledProperty());
        check.disableProperty().bind(vm.selectedProperty().isNull());
        javafx.scene.control.MenuButton copy = new javafx.scene.control.MenuButton("Copy as command");
        copy.setId("copyMailboxCommand");
        copy.setTooltip(new Tooltip("Put the mstore command line that does the same on the clipboard"));
        for (String[] k : new String[][] {{"repair", "Repair now: mstore reconstruct"}, {"check", "Check: mstore reconstruct -n"},
                {"show", "Show: mstore imcheck -m"}}) {
            javafx.scene.control.MenuItem i = new javafx.scene.control.MenuItem(k[1]);
            i.setOnAction(e -> vm.messageProperty().set(org.mstore.console.export.ExportUi.copy(vm.command(k[0]))));
            copy.getItems().add(i);
        }
        copy.disableProperty().bind(vm.selectedProperty().isNull());
        HBox buttons = new HBox(8, repair, clean, purge, check, queueLater, copy);
        buttons.setAlignment(Pos.CENTER_LEFT);

        Label message = new Label();
        message.setId("mailboxMessage");
        message.setWrapText(true);
        message.textProperty().bind(vm.messageProperty());
        ListView<String> problems = new ListView<>(vm.problems());
        problems.setId("checkProblems");
        problems.setPrefHeight(120);
        problems.setCellFactory(l -> {
            javafx.scene.control.ListCell<String> c = new javafx.scene.control.ListCell<>() {
                @Override
                protected void updateItem(String s, boolean empty) {
                    super.updateItem(s, empty);
                    setText(empty ? null : s);
                }
            };
            c.getStyleClass().add("problem");
            return c;
        });
        problems.visibleProperty().bind(Bindings.isNotEmpty(vm.problems()));
        problems.managedProperty().bind(problems.visibleProperty());

        VBox box = new VBox(12, title, grid, buttons, message, queueInstead, problems, expunged(zone));
        box.getStyleClass().add("pane-padding");
        javafx.scene.control.ScrollPane scroll = new javafx.scene.control.ScrollPane(box);
        scroll.setFitToWidth(true);
        scroll.setId("mailboxDetailsScroll");
        BorderPane p = new BorderPane(scroll);
        return p;
    }

    /**
     * The selected mailbox's expunged messages (listed on demand: old UID, expunged at, size, date, from, subject, and
     * whether each can still be recovered), and Restore selected: new messages with new UIDs, run in the background.
     */
    private VBox expunged(ZoneId zone) {
        Label heading = new Label("Expunged messages");
        heading.getStyleClass().add("section");
        javafx.scene.control.TableView<org.mstore.api.ExpungedMessage> table = new javafx.scene.control.TableView<>(vm.expunged());
        table.setId("expungedTable");
        table.setPrefHeight(180);
        table.setPlaceholder(new Label("Not listed yet: List shows what can still be recovered until Remove deletes the files (on a Cassandra store, until the Purge)"));
        table.getSelectionModel().setSelectionMode(javafx.scene.control.SelectionMode.MULTIPLE);
        table.getColumns().add(column("Old UID", m -> Integer.toString(m.uid()), 70));
        table.getColumns().add(column("Expunged", m -> Format.when(m.expungedAt(), zone), 150));
        table.getColumns().add(column("Size", m -> Format.bytes(m.size()), 80));
        table.getColumns().add(column("State", m -> switch (m.state()) {
            case RECOVERABLE -> "recoverable";
            case RECOVERED -> "recovered as UID " + m.recoveredAs();
            case REMOVED -> "removed by Remove";
        }, 150));
        table.getColumns().add(column("Date", org.mstore.api.ExpungedMessage::date, 170));
        table.getColumns().add(column("From", org.mstore.api.ExpungedMessage::from, 180));
        table.getColumns().add(column("Subject", org.mstore.api.ExpungedMessage::subject, 240));
        Button list = button("List", "listExpunged", "List the expunged messages of this mailbox", vm::listExpunged);
        list.disableProperty().bind(vm.selectedProperty().isNull());
        Button restore = button("Restore selected", "restoreExpunged", "Bring the selected expunged messages back as new messages "
                + "(new UIDs, the same bytes, internal date and flags, less \\Deleted)",
                () -> vm.restore(table.getSelectionModel().getSelectedItems().stream().filter(org.mstore.api.ExpungedMessage::recoverable)
                        .map(org.mstore.api.ExpungedMessage::uid).toList()));
        restore.disableProperty().bind(vm.actionsDisabledProperty().or(Bindings.createBooleanBinding(() -> table.getSelectionModel()
                .getSelectedItems().stream().noneMatch(org.mstore.api.ExpungedMessage::recoverable), table.getSelectionModel()
                .getSelectedItems())));
        HBox row = new HBox(8, heading, list, restore);
        row.setAlignment(Pos.CENTER_LEFT);
        return new VBox(6, row, table);
    }

    private static javafx.scene.control.TableColumn<org.mstore.api.ExpungedMessage, String> column(String title,
            Function<org.mstore.api.ExpungedMessage, String> f, double width) {
        javafx.scene.control.TableColumn<org.mstore.api.ExpungedMessage, String> c = new javafx.scene.control.TableColumn<>(title);
        c.setCellValueFactory(d -> new javafx.beans.property.ReadOnlyStringWrapper(f.apply(d.getValue())));
        c.setPrefWidth(width);
        return c;
    }

    private static Button button(String text, String id, String tip, Runnable action) {
        Button b = new Button(text);
        b.setId(id);
        b.setTooltip(new Tooltip(tip));
        b.setOnAction(e -> action.run());
        return b;
    }

    private StringBinding text(Function<MailboxInfo, String> f, String none) {
        return Bindings.createStringBinding(() -> {
            MailboxInfo m = vm.selectedProperty().get();
            return m == null ? none : f.apply(m);
        }, vm.selectedProperty());
    }


    public void focusSearch() {
        search.requestFocus();
        search.selectAll();
    }

    public TreeView<String> tree() {
        return tree;
    }
}
