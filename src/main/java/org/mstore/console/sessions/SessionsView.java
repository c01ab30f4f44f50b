package org.mstore.console.sessions;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;

import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.VBox;

import org.mstore.api.SessionInfo;

/** The Sessions tab: one row per connected IMAP or LMTP client. */
public final class SessionsView extends BorderPane {
    public SessionsView(SessionsViewModel vm, ZoneId zone) {
        setId("sessionsView");
        DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(zone);
        TableView<SessionInfo> table = new TableView<>(vm.sessions());
        table.setId("sessionsTable");
        table.getColumns().add(column("User", s -> s.user() == null ? "(not logged in)" : s.user()));
        table.getColumns().add(column("Protocol", SessionInfo::protocol));
        table.getColumns().add(column("Address", SessionInfo::remote));
        table.getColumns().add(column("Selected mailbox", s -> s.mailbox() == null ? "" : s.mailbox()));
        table.getColumns().add(column("Since", s -> s.since() == null ? "" : time.format(s.since())));
        table.getColumns().add(column("Last command", s -> s.lastCommand() == null ? "" : s.lastCommand()));
        table.getColumns().add(column("Last active", s -> s.lastActive() == null ? "" : time.format(s.lastActive())));
        table.getColumns().add(column("IDLE", s -> s.idle() ? "yes" : ""));
        table.getColumns().add(column("Process", s -> s.process() + (s.host() == null ? "" : "@" + s.host())));
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY);
        table.setPlaceholder(new Label("No client is connected."));
        Label title = new Label("Connected clients");
        title.getStyleClass().add("heading");
        Label summary = new Label();
        summary.setId("sessionsSummary");
        summary.getStyleClass().add("muted");
        summary.textProperty().bind(vm.summaryProperty());
        Label help = new Label("Every imapd and lmtpd of the store, in every process; refreshed every few seconds. "
                + "See who has a mailbox selected before repairing it.");
        help.getStyleClass().add("help");
        help.setWrapText(true);
        VBox top = new VBox(6, title, help, summary);
        top.getStyleClass().add("pane-padding");
        setTop(top);
        setCenter(table);
    }

    private static TableColumn<SessionInfo, String> column(String title, Function<SessionInfo, String> value) {
        TableColumn<SessionInfo, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> new ReadOnlyStringWrapper(value.apply(d.getValue())));
        return c;
    }
}
