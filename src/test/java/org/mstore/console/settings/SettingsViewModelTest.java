package org.mstore.console.settings;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mstore.api.OpenOptions;
import org.mstore.api.Setting;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.engine.Engine;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The threshold editors on a real store: load, validate as typed, apply all or none, revert, defaults. */
class SettingsViewModelTest {
    @TempDir
    Path tmp;
    TestStore s;
    SettingsViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.engine.settings().apply(Map.of(Setting.CLEANUP_SIZE, "250", Setting.PURGE_PERCENTAGE, "12.5",
                Setting.CLEANUP_AGE, "90m", Setting.PURGE_WINDOW, "22:00-04:00"));
        vm = new SettingsViewModel(s.engine, new CurrentThreadTaskExecutor(), false);
        vm.load();
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private SettingField field(Setting setting) {
        return vm.field(setting);
    }

    private void type(Setting setting, String text) {
        field(setting).valueProperty().set(text);
    }

    @Test
    void load_fills_every_field_with_the_stored_value() {
        assertThat(field(Setting.CLEANUP_SIZE).valueProperty().get()).isEqualTo("250");
        assertThat(field(Setting.PURGE_PERCENTAGE).valueProperty().get()).isEqualTo("12.5");
        assertThat(field(Setting.CLEANUP_AGE).valueProperty().get()).isEqualTo("1h30m");
        assertThat(field(Setting.PURGE_WINDOW).valueProperty().get()).isEqualTo("22:00-04:00");
        assertThat(field(Setting.PURGE_COUNT).valueProperty().get()).isEqualTo("500");
        for (Setting setting : Setting.values()) {
            SettingField f = field(setting);
            assertThat(f.valueProperty().get()).as(setting.key()).isEqualTo(s.engine.settings().get(setting));
            assertThat(f.dirtyProperty().get()).as(setting.key()).isFalse();
            assertThat(f.errorProperty().get()).as(setting.key()).isEmpty();
        }
        assertThat(vm.canApplyProperty().get()).isFalse();
    }

    @ParameterizedTest(name = "{1} into {0}")
    @CsvSource(delimiter = '|', value = {
            "PURGE_PERCENTAGE | 150         | a number from 0 to 100",
            "PURGE_PERCENTAGE | -1          | a number from 0 to 100",
            "PURGE_PERCENTAGE | abc         | a number from 0 to 100",
            "CLEANUP_SIZE     | -1          | a whole number from 0 to 1000000000",
            "CLEANUP_SIZE     | abc         | a whole number from 0 to 1000000000",
            "CLEANUP_AGE      | abc         | a duration from 0s to 365d",
            "PURGE_WINDOW     | 25:00-26:00 | empty or HH:MM-HH:MM",
            "PURGE_ENABLE     | maybe       | true or false"})
    void an_invalid_value_names_the_option_and_the_allowed_values_and_nothing_is_saved(Setting setting, String text, String allowed) {
        type(Setting.PURGE_COUNT, "600"); // a valid edit alongside: all or none
        String stored = s.engine.settings().get(setting);

        type(setting, text);

        assertThat(field(setting).errorProperty().get()).contains(setting.key()).contains("'" + text + "'").contains(allowed);
        assertThat(field(setting).validProperty().get()).isFalse();
        assertThat(vm.canApplyProperty().get()).isFalse();
        vm.apply();
        assertThat(s.engine.settings().get(setting)).isEqualTo(stored);
        assertThat(s.engine.settings().get(Setting.PURGE_COUNT)).isEqualTo("500");
        assertThat(vm.messageProperty().get()).startsWith("Not saved: ").contains(setting.key());
    }

    @Test
    void typing_150_into_purge_percentage_is_refused_and_nothing_is_saved() {
        type(Setting.PURGE_PERCENTAGE, "150");

        assertThat(field(Setting.PURGE_PERCENTAGE).errorProperty().get())
                .isEqualTo("store.purge.percentage: '150' is out of range; allowed: a number from 0 to 100");
        vm.apply();
        assertThat(s.engine.settings().get(Setting.PURGE_PERCENTAGE)).isEqualTo("12.5");
    }

    @Test
    void correcting_an_invalid_value_clears_its_error() {
        type(Setting.PURGE_PERCENTAGE, "150");
        type(Setting.PURGE_PERCENTAGE, "15");

        assertThat(field(Setting.PURGE_PERCENTAGE).errorProperty().get()).isEmpty();
        assertThat(vm.canApplyProperty().get()).isTrue();
    }

