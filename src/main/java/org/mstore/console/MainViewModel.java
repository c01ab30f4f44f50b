package org.mstore.console;

import java.nio.file.Path;
import java.util.List;

import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The window's state: which store is open (a {@link StoreSession}), read-only or not, the recent stores,
 * the theme, and what went wrong opening a store.
 */
public final class MainViewModel {
    private final TaskExecutor executor;
    private final RecentStores recent;
    private final ObjectProperty<StoreSession> session = new SimpleObjectProperty<>();
    private final StringProperty storeLabel = new SimpleStringProperty("no store");
    private final StringProperty error = new SimpleStringProperty("");
    private final BooleanProperty dark = new SimpleBooleanProperty(false);
    private final BooleanProperty opening = new SimpleBooleanProperty(false);
    private final ObservableList<Path> recentStores = FXCollections.observableArrayList();
    private final boolean readOnly;

    public MainViewModel(TaskExecutor executor, RecentStores recent, boolean readOnly) {
        this.executor = executor;
        this.recent = recent;
        this.readOnly = readOnly;
        recentStores.setAll(recent.list());
    }

    public ObjectProperty<StoreSession> sessionProperty() {
        return session;
    }

    public StringProperty storeLabelProperty() {
        return storeLabel;
    }

    public StringProperty errorProperty() {
        return error;
    }

    public BooleanProperty darkProperty() {
        return dark;
    }

    public BooleanProperty openingProperty() {
        return opening;
    }

    public ObservableList<Path> recentStores() {
        return recentStores;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /**
     * Opens a store in the background (through the sample's working copy when it is the committed sample,
     * {@code fresh} asking for a new copy) and switches to it; the previous store is closed.
     */
    public void open(Path store, boolean fresh) {
        opening.set(true);
        error.set("");
        executor.execute("Opening " + store, () -> {
            Stores.SampleCopy r = Stores.resolveSample(store, fresh);
            MessageStore e = Stores.open(r.root(), OpenOptions.console(readOnly));
            return new Opened(store, r, e);
        }, o -> {
            opening.set(false);
            StoreSession old = session.get();
            StoreSession s = new StoreSession(o.engine(), executor);
            session.set(s);
            storeLabel.set(o.resolved().sample() ? o.requested() + " (sample; working copy " + o.resolved().root() + ")"
                    : o.resolved().root().toString());
            s.start();
            if (!o.resolved().sample()) {
                recent.remember(o.resolved().root());
                recentStores.setAll(recent.list());
            }
            if (old != null) {
                executor.execute("Closing the previous store", () -> {
                    old.close();
                    return null;
                }, x -> { }, x -> { });
            }
        }, e -> {
            opening.set(false);
            error.set("Could not open " + store + ": " + e.getMessage());
        });
    }

    private record Opened(Path requested, Stores.SampleCopy resolved, MessageStore engine) {
    }

    /** Closes the open store (on exit): blocks, so call it off the UI thread or at shutdown. */
    public void closeNow() {
        StoreSession s = session.get();
        if (s != null) {
            s.close();
        }
    }
}
