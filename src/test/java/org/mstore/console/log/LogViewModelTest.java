package org.mstore.console.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.LogLevel;
import org.mstore.api.LogLine;
import org.mstore.console.CurrentThreadTaskExecutor;
import org.mstore.log.StoreLog;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;

/** The live default log on a real store's log file: follow, parse, filter, cap. */
class LogViewModelTest {
    @TempDir
    Path tmp;
    TestStore s;
    Path file;
    LogViewModel vm;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        file = s.engine.log().file();
        vm = new LogViewModel(file, new CurrentThreadTaskExecutor());
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private void log(LogLevel level, String message) {
        s.engine.log().log("imapd", "Store", level, message);
    }

    private void appendRaw(byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private void appendRaw(String text) throws IOException {
        appendRaw(text.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> messages(List<LogLine> lines) {
        return lines.stream().map(LogLine::message).toList();
    }

    @Test
    void poll_reads_each_new_line_once() {
        log(LogLevel.NOTICE, "one");
        log(LogLevel.NOTICE, "two");
        vm.poll();
        vm.poll();
        assertThat(messages(vm.lines())).containsExactly("one", "two");

        log(LogLevel.NOTICE, "three");
        vm.poll();
        vm.poll();

        assertThat(messages(vm.lines())).containsExactly("one", "two", "three");
    }

    @Test
    void a_missing_log_reads_as_empty_until_it_appears() {
        vm.poll();
        assertThat(vm.lines()).isEmpty();

        log(LogLevel.ERROR, "first");
        vm.poll();

        assertThat(messages(vm.lines())).containsExactly("first");
    }

    @Test
    void lines_are_parsed_with_their_level_and_other_text_keeps_no_level() throws Exception {
        log(LogLevel.CRITICAL, "Unable to open mailbox user/alice: Mailbox does not exist");
        log(LogLevel.DEBUG, "details");
        appendRaw("not a log line\n");
        vm.poll();

        assertThat(vm.lines()).extracting(LogLine::level).containsExactly(LogLevel.CRITICAL, LogLevel.DEBUG, null);
        LogLine first = vm.lines().get(0);
        assertThat(first.process()).startsWith("imapd[");
        assertThat(first.category()).isEqualTo("Store");
        assertThat(first.message()).isEqualTo("Unable to open mailbox user/alice: Mailbox does not exist");
        assertThat(vm.lines().get(2).message()).isEqualTo("not a log line");
    }

    @Test
    void the_minimum_level_shows_that_level_and_the_more_severe_ones() {
        for (LogLevel l : LogLevel.values()) {
            log(l, l.word() + " line");
        }
        vm.poll();

        vm.minimumLevelProperty().set(LogLevel.WARNING);
        assertThat(vm.visible()).extracting(LogLine::level).containsExactly(LogLevel.CRITICAL, LogLevel.ERROR, LogLevel.WARNING);

        log(LogLevel.ERROR, "later error");
        log(LogLevel.INFORMATION, "later information");
        vm.poll();
        assertThat(messages(vm.visible())).containsExactly("Critical line", "Error line", "Warning line", "later error");

        vm.minimumLevelProperty().set(null);
        assertThat(vm.visible()).hasSize(8);
    }

    @Test
    void the_text_filter_keeps_lines_containing_it_in_any_case() {
        log(LogLevel.NOTICE, "repairing user/alice");
        log(LogLevel.NOTICE, "purging user/bob");
        log(LogLevel.ERROR, "user/ALICE: Mailbox has an invalid format; repair requested");
        vm.poll();

        vm.textProperty().set(" Alice ");
        assertThat(messages(vm.visible())).containsExactly("repairing user/alice", "user/ALICE: Mailbox has an invalid format; repair requested");

        vm.minimumLevelProperty().set(LogLevel.ERROR);
        assertThat(messages(vm.visible())).containsExactly("user/ALICE: Mailbox has an invalid format; repair requested");
    }

    @Test
    void a_partial_line_is_completed_on_the_next_poll() throws Exception {
        appendRaw("[02/Mar/2026:10:00:00 +0000] host imapd[1]: Store Notice: half");
        vm.poll();
        assertThat(vm.lines()).isEmpty();

        appendRaw(" and the rest\n");
        vm.poll();

        assertThat(messages(vm.lines())).containsExactly("half and the rest");
        assertThat(vm.lines().get(0).level()).isEqualTo(LogLevel.NOTICE);
    }

    @Test
    void a_character_cut_between_two_polls_reads_back_whole() throws Exception {
        byte[] line = "[02/Mar/2026:10:00:00 +0000] host imapd[1]: Store Notice: café user/zoë\n".getBytes(StandardCharsets.UTF_8);
        int cut = new String(line, StandardCharsets.UTF_8).indexOf('é') + 1; // inside the two bytes of 'é'
        appendRaw(Arrays.copyOfRange(line, 0, cut));
        vm.poll();
        appendRaw(Arrays.copyOfRange(line, cut, line.length));
        vm.poll();

        assertThat(messages(vm.lines())).containsExactly("café user/zoë");
    }

    @Test
    void the_list_keeps_the_newest_max_lines() throws Exception {
        StringBuilder sb = new StringBuilder();
        int n = LogViewModel.MAX_LINES + 500;
        for (int i = 1; i <= n; i++) {
            sb.append("line ").append(i).append('\n');
        }
        appendRaw(sb.toString());
        vm.poll();
        log(LogLevel.NOTICE, "newest");
        vm.poll();

        assertThat(vm.lines()).hasSize(LogViewModel.MAX_LINES);
        assertThat(vm.lines().get(0).raw()).isEqualTo("line 502");
        assertThat(vm.lines().get(LogViewModel.MAX_LINES - 1).message()).isEqualTo("newest");
    }

    @Test
    void the_first_look_at_a_big_log_reads_whole_lines_from_its_tail() throws Exception {
        StringBuilder sb = new StringBuilder();
        int n = 20_000; // about 1.2 MB
        for (int i = 1; i <= n; i++) {
            sb.append(String.format("[02/Mar/2026:10:00:00 +0000] host imapd[1]: Store Notice: message %06d%n", i));
        }
        appendRaw(sb.toString());

        vm.poll();

        assertThat(vm.lines().size()).isBetween(1000, n - 1);
        assertThat(vm.lines()).allSatisfy(l -> assertThat(l.level()).isEqualTo(LogLevel.NOTICE));
        assertThat(vm.lines().get(vm.lines().size() - 1).message()).isEqualTo(String.format("message %06d", n));
    }
}