    @Test
    void a_valid_edit_is_dirty_until_applied_and_another_engine_sees_it_without_a_restart() throws Exception {
        try (Engine other = s.openAgain()) {
            type(Setting.CLEANUP_SIZE, " 300 ");
            assertThat(field(Setting.CLEANUP_SIZE).dirtyProperty().get()).isTrue();
            assertThat(vm.canApplyProperty().get()).isTrue();
            assertThat(other.settings().get(Setting.CLEANUP_SIZE)).as("not before Apply").isEqualTo("250");

            vm.apply();

            assertThat(other.settings().get(Setting.CLEANUP_SIZE)).isEqualTo("300");
            assertThat(other.settings().snapshot().cleanupSize()).isEqualTo(300);
            assertThat(field(Setting.CLEANUP_SIZE).valueProperty().get()).isEqualTo("300");
            assertThat(field(Setting.CLEANUP_SIZE).dirtyProperty().get()).isFalse();
            assertThat(vm.canApplyProperty().get()).isFalse();
            assertThat(vm.messageProperty().get()).isEqualTo("Saved store.cleanupsize");
        }
    }

    @Test
    void the_stored_value_in_another_spelling_is_not_an_edit() {
        type(Setting.PURGE_PERCENTAGE, "12.50%");
        type(Setting.CLEANUP_AGE, "1h 30m");

        assertThat(field(Setting.PURGE_PERCENTAGE).dirtyProperty().get()).isFalse();
        assertThat(field(Setting.CLEANUP_AGE).dirtyProperty().get()).isFalse();
        assertThat(vm.anyDirtyProperty().get()).isFalse();
    }

    @Test
    void revert_puts_the_stored_values_back() {
        type(Setting.CLEANUP_SIZE, "999");
        type(Setting.PURGE_PERCENTAGE, "150");

        vm.revert();

        assertThat(field(Setting.CLEANUP_SIZE).valueProperty().get()).isEqualTo("250");
        assertThat(field(Setting.PURGE_PERCENTAGE).valueProperty().get()).isEqualTo("12.5");
        assertThat(field(Setting.PURGE_PERCENTAGE).errorProperty().get()).isEmpty();
        assertThat(vm.anyDirtyProperty().get()).isFalse();
        assertThat(s.engine.settings().get(Setting.CLEANUP_SIZE)).isEqualTo("250");
    }

    @Test
    void restore_defaults_fills_the_defaults_and_saves_them_only_on_apply() {
        vm.restoreDefaults();

        for (Setting setting : Setting.values()) {
            assertThat(field(setting).valueProperty().get()).as(setting.key()).isEqualTo(setting.defaultValue());
        }
        assertThat(field(Setting.CLEANUP_SIZE).dirtyProperty().get()).isTrue();
        assertThat(field(Setting.PURGE_COUNT).dirtyProperty().get()).as("already the default").isFalse();
        assertThat(s.engine.settings().get(Setting.CLEANUP_SIZE)).isEqualTo("250");

        vm.apply();

        for (Setting setting : Setting.values()) {
            assertThat(s.engine.settings().get(setting)).as(setting.key()).isEqualTo(setting.defaultValue());
        }
    }

    @Test
    void a_value_changed_elsewhere_is_picked_up_without_overwriting_a_field_being_edited() throws Exception {
        type(Setting.CLEANUP_SIZE, "400");
        try (Engine other = s.openAgain()) {
            other.settings().apply(Map.of(Setting.CLEANUP_SIZE, "111", Setting.PURGE_COUNT, "777"));
        }

        vm.load();

        assertThat(field(Setting.PURGE_COUNT).valueProperty().get()).isEqualTo("777");
        assertThat(field(Setting.PURGE_COUNT).dirtyProperty().get()).isFalse();
        assertThat(field(Setting.CLEANUP_SIZE).valueProperty().get()).as("being edited").isEqualTo("400");
        assertThat(field(Setting.CLEANUP_SIZE).storedProperty().get()).isEqualTo("111");
        assertThat(field(Setting.CLEANUP_SIZE).dirtyProperty().get()).isTrue();
        vm.revert();
        assertThat(field(Setting.CLEANUP_SIZE).valueProperty().get()).isEqualTo("111");
    }

    @Test
    void read_only_can_not_apply_and_saves_nothing() throws Exception {
        try (Engine ro = Engine.open(s.root, new OpenOptions(s.clock, "console", false, false, true))) {
            SettingsViewModel readOnly = new SettingsViewModel(ro, new CurrentThreadTaskExecutor(), true);
            readOnly.load();
            readOnly.field(Setting.CLEANUP_SIZE).valueProperty().set("300");

            assertThat(readOnly.field(Setting.CLEANUP_SIZE).validProperty().get()).isTrue();
            assertThat(readOnly.canApplyProperty().get()).isFalse();
            readOnly.apply();

            assertThat(s.engine.settings().get(Setting.CLEANUP_SIZE)).isEqualTo("250");
        }
    }

    @Test
    void saved_clears_once_a_value_is_edited_again() {
        vm.field(Setting.CLEANUP_SIZE).valueProperty().set("150");
        vm.apply();
        assertThat(vm.messageProperty().get()).startsWith("Saved ");

        vm.field(Setting.CLEANUP_SIZE).valueProperty().set("160");

        assertThat(vm.messageProperty().get()).isEmpty();
    }
}
