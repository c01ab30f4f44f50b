package org.mstore.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.InvalidSettingException;
import org.mstore.api.PurgeWindow;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.mstore.engine.Engine;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/** SPEC §6: the store.* settings — the seed's defaults, validation, persistence, no restart. */
class StoreSettingsTest {
    @TempDir
    Path tmp;
    TestStore s;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private StoreSettings settings() {
        return (StoreSettings) s.engine.backend().settings();
    }

    private long settingChanges() {
        return ((org.mstore.classic.ClassicBackend) s.engine.backend()).database().read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM change_log WHERE kind = 'setting'")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** Asserts that {@code value} is refused for {@code setting} with a message naming the option and its range; nothing saved. */
    private void assertRefused(Setting setting, String value, String why) {
        Map<Setting, String> before = settings().all();
        long changes = settingChanges();
        assertThatThrownBy(() -> settings().set(setting, value)).isInstanceOf(InvalidSettingException.class)
                .hasMessage(setting.key() + ": '" + value + "' " + why + "; allowed: " + setting.allowed());
        assertThat(settings().all()).isEqualTo(before);
        assertThat(settings().explicit()).doesNotContainKey(setting);
        assertThat(settingChanges()).isEqualTo(changes);
    }

    @Test
    void defaults_come_from_the_seed() {
        assertThat(settings().all()).containsExactly(entry(Setting.CLEANUP_SIZE, "100"), entry(Setting.CLEANUP_AGE, "1h"),
                entry(Setting.PURGE_COUNT, "500"), entry(Setting.PURGE_PERCENTAGE, "5"), entry(Setting.PURGE_ENABLE, "true"),
                entry(Setting.PURGE_WINDOW, ""), entry(Setting.PURGE_EXIT_WHEN_EMPTY, "false"), entry(Setting.PURGE_PAUSED, ""),
                entry(Setting.MESSAGE_MAX_SIZE, "50M"),
                entry(Setting.IMAP_IMMEDIATE_FLAG_UPDATE, "false"));
        org.mstore.api.SettingsSnapshot d = settings().snapshot();
        assertThat(d.cleanupSize()).isEqualTo(100);
        assertThat(d.cleanupAge()).isEqualTo(Duration.ofHours(1));
        assertThat(d.purgeCount()).isEqualTo(500);
        assertThat(d.purgePercentage()).isEqualTo(5.0);
        assertThat(d.purgeEnable()).isTrue();
        assertThat(d.window()).isEmpty();
        assertThat(d.exitWhenEmpty()).isFalse();
        assertThat(d.paused()).isEmpty();
        assertThat(settings().explicit()).isEmpty();
    }

    @Test
    void paused_actions_are_stored_in_one_order_and_an_unknown_action_is_refused() {
        assertRefused(Setting.PURGE_PAUSED, "Purge,Expunge", "names an unknown action 'Expunge'");
        assertThat(settings().set(Setting.PURGE_PAUSED, " remove,PURGE , purge")).isEqualTo("Purge,Remove");
        assertThat(settings().snapshot().paused()).containsExactly(org.mstore.api.Action.PURGE, org.mstore.api.Action.REMOVE);
    }

    @Test
    void a_negative_value_is_refused_naming_the_option_and_the_allowed_range() {
        assertRefused(Setting.CLEANUP_SIZE, "-1", "is negative");
        assertRefused(Setting.PURGE_COUNT, "-500", "is negative");
        assertRefused(Setting.CLEANUP_AGE, "-1h", "is negative");
        assertRefused(Setting.PURGE_PERCENTAGE, "-0.5", "is out of range");
        assertThat(Setting.CLEANUP_SIZE.allowed()).isEqualTo("a whole number from 0 to 1000000000");
        assertThat(Setting.PURGE_PERCENTAGE.allowed()).isEqualTo("a number from 0 to 100");
    }

    @Test
    void a_non_numeric_value_is_refused_naming_the_option_and_the_allowed_range() {
        assertRefused(Setting.CLEANUP_SIZE, "lots", "is not a whole number");
        assertRefused(Setting.CLEANUP_SIZE, "1.5", "is not a whole number");
        assertRefused(Setting.PURGE_COUNT, "", "is not a whole number");
        assertRefused(Setting.PURGE_PERCENTAGE, "five", "is not a number");
        assertRefused(Setting.CLEANUP_AGE, "soon", "is not a duration");
        assertRefused(Setting.CLEANUP_AGE, "1h-5m", "is not a duration");
        assertRefused(Setting.PURGE_ENABLE, "maybe", "is not true or false");
        assertRefused(Setting.PURGE_EXIT_WHEN_EMPTY, "2", "is not true or false");
        assertRefused(Setting.MESSAGE_MAX_SIZE, "3G", "is too large");
        assertRefused(Setting.MESSAGE_MAX_SIZE, "12X", "is not a size");
    }

    @Test
    void a_value_above_the_range_is_refused() {
        assertRefused(Setting.PURGE_PERCENTAGE, "100.5", "is out of range");
        assertRefused(Setting.PURGE_PERCENTAGE, "101", "is out of range");
        assertRefused(Setting.CLEANUP_SIZE, "1000000001", "is too large");
        assertRefused(Setting.CLEANUP_AGE, "366d", "is too large");
        assertThat(settings().set(Setting.PURGE_PERCENTAGE, "100")).isEqualTo("100");
        assertThat(settings().set(Setting.PURGE_PERCENTAGE, "0")).isEqualTo("0");
    }

    @Test
    void an_unparsable_window_is_refused_naming_the_option_and_the_allowed_form() {
        assertRefused(Setting.PURGE_WINDOW, "01:00", "is not a window");
        assertRefused(Setting.PURGE_WINDOW, "1-5", "is not a window");
        assertRefused(Setting.PURGE_WINDOW, "night", "is not a window");
        assertRefused(Setting.PURGE_WINDOW, "01:00-05:00-07:00", "is not a window");
        assertRefused(Setting.PURGE_WINDOW, "25:00-03:00", "has an impossible time");
        assertRefused(Setting.PURGE_WINDOW, "01:60-03:00", "has an impossible time");
        assertRefused(Setting.PURGE_WINDOW, "02:00-02:00", "starts and ends at the same time");
        assertThat(settings().set(Setting.PURGE_WINDOW, "1:00-5:00")).isEqualTo("01:00-05:00");
        assertThat(settings().snapshot().window()).contains(new PurgeWindow(LocalTime.of(1, 0), LocalTime.of(5, 0)));
        assertThat(settings().set(Setting.PURGE_WINDOW, "")).isEmpty();
        assertThat(settings().snapshot().window()).isEqualTo(Optional.empty());
    }

    @Test
    void one_bad_value_in_a_batch_saves_none_of_it() {
        long changes = settingChanges();
        Map<Setting, String> batch = new EnumMap<>(Setting.class);
        batch.put(Setting.CLEANUP_SIZE, "10");
        batch.put(Setting.CLEANUP_AGE, "5m");
        batch.put(Setting.PURGE_PERCENTAGE, "150");
        assertThatThrownBy(() -> settings().setAll(batch)).isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("store.purge.percentage: '150'");
        assertThat(settings().explicit()).isEmpty();
        assertThat(settings().get(Setting.CLEANUP_SIZE)).isEqualTo("100");
        assertThat(settingChanges()).isEqualTo(changes);
        batch.put(Setting.PURGE_PERCENTAGE, "7.5");
        assertThat(settings().setAll(batch)).containsEntry(Setting.PURGE_PERCENTAGE, "7.5");
        assertThat(settings().explicit()).containsOnlyKeys(Setting.CLEANUP_SIZE, Setting.CLEANUP_AGE, Setting.PURGE_PERCENTAGE);
    }

    @Test
    void an_unknown_option_is_refused_naming_the_known_ones() {
        assertThatThrownBy(() -> Setting.byKey("store.cleanup.size")).isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("unknown option 'store.cleanup.size'; known options: store.cleanupsize, store.cleanupage");
    }

    @Test
    void accepted_values_are_saved_in_their_canonical_form_and_persist_in_the_store() throws Exception {
        assertThat(settings().set(Setting.CLEANUP_AGE, "90m")).isEqualTo("1h30m");
        assertThat(settings().set(Setting.CLEANUP_AGE, "2")).isEqualTo("2h"); // a bare number is hours
        assertThat(settings().set(Setting.CLEANUP_SIZE, " 250 ")).isEqualTo("250");
        assertThat(settings().set(Setting.PURGE_PERCENTAGE, "12.50%")).isEqualTo("12.5");
        assertThat(settings().set(Setting.PURGE_ENABLE, "no")).isEqualTo("false");
        assertThat(settings().set(Setting.MESSAGE_MAX_SIZE, "2048k")).isEqualTo("2M");
        assertThat(settings().set(Setting.MESSAGE_MAX_SIZE, "1536K")).isEqualTo("1536K");
        s.engine.close();
        try (Engine again = s.openAgain()) {
            assertThat(again.settings().snapshot().cleanupAge()).isEqualTo(Duration.ofHours(2));
            assertThat(again.settings().get(Setting.CLEANUP_SIZE)).isEqualTo("250");
            assertThat(again.settings().snapshot().purgePercentage()).isEqualTo(12.5);
            assertThat(again.settings().snapshot().purgeEnable()).isFalse();
            again.settings().reset(java.util.List.of(Setting.CLEANUP_SIZE));
            assertThat(again.settings().get(Setting.CLEANUP_SIZE)).isEqualTo("100");
        }
    }

    @Test
    void a_value_set_through_one_engine_is_seen_by_another_without_a_restart() throws Exception {
        s.mailbox("user/alice");
        s.append("user/alice", 8);
        try (Engine msconfig = s.openAgain()) {
            msconfig.settings().set(Setting.CLEANUP_SIZE, "5");
            assertThat(s.engine.settings().snapshot().cleanupSize()).isEqualTo(5);
            s.expunge("user/alice", "1:6"); // through the first engine: 6 exceeds the new 5
            assertThat(s.queue()).extracting(QueueEntry::action).containsExactly(Action.CLEAN);
            msconfig.settings().set(Setting.CLEANUP_SIZE, "6");
            assertThat(s.engine.daemon().drain()).extracting(r -> r.outcome().name()).containsExactly("SKIPPED");
        }
    }
}
