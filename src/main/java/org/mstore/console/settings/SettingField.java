package org.mstore.console.settings;

import org.mstore.api.InvalidSettingException;
import org.mstore.api.Setting;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * One threshold editor's state: the text being typed, validated as it is typed (the error names the option
 * and the allowed values), and whether it differs from what is stored.
 */
public final class SettingField {
    private final Setting setting;
    private final StringProperty value = new SimpleStringProperty("");
    private final StringProperty stored = new SimpleStringProperty("");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final BooleanBinding dirty;
    private final BooleanBinding valid;

    SettingField(Setting setting) {
        this.setting = setting;
        value.addListener((o, was, is) -> validate());
        dirty = Bindings.createBooleanBinding(() -> !canonicalOrRaw(value.get()).equals(stored.get()), value, stored);
        valid = Bindings.createBooleanBinding(() -> error.get().isEmpty(), error);
    }

    private void validate() {
        try {
            setting.validate(value.get());
            error.set("");
        } catch (InvalidSettingException e) {
            error.set(e.getMessage());
        }
    }

    private String canonicalOrRaw(String v) {
        try {
            return setting.validate(v);
        } catch (InvalidSettingException e) {
            return v;
        }
    }

    public Setting setting() {
        return setting;
    }

    /** The text in the editor. */
    public StringProperty valueProperty() {
        return value;
    }

    /** The value saved in the store. */
    public StringProperty storedProperty() {
        return stored;
    }

    /** Empty when the text is valid; otherwise the reason, naming the option and the allowed values. */
    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    public BooleanBinding dirtyProperty() {
        return dirty;
    }

    public BooleanBinding validProperty() {
        return valid;
    }

    /** The canonical form of the text (call only when valid). */
    String canonical() {
        return setting.validate(value.get());
    }
}
