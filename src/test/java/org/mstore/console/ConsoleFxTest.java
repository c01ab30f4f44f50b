package org.mstore.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.QueueEntry;
import org.mstore.api.Setting;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;

import static org.assertj.core.api.Assertions.assertThat;

/** The console used as an administrator would, headless (Monocle), on a copy of the sample store. */
@ExtendWith(ApplicationExtension.class)
class ConsoleFxTest {
    static final String CORRUPT = "user/user0003/Drafts";

    @TempDir
    static Path tmp;
    ConsoleFixture console;
    Process otherImpurge;

    @Start
    void start(Stage stage) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "console");
        console = new ConsoleFixture(dir);
        console.start(stage, false);
    }

    @AfterEach
    void tearDown() {
        if (otherImpurge != null) {
            otherImpurge.destroyForcibly();
        }
        console.close();
    }

    private static void await(String what, BooleanSupplier condition) {
        try {
            WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, condition::getAsBoolean);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting until " + what);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void loaded(FxRobot robot) {
        await("the store is open", () -> console.session() != null);
        await("the queue is shown", () -> table(robot).getItems().size() > 0
                && table(robot).getItems().get(0).recno() > 0);
    }

    @SuppressWarnings("unchecked")
    private static TableView<QueueEntry> table(FxRobot robot) {
        return robot.lookup("#queueTable").queryAs(TableView.class);
    }

    private static List<QueueEntry> rows(FxRobot robot) {
        return List.copyOf(table(robot).getItems());
    }

    private static boolean queued(FxRobot robot, String mailbox, Action action) {
        return rows(robot).stream().anyMatch(e -> e.recno() > 0 && e.mailbox().equals(mailbox) && e.action() == action);
    }

    private void selectMailbox(FxRobot robot, String name) {
        ConsoleFixture.openTab(robot, "#tabMailboxes");
        robot.clickOn("#mailboxSearch").write(name);
        String leaf = name.substring(name.lastIndexOf('/') + 1);
        await("the tree shows " + name, () -> robot.lookup(".tree-cell").queryAll().stream()
                .anyMatch(n -> n instanceof javafx.scene.control.TreeCell<?> c && c.getText() != null && c.getText().startsWith(leaf + " ")));
        Node cell = robot.lookup(".tree-cell").queryAll().stream()
                .filter(n -> n instanceof javafx.scene.control.TreeCell<?> c && c.getText() != null && c.getText().startsWith(leaf + " "))
                .findFirst().orElseThrow();
        robot.clickOn(cell);
        await(name + " is selected", () -> robot.lookup("#mailboxTitle").queryAs(Label.class).getText().equals(name));
    }

    @Test
    void queueing_a_repair_of_the_corrupt_sample_mailbox_puts_it_in_the_queue_table(FxRobot robot) {
        loaded(robot);
        assertThat(queued(robot, CORRUPT, Action.REPAIR)).isFalse();
        selectMailbox(robot, CORRUPT);
        queueRepair(robot);
        ConsoleFixture.openTab(robot, "#tabQueue");
        await("Repair of " + CORRUPT + " appears in the table", () -> queued(robot, CORRUPT, Action.REPAIR));
        assertThat(robot.lookup("#showRepair").queryAs(ToggleButton.class).getText()).isEqualTo("Repair  1");
    }

    @Test
    @SuppressWarnings("unchecked")
    void restore_selected_brings_an_expunged_message_back_under_a_new_uid(FxRobot robot) throws Exception {
        loaded(robot);
        String box = "user/zed";
        console.engine().mailboxes().create(box);
        console.engine().mailboxes().append(box, org.mstore.testing.TestStore.news(List.of(
                org.mstore.testing.TestStore.message("Keep me", "one\r\n"),
                org.mstore.testing.TestStore.message("Bring me back", "two\r\n")), System.currentTimeMillis(), 0));
        console.engine().mailboxes().setDeleted(box, org.mstore.api.UidSet.parse("2"), true);
        console.engine().mailboxes().expunge(box);
        selectMailbox(robot, box);
        robot.interact(() -> robot.lookup("#mailboxDetailsScroll").queryAs(javafx.scene.control.ScrollPane.class).setVvalue(1));

        robot.clickOn("#listExpunged");
        TableView<org.mstore.api.ExpungedMessage> expunged = robot.lookup("#expungedTable").queryAs(TableView.class);
        await("the expunged message is listed", () -> expunged.getItems().size() == 1);
        assertThat(expunged.getItems().get(0).subject()).isEqualTo("Bring me back");
        robot.interact(() -> expunged.getSelectionModel().select(0));
        robot.clickOn("#restoreExpunged");

        Label message = robot.lookup("#mailboxMessage").queryAs(Label.class);
        await("the restore is reported", () -> message.getText().equals("Restored 1 message of user/zed: UID 2 -> 3"));
        assertThat(new String(console.engine().mailboxes().fetch(box, 3))).contains("Bring me back");
        await("the list says it was recovered", () -> expunged.getItems().size() == 1 && expunged.getItems().get(0).recoveredAs() == 3);
    }

    private void queueRepair(FxRobot robot) {
        console.engine().daemon().stop(); // the console starts impurge (store.purge.enable): the entry would not wait
        robot.clickOn("#queueLater");
        robot.clickOn("#queueRepair");
    }

    @Test
    void repair_now_outside_the_off_peak_window_runs_at_once_and_shows_the_outcome(FxRobot robot) {
        loaded(robot);
        java.time.LocalTime now = java.time.LocalTime.now();
        console.engine().settings().set(Setting.PURGE_WINDOW, now.plusHours(3).withMinute(0).withSecond(0).withNano(0) + "-"
                + now.plusHours(4).withMinute(0).withSecond(0).withNano(0));
        selectMailbox(robot, CORRUPT);

        robot.clickOn("#repairNow");

        Label message = robot.lookup("#mailboxMessage").queryAs(Label.class);
        await("the outcome shows", () -> message.getText().startsWith("Repair " + CORRUPT + ": done in "));
        assertThat(message.getText()).contains("reclaimed");
        await("the last repair time changes", () -> !robot.lookup("#mbLastRepair").queryAs(Label.class).getText().equals("never"));
        assertThat(console.engine().queue().find(CORRUPT, Action.REPAIR)).isEmpty();
    }

    @Test
    void run_now_on_a_selected_queue_entry_runs_it_at_once_and_shows_the_outcome(FxRobot robot) {
        loaded(robot);
        console.engine().daemon().stop();
        QueueEntry first = rows(robot).get(0);
        robot.clickOn(robot.lookup(".table-row-cell").nth(0).queryAs(Node.class));
        robot.clickOn("#runNow");

        Label message = robot.lookup("#queueMessage").queryAs(Label.class);
        await("the outcome shows", () -> message.getText().startsWith(first.action().label() + " " + first.mailbox() + ": "));
        assertThat(message.getText()).contains(" in ");
        await("the entry leaves the table", () -> rows(robot).stream().noneMatch(e -> e.recno() == first.recno()));
    }

    @Test
    void a_parked_entry_is_in_the_failed_list_and_retry_brings_it_back_to_the_queue(FxRobot robot) {
        loaded(robot);
        console.engine().daemon().stop();
        QueueEntry first = rows(robot).get(0);
        Parking.park(console.engine(), first.recno(), "cannot delete 3.msg");
        await("it leaves the queue table", () -> rows(robot).stream().noneMatch(e -> e.recno() == first.recno()));

        ConsoleFixture.openTab(robot, "#tabHistory");
        ConsoleFixture.openTab(robot, "#tabFailed");
        @SuppressWarnings("unchecked")
        TableView<QueueEntry> failed = robot.lookup("#failedTable").queryAs(TableView.class);
        await("it is in the Failed list", () -> failed.getItems().stream().anyMatch(e -> e.recno() == first.recno()));
        robot.clickOn(robot.lookup("#failedTable .table-row-cell").nth(0).queryAs(Node.class));
        robot.clickOn("#retryFailed");

        await("the Failed list is empty", () -> failed.getItems().isEmpty());
        ConsoleFixture.openTab(robot, "#tabQueue");
        await("it is back in the queue table", () -> rows(robot).stream().anyMatch(e -> e.recno() == first.recno()
                && e.state() == QueueEntry.State.WAITING));
        assertThat(console.engine().queue().get(first.recno()).orElseThrow().attempts()).isZero();
    }

    @Test
    void starting_the_daemon_runs_the_repair_and_the_last_repair_time_changes(FxRobot robot) {
        loaded(robot);
        selectMailbox(robot, CORRUPT);
        assertThat(robot.lookup("#mbLastRepair").queryAs(Label.class).getText()).isEqualTo("never");
        queueRepair(robot);
        ConsoleFixture.openTab(robot, "#tabQueue");
        await("Repair queued", () -> queued(robot, CORRUPT, Action.REPAIR));

        ConsoleFixture.openTab(robot, "#tabDaemon");
        robot.clickOn("#startDaemon");
        ConsoleFixture.openTab(robot, "#tabQueue");
        await("the Repair entry goes", () -> !queued(robot, CORRUPT, Action.REPAIR));
        ConsoleFixture.openTab(robot, "#tabMailboxes");
        await("the last repair time changes", () -> !robot.lookup("#mbLastRepair").queryAs(Label.class).getText().equals("never"));
        assertThat(console.engine().mailboxes().get(CORRUPT).lastRepair()).isNotNull();
    }

    @Test
    void pausing_purge_keeps_its_entries_waiting_while_the_daemon_runs_the_repair(FxRobot robot) {
        loaded(robot);
        ConsoleFixture.openTab(robot, "#tabDaemon");
        robot.clickOn("#pauseAction-Purge");
        Label state = robot.lookup("#actionState-Purge").queryAs(Label.class);
        await("Purge shows as paused", () -> "paused".equals(state.getText()));
        assertThat(robot.lookup("#pauseAction-Purge").queryAs(Button.class).getText()).isEqualTo("Resume");
        assertThat(console.engine().settings().get(Setting.PURGE_PAUSED)).isEqualTo("Purge");
        long purge = console.engine().queue().request(CORRUPT, Action.PURGE).recno();
        long repair = console.engine().queue().request(CORRUPT, Action.REPAIR).recno();

        robot.clickOn("#startDaemon");
        await("the Repair runs", () -> console.engine().queue().get(repair).isEmpty());
        assertThat(console.engine().queue().get(purge)).isPresent(); // waits while paused

        robot.clickOn("#pauseAction-Purge");
        await("Purge shows as running", () -> "running".equals(state.getText()));
        await("the Purge runs once resumed", () -> console.engine().queue().get(purge).isEmpty());
    }

    @Test
    void typing_150_into_purge_percentage_is_refused_and_nothing_is_saved(FxRobot robot) {
        loaded(robot);
        ConsoleFixture.openTab(robot, "#tabSettings");
        TextField field = robot.lookup(n -> "field-store.purge.percentage".equals(n.getId())).queryAs(TextField.class);
        robot.doubleClickOn(field).eraseText(field.getText().length()).write("150");
        Label error = robot.lookup(n -> "error-store.purge.percentage".equals(n.getId())).queryAs(Label.class);
        await("the error shows", error::isVisible);
        assertThat(error.getText()).contains("store.purge.percentage").contains("150").contains("0 to 100");
        assertThat(field.getStyleClass()).contains("invalid");
        Button apply = robot.lookup("#applySettings").queryAs(Button.class);
        assertThat(apply.isDisabled()).isTrue();
        robot.clickOn(field).type(KeyCode.ENTER);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(console.engine().settings().get(Setting.PURGE_PERCENTAGE)).isEqualTo("5");

        robot.doubleClickOn(field).eraseText(field.getText().length()).write("12.5");
        await("the error clears", () -> !error.isVisible());
        robot.clickOn(apply);
        await("12.5 is saved", () -> "12.5".equals(console.engine().settings().get(Setting.PURGE_PERCENTAGE)));
    }

    @Test
    void starting_the_daemon_while_another_process_holds_the_session_lock_shows_the_seeds_error(FxRobot robot) throws Exception {
        loaded(robot);
        otherImpurge = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "org.mstore.cli.Main", "impurge", "--store", console.store.toString())
                .redirectErrorStream(true).redirectOutput(console.store.resolveSibling("impurge.out").toFile()).start();
        await("the other impurge holds the lock", () -> org.mstore.purge.SessionLock.holder(console.store)
                .filter(h -> h.contains("[" + otherImpurge.pid() + "]")).isPresent());
        ConsoleFixture.openTab(robot, "#tabDaemon");
        robot.clickOn("#startDaemon");
        Label error = robot.lookup("#daemonError").queryAs(Label.class);
        await("the error shows", error::isVisible);
        assertThat(error.getText()).contains("General Error: Could not get purge session lock. Possibly another impurge is running");
        assertThat(console.engine().daemon().running()).isFalse();
        assertThat(Files.readString(console.engine().log().file()))
                .contains("General Error: Could not get purge session lock. Possibly another impurge is running");
    }

    @Test
    void filtering_the_table_by_mailbox_text_and_by_action(FxRobot robot) {
        loaded(robot);
        int all = table(robot).getItems().size();
        assertThat(all).isGreaterThanOrEqualTo(3);
        robot.clickOn("#queueFilter").write("user0002");
        await("only user0002's entries are shown", () -> table(robot).getItems().size() == 1
                && table(robot).getItems().get(0).mailbox().equals("user/user0002/Lists"));
        robot.doubleClickOn("#queueFilter").eraseText(8);
        await("all entries are back", () -> table(robot).getItems().size() == all);
        robot.clickOn("#showClean");
        await("Clean entries are hidden", () -> rows(robot).stream().noneMatch(e -> e.action() == Action.CLEAN)
                && table(robot).getItems().size() == all - 1);
    }

    @Test
    void a_filter_that_matches_nothing_says_so_instead_of_calling_the_queue_empty(FxRobot robot) {
        loaded(robot);
        robot.clickOn("#queueFilter").write("no-such-mailbox");
        await("the filter leaves no row", () -> table(robot).getItems().isEmpty());
        assertThat(((Label) table(robot).getPlaceholder()).getText()).isEqualTo("No entry matches the filter");
    }

    @Test
    void ctrl_f_focuses_the_queue_filter(FxRobot robot) {
        loaded(robot);
        robot.clickOn("#queueTable");
        robot.press(KeyCode.CONTROL).press(KeyCode.F).release(KeyCode.F).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#queueFilter").queryAs(TextField.class).isFocused()).isTrue();
    }

    @Test
    void ctrl_and_a_digit_selects_the_tab_in_that_place(FxRobot robot) {
        loaded(robot);
        javafx.scene.control.TabPane tabs = robot.lookup("#mainTabs").queryAs(javafx.scene.control.TabPane.class);
        KeyCode[] digits = {KeyCode.DIGIT1, KeyCode.DIGIT2, KeyCode.DIGIT3, KeyCode.DIGIT4, KeyCode.DIGIT5, KeyCode.DIGIT6, KeyCode.DIGIT7,
            KeyCode.DIGIT8};
        assertThat(tabs.getTabs()).hasSize(digits.length);
        for (int i = digits.length - 1; i >= 0; i--) {
            robot.press(KeyCode.CONTROL).press(digits[i]).release(digits[i]).release(KeyCode.CONTROL);
            WaitForAsyncUtils.waitForFxEvents();
            assertThat(tabs.getSelectionModel().getSelectedIndex()).as("Ctrl+%d", i + 1).isEqualTo(i);
        }
    }

    @Test
    void hold_still_keeps_the_rows_where_they_are_while_entries_come(FxRobot robot) {
        loaded(robot);
        console.engine().daemon().stop();
        robot.clickOn("#pauseQueue");
        List<QueueEntry> before = rows(robot);

        console.engine().queue().requestAll(List.of(new org.mstore.api.QueueRequest("user/aaa-new", Action.CLEAN, 0, false)));
        console.engine().pollChanges();
        WaitForAsyncUtils.waitForFxEvents();
        await("the new entry is counted", () -> console.session().queue().totalProperty().get() == before.size() + 1);

        assertThat(rows(robot)).isEqualTo(before);
        robot.clickOn("#pauseQueue");
        await("resuming shows it", () -> rows(robot).stream().anyMatch(e -> e.mailbox().equals("user/aaa-new")));
    }

    @Test
    void a_bulk_remove_over_a_filter_of_1000_entries_removes_exactly_those(FxRobot robot) {
        loaded(robot);
        console.engine().daemon().stop();
        List<org.mstore.api.QueueRequest> bulk = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            bulk.add(new org.mstore.api.QueueRequest(String.format("user/bulk%04d", i), Action.values()[i % 4], 0, false));
        }
        console.engine().queue().requestAll(bulk);
        long others = console.engine().queue().count() - 1000;
        robot.clickOn("#queueFilter").write("user/bulk").type(KeyCode.ENTER);
        await("the filter matches 1,000", () -> console.session().queue().rows().totalProperty().get() == 1000);

        robot.clickOn("#bulkMenu");
        robot.clickOn("#removeAllMatching");
        await("the confirmation says how many", () -> robot.lookup(".dialog-pane .content").tryQuery().isPresent());
        assertThat(robot.lookup(".dialog-pane .content").queryLabeled().getText()).startsWith("Remove all 1,000 matching entries");
        robot.clickOn(robot.lookup(".dialog-pane .button").match((Node n) -> n instanceof Button b && b.getText().equals("OK"))
                .queryButton());

        await("they are gone", () -> console.engine().queue().count(org.mstore.api.QueueQuery.all().withMailboxText("user/bulk")) == 0);
        assertThat(console.engine().queue().count()).isEqualTo(others);
        await("the table is empty", () -> rows(robot).isEmpty());
    }

    @Test
    void check_all_finds_a_mailbox_corrupted_on_disk_and_queues_one_repair(FxRobot robot) throws IOException {
        loaded(robot);
        console.engine().daemon().stop(); // the console starts impurge: the Repair would run at once
        String box = "user/user0001/Sent";
        Path idx;
        try (java.util.stream.Stream<Path> w = Files.walk(console.store)) {
            idx = w.filter(p -> p.endsWith(Path.of("=user0001", "folders", "Sent", "store.idx"))).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(idx);
        b[b.length - 7] ^= (byte) 0xff; // a byte of the last record: its checksum no longer matches
        Files.write(idx, b);
        java.util.function.LongSupplier repairsOfBox = () -> console.engine().queue().page(org.mstore.api.QueueQuery.all(), 0, 10_000)
                .stream().filter(e -> e.action() == Action.REPAIR && e.mailbox().equals(box)).count();
        assertThat(repairsOfBox.getAsLong()).isZero();

        robot.clickOn("#tabMailboxes");
        robot.clickOn("#checkAll");
        Label message = robot.lookup("#checkAllMessage").queryAs(Label.class);
        await("Check all has finished", () -> message.getText().startsWith("Checked ") && !console.session().health().checkingProperty().get());

        @SuppressWarnings("unchecked")
        javafx.scene.control.ListView<org.mstore.api.CheckReport> found = robot.lookup("#checkAllFindings").queryAs(javafx.scene.control.ListView.class);
        assertThat(found.getItems()).extracting(org.mstore.api.CheckReport::mailbox).contains(box);
        assertThat(repairsOfBox.getAsLong()).isEqualTo(1);
        assertThat(message.getText()).contains(found.getItems().size() + (found.getItems().size() == 1 ? " mailbox" : " mailboxes") + " with problems");
        await("the status bar counts the problems", () -> robot.lookup("#statusProblems").queryAs(Label.class).getText()
                .startsWith(found.getItems().size() + (found.getItems().size() == 1 ? " mailbox" : " mailboxes") + " with problems"));
        javafx.scene.control.Tab tab = robot.lookup("#mainTabs").queryAs(javafx.scene.control.TabPane.class).getTabs().stream()
                .filter(t -> "tabMailboxes".equals(t.getId())).findFirst().orElseThrow();
        assertThat(tab.getText()).isEqualTo("Mailboxes  " + found.getItems().size());

        robot.clickOn("#checkAll"); // again: still one Repair for the mailbox
        await("the second Check all has finished", () -> message.getText().startsWith("Checked ") && !console.session().health().checkingProperty().get());
        assertThat(repairsOfBox.getAsLong()).isEqualTo(1);
    }

    @Test
    void a_long_mailbox_figure_wraps_onto_more_lines_instead_of_being_cut_off(FxRobot robot) {
        loaded(robot);
        robot.interact(() -> {
            console.window.getScene().getWindow().setWidth(900);
            console.window.showMailbox("user/user0002/Lists");
        });
        Label waiting = robot.lookup("#mbReclaimable").queryAs(Label.class);
        await("the figure is read", () -> waiting.getText().length() > 60);
        WaitForAsyncUtils.waitForFxEvents();
        // what the label draws: the whole text, on more than one line, never ending in an ellipsis
        javafx.scene.text.Text drawn = (javafx.scene.text.Text) waiting.lookup(".text");
        assertThat(drawn.getText()).isEqualTo(waiting.getText());
        assertThat(waiting.getHeight()).isGreaterThan(1.5 * waiting.getFont().getSize() * 1.2);
    }

    @Test
    void the_views_not_shown_yet_are_built_while_the_console_sits_idle(FxRobot robot) {
        loaded(robot);
        javafx.scene.control.TabPane tabs = robot.lookup("#mainTabs").queryAs(javafx.scene.control.TabPane.class);
        // nothing touched after the open: one view after the other is built, the Dashboard (the last tab) too
        await("every view built", () -> tabs.getTabs().stream().allMatch(t -> t.getContent() != null));
        assertThat(tabs.getSelectionModel().getSelectedItem().getId()).isEqualTo("tabQueue");
        assertThat(tabs.getTabs().get(tabs.getTabs().size() - 1).getContent()).isInstanceOf(org.mstore.console.dashboard.DashboardView.class);
    }

    @Test
    void the_expunged_share_bar_is_shown_only_for_a_selected_mailbox(FxRobot robot) {
        loaded(robot);
        ConsoleFixture.openTab(robot, "#tabMailboxes");
        ProgressBar bar = robot.lookup("#mbShareBar").queryAs(ProgressBar.class);
        assertThat(bar.isVisible()).as("no mailbox selected").isFalse();
        robot.interact(() -> console.window.showMailbox("user/user0002/Lists"));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(bar.isVisible()).as("user/user0002/Lists selected").isTrue();
    }

    @Test
    void a_long_outcome_in_the_queue_footer_leaves_the_row_count_and_go_to_row_whole(FxRobot robot) {
        loaded(robot);
        robot.interact(() -> console.session().queue().messageProperty().set("Remove user/user0004/Trash: done in 529 ms;"
                + " 278.3 KB reclaimed (removed 110 message files (284965 bytes) from store.exp.20261129160314)"));
        WaitForAsyncUtils.waitForFxEvents();
        Label where = robot.lookup("#pageLabel").queryAs(Label.class);
        javafx.scene.text.Text drawn = (javafx.scene.text.Text) where.lookup(".text");
        assertThat(drawn.getText()).isEqualTo(where.getText());
        TextField go = robot.lookup("#goToRow").queryAs(TextField.class);
        assertThat(go.getWidth()).isGreaterThanOrEqualTo(go.prefWidth(-1));
        Label message = robot.lookup("#queueMessage").queryAs(Label.class);
        assertThat(((javafx.scene.text.Text) message.lookup(".text")).getText()).endsWith("...");
    }

    @Test
    void a_six_digit_count_is_shown_whole_in_its_action_toggle(FxRobot robot) {
        loaded(robot);
        robot.interact(() -> {
            for (Action a : Action.values()) {
                console.session().queue().countProperty(a).set(999_999);
            }
        });
        WaitForAsyncUtils.waitForFxEvents();
        for (Action a : Action.values()) {
            ToggleButton t = robot.lookup("#show" + a.label()).queryAs(ToggleButton.class);
            assertThat(t.isSelected()).isTrue(); // bold, as an admin sees them
            assertThat(((javafx.scene.text.Text) t.lookup(".text")).getText()).as(a.label()).isEqualTo(a.label() + "  999,999");
        }
    }

    @Test
    void following_the_log_shows_its_newest_line_whole_above_the_horizontal_scroll_bar(FxRobot robot) {
        loaded(robot);
        for (int i = 1; i <= 60; i++) {
            console.engine().log("Store", org.mstore.api.LogLevel.NOTICE, "user/user0002/Lists: line " + i + " of a long run of lines,"
                    + " each longer than the window is wide, so that the list needs its horizontal scroll bar as well" + (i == 60 ? " (the newest)" : ""));
        }
        ConsoleFixture.openTab(robot, "#tabLog");
        @SuppressWarnings("unchecked")
        javafx.scene.control.ListView<org.mstore.api.LogLine> list = robot.lookup("#logList").queryAs(javafx.scene.control.ListView.class);
        await("the newest line is read", () -> {
            robot.interact(() -> console.session().log().poll());
            return !list.getItems().isEmpty() && list.getItems().get(list.getItems().size() - 1).raw().endsWith("(the newest)");
        });
        WaitForAsyncUtils.waitForFxEvents();
        assertTheNewestLogLineIsWholeAboveTheHorizontalScrollBar(robot, list);
    }

    @Test
    void following_the_log_shows_its_newest_line_whole_when_a_long_line_brings_the_horizontal_scroll_bar(FxRobot robot) {
        loaded(robot);
        ConsoleFixture.openTab(robot, "#tabLog");
        @SuppressWarnings("unchecked")
        javafx.scene.control.ListView<org.mstore.api.LogLine> list = robot.lookup("#logList").queryAs(javafx.scene.control.ListView.class);
        for (int i = 1; i <= 60; i++) {
            console.engine().log("Store", org.mstore.api.LogLevel.NOTICE, "short line " + i);
        }
        await("the short lines are read", () -> {
            robot.interact(() -> console.session().log().poll());
            return !list.getItems().isEmpty() && list.getItems().get(list.getItems().size() - 1).raw().endsWith("short line 60");
        });
        WaitForAsyncUtils.waitForFxEvents();
        javafx.scene.control.ScrollBar hbar = horizontalScrollBar(robot);
        assertThat(hbar.isVisible()).as("the scroll bar before a line is wider than the list").isFalse();
        console.engine().log("Store", org.mstore.api.LogLevel.NOTICE, "user/user0002/Lists: a line longer than the window is wide,"
                + " so that the list needs its horizontal scroll bar from now on, in the layout after the one that scrolled to it (the newest)");
        await("the long line is read", () -> {
            robot.interact(() -> console.session().log().poll());
            return list.getItems().get(list.getItems().size() - 1).raw().endsWith("(the newest)");
        });
        WaitForAsyncUtils.waitForFxEvents();
        assertTheNewestLogLineIsWholeAboveTheHorizontalScrollBar(robot, list);
    }

    private static javafx.scene.control.ScrollBar horizontalScrollBar(FxRobot robot) {
        return robot.lookup("#logList .scroll-bar").queryAll().stream()
                .map(n -> (javafx.scene.control.ScrollBar) n)
                .filter(b -> b.getOrientation() == javafx.geometry.Orientation.HORIZONTAL).findFirst().orElseThrow();
    }

    private static void assertTheNewestLogLineIsWholeAboveTheHorizontalScrollBar(FxRobot robot,
            javafx.scene.control.ListView<org.mstore.api.LogLine> list) {
        int last = list.getItems().size() - 1;
        javafx.scene.control.ScrollBar hbar = horizontalScrollBar(robot);
        assertThat(hbar.isVisible()).isTrue();
        Node cell = robot.lookup("#logList .list-cell").queryAll().stream()
                .filter(n -> n instanceof javafx.scene.control.ListCell<?> c && c.getIndex() == last && c.isVisible())
                .findFirst().orElseThrow(() -> new AssertionError("the newest line has no cell: it is not shown"));
        double cellBottom = list.sceneToLocal(cell.localToScene(cell.getBoundsInLocal())).getMaxY();
        double barTop = list.sceneToLocal(hbar.localToScene(hbar.getBoundsInLocal())).getMinY();
        assertThat(cellBottom).as("the newest line's bottom against the scroll bar's top").isLessThanOrEqualTo(barTop + 0.5);
    }

    @Test
    void double_clicking_a_log_line_about_a_mailbox_selects_that_mailbox(FxRobot robot) {
        loaded(robot);
        String box = "user/user0002/Trash";
        console.engine().log("Store", org.mstore.api.LogLevel.ERROR, box + ": Mailbox has an invalid format; repair requested");
        robot.clickOn("#tabLog");
        @SuppressWarnings("unchecked")
        javafx.scene.control.ListView<org.mstore.api.LogLine> list = robot.lookup("#logList").queryAs(javafx.scene.control.ListView.class);
        await("the line is shown", () -> {
            robot.interact(() -> console.session().log().poll());
            return list.getItems().stream().anyMatch(l -> l.raw().contains(box + ": Mailbox has"));
        });
        int at = -1;
        for (int i = 0; i < list.getItems().size(); i++) {
            if (list.getItems().get(i).raw().contains(box + ": Mailbox has")) {
                at = i;
            }
        }
        int row = at;
        robot.interact(() -> {
            list.scrollTo(row);
            list.getSelectionModel().select(row);
        });
        Node cell = robot.lookup("#logList .list-cell").queryAll().stream()
                .filter(n -> n instanceof javafx.scene.control.ListCell<?> c && c.getIndex() == row).findFirst().orElseThrow();
        robot.doubleClickOn(cell);

        await(box + " is selected", () -> robot.lookup("#mailboxTitle").tryQuery().isPresent()
                && robot.lookup("#mailboxTitle").queryAs(Label.class).getText().equals(box));
    }

    @Test
    void the_dashboard_shows_the_stores_disk_and_impurges_reserve(FxRobot robot) {
        loaded(robot);
        ConsoleFixture.openTab(robot, "#tabDashboard");
        await("the disk's line is shown", () -> robot.lookup("#dashDisk").tryQuery().isPresent()
                && robot.lookup("#dashDisk").queryAs(Label.class).isVisible()
                && robot.lookup("#dashDisk").queryAs(Label.class).getText().startsWith("The store's disk: "));
        assertThat(robot.lookup("#dashDisk").queryAs(Label.class).getText()).contains(" free of ").contains("impurge's reserve of ");
    }

    @Test
    void one_task_finished_in_the_last_hour_is_said_in_the_singular_on_the_dashboard(FxRobot robot) {
        loaded(robot);
        console.engine().daemon().stop();
        QueueEntry first = rows(robot).get(0);
        robot.clickOn(robot.lookup(".table-row-cell").nth(0).queryAs(Node.class));
        robot.clickOn("#runNow");
        await("the entry leaves the table", () -> rows(robot).stream().noneMatch(e -> e.recno() == first.recno()));
        ConsoleFixture.openTab(robot, "#tabDashboard");
        await("the dashboard counts it", () -> robot.lookup("#dashDone").tryQuery().isPresent()
                && !robot.lookup("#dashDone").queryAs(Label.class).getText().startsWith("0 "));
        assertThat(robot.lookup("#dashDone").queryAs(Label.class).getText()).isEqualTo("1 task finished");
    }

    @Test
    void older_is_disabled_in_the_done_list_once_every_entry_is_shown(FxRobot robot) {
        loaded(robot);
        ConsoleFixture.openTab(robot, "#tabHistory");
        ConsoleFixture.openTab(robot, "#tabDone");
        TableView<?> done = robot.lookup("#historyDone").queryAs(TableView.class);
        await("the done list is read", () -> !done.getItems().isEmpty());
        long count = console.engine().queue().historyCount(org.mstore.console.history.HistoryViewModel.DONE);
        assertThat((long) done.getItems().size()).isEqualTo(count); // the sample's few: all of them on the first page
        assertThat(robot.lookup("#historyDoneMore").queryAs(Button.class).isDisabled()).isTrue();
    }

    @Test
    void the_depth_chart_stacks_the_actions_so_one_at_zero_hides_no_other(FxRobot robot) {
        loaded(robot);
        ConsoleFixture.openTab(robot, "#tabDashboard");
        await("the depth chart is shown", () -> robot.lookup("#depthChart").tryQuery().isPresent());
        // four lines at 0 lay on each other and only the last drawn showed; stacked, an empty action adds nothing
        assertThat((Object) robot.lookup("#depthChart").query()).isInstanceOf(javafx.scene.chart.StackedAreaChart.class);
        assertThat(robot.lookup("#depthChart").<javafx.scene.chart.StackedAreaChart<Number, Number>>query().getData())
                .extracting(javafx.scene.chart.XYChart.Series::getName).containsExactly("Clean", "Purge", "Repair", "Remove");
    }
}
