package org.mstore.console.settings;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.mstore.api.MessageStore;
import org.mstore.api.Setting;
import org.mstore.console.TaskExecutor;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.beans.value.ObservableBooleanValue;

/**
 * The threshold editors, with JabRef's settings life-cycle: {@link #setValues} from the store,
 * validation as the administrator types, {@link #apply} (all values or none), {@link #revert},
 * {@link #restoreDefaults}. Applied values reach a running daemon at its next task, without a restart.
 */
public final class SettingsViewModel {
    private final MessageStore engine;
    private final TaskExecutor executor;
    private final Map<Setting, SettingField> fields = new EnumMap<>(Setting.class);
    private final StringProperty message = new SimpleStringProperty("");
    private final BooleanProperty readOnly = new SimpleBooleanProperty(false);
    private final BooleanBinding allValid;
    private final BooleanBinding anyDirty;
    private final BooleanBinding canApply;

    public SettingsViewModel(MessageStore engine, TaskExecutor executor, boolean readOnly) {
        this.engine = engine;
        this.executor = executor;
        this.readOnly.set(readOnly);
        List<ObservableBooleanValue> deps = new ArrayList<>();
        for (Setting s : Setting.values()) {
            SettingField f = new SettingField(s);
            fields.put(s, f);
            // "Saved ..." is about the values as they were applied: typing again makes it stale
            f.valueProperty().addListener((o, was, is) -> {
                if (message.get().startsWith("Saved ") && f.dirtyProperty().get()) {
                    message.set("");
                }
            });
            deps.add(f.validProperty());
            deps.add(f.dirtyProperty());
        }
        allValid = Bindings.createBooleanBinding(() -> fields.values().stream().allMatch(f -> f.validProperty().get()),
                deps.toArray(new ObservableBooleanValue[0]));
        anyDirty = Bindings.createBooleanBinding(() -> fields.values().stream().anyMatch(f -> f.dirtyProperty().get()),
                deps.toArray(new ObservableBooleanValue[0]));
        canApply = allValid.and(anyDirty).and(this.readOnly.not());
    }

    public SettingField field(Setting s) {
        return fields.get(s);
    }

    public StringProperty messageProperty() {
        return message;
    }

    public BooleanBinding canApplyProperty() {
        return canApply;
    }

    public BooleanBinding anyDirtyProperty() {
        return anyDirty;
    }

    public BooleanBinding allValidProperty() {
        return allValid;
    }

    public BooleanProperty readOnlyProperty() {
        return readOnly;
    }

    /** Reads the stored values into the editors (those being edited keep their text). */
    public void load() {
        executor.execute("Reading settings", () -> engine.settings().all(), this::setValues, e -> message.set(e.getMessage()));
    }

    void setValues(Map<Setting, String> values) {
        values.forEach((s, v) -> {
            SettingField f = fields.get(s);
            boolean editing = f.dirtyProperty().get();
            f.storedProperty().set(v);
            if (!editing) {
                f.valueProperty().set(v);
            }
        });
    }

    /** Saves every changed value, all or none. Refused while any editor holds an invalid value. */
    public void apply() {
        if (!canApply.get()) {
            if (!allValid.get()) {
                message.set("Not saved: " + firstError());
            }
            return;
        }
        Map<Setting, String> changed = new EnumMap<>(Setting.class);
        fields.forEach((s, f) -> {
            if (f.dirtyProperty().get()) {
                changed.put(s, f.valueProperty().get());
            }
        });
        executor.execute("Saving settings", () -> engine.settings().apply(changed), saved -> {
            saved.forEach((s, v) -> {
                fields.get(s).storedProperty().set(v);
                fields.get(s).valueProperty().set(v);
            });
            message.set("Saved " + String.join(", ", saved.keySet().stream().map(Setting::key).toList()));
        }, e -> message.set("Not saved: " + e.getMessage()));
    }

    private String firstError() {
        return fields.values().stream().map(f -> f.errorProperty().get()).filter(e -> !e.isEmpty()).findFirst().orElse("");
    }

    /** Puts the stored values back into the editors. */
    public void revert() {
        fields.values().forEach(f -> f.valueProperty().set(f.storedProperty().get()));
        message.set("");
    }

    /** Fills the editors with the defaults (Apply saves them). */
    public void restoreDefaults() {
        fields.forEach((s, f) -> f.valueProperty().set(s.defaultValue()));
        message.set("Defaults filled in; Apply to save them");
    }
}
