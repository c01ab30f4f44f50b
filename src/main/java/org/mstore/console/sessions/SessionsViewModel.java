package org.mstore.console.sessions;

import java.util.List;

import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

import org.mstore.api.MessageStore;
import org.mstore.api.SessionInfo;
import org.mstore.console.TaskExecutor;

/**
 * The clients connected to the store's IMAP and LMTP servers, in every process (issue 8): who is in which mailbox, so
 * that an administrator sees it before repairing one. Read in the background, every few seconds while the view is
 * shown; a store that keeps no sessions (a backend without them; both stores keep them) says so.
 */
public final class SessionsViewModel {
    private final MessageStore engine;
    private final TaskExecutor executor;
    private final ObservableList<SessionInfo> sessions = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper("");
    private boolean loading;

    public SessionsViewModel(MessageStore engine, TaskExecutor executor) {
        this.engine = engine;
        this.executor = executor;
    }

    public ObservableList<SessionInfo> sessions() {
        return sessions;
    }

    public ReadOnlyStringProperty summaryProperty() {
        return summary.getReadOnlyProperty();
    }

    /** Reads the sessions again (at most one read at a time). */
    public void load() {
        if (loading) {
            return;
        }
        loading = true;
        executor.execute("Reading the sessions", () -> engine.sessions().list(), list -> {
            loading = false;
            sessions.setAll(list);
            summary.set(summarize(list));
        }, e -> {
            loading = false;
            sessions.clear();
            summary.set(e instanceof UnsupportedOperationException ? "This store keeps no IMAP or LMTP sessions."
                    : "Cannot read the sessions: " + e.getMessage());
        });
    }

    static String summarize(List<SessionInfo> list) {
        if (list.isEmpty()) {
            return "No client is connected.";
        }
        long idle = list.stream().filter(SessionInfo::idle).count();
        long boxes = list.stream().map(SessionInfo::mailbox).filter(m -> m != null && !m.isEmpty()).distinct().count();
        return list.size() + (list.size() == 1 ? " session" : " sessions") + ", " + idle + " in IDLE, " + boxes
                + (boxes == 1 ? " mailbox" : " mailboxes") + " selected.";
    }

    /** The sessions that have {@code mailbox} selected (what a Repair of it would interrupt). */
    public List<SessionInfo> in(String mailbox) {
        return sessions.stream().filter(s -> mailbox.equals(s.mailbox())).toList();
    }
}
