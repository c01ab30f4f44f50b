package org.mstore.log;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.LogLevel;
import org.mstore.api.LogLine;
import org.mstore.api.OpenOptions;
import org.mstore.engine.Engine;
import org.mstore.store.ClassicStore;
import org.mstore.store.MailboxIndex;
import org.mstore.testing.SettableClock;

import static org.assertj.core.api.Assertions.assertThat;

/** SPEC §7: the default log, in the seed's format, at {@code <store>/log/default}. */
class StoreLogTest {
    static final long PID = ProcessHandle.current().pid();
    static final Pattern LINE = Pattern.compile(
            "\\[(\\d{2})/([A-Z][a-z]{2})/(\\d{4}):(\\d{2}):(\\d{2}):(\\d{2}) ([+-]\\d{4})] (\\S+) ([^\\s\\[]+)\\[(\\d+)]: (\\S+) (\\S+): (.*)");
    @TempDir
    Path tmp;

    private static Engine engine(Path root, SettableClock clock, String process) throws Exception {
        return Engine.init(root, new OpenOptions(clock, process, false, false));
    }

    private static List<String> lines(Path root) throws Exception {
        return Files.readAllLines(root.resolve("log").resolve("default"));
    }

    @Test
    void the_seeds_auto_repair_example_comes_out_line_for_line() throws Exception {
        // 25/Feb/2012 09:55:57 in +11:00, as in the seed
        SettableClock clock = new SettableClock(Instant.parse("2012-02-24T22:55:57Z"), ZoneOffset.ofHours(11));
        Path root = tmp.resolve("store");
        try (Engine imapd = engine(root, clock, "imapd")) {
            imapd.mailboxes().create("user/username", "primary");
            Files.delete(((org.mstore.classic.ClassicBackend) imapd.backend()).directory(imapd.mailboxes().get("user/username")).resolve(MailboxIndex.FILE));
            try {
                imapd.mailboxes().fetch("user/username", 1);
            } catch (java.io.IOException expected) {
                // the client gets the error
            }
            clock.advance(java.time.Duration.ofSeconds(1));
            imapd.daemon().drain();
        }
        List<String> lines = lines(root);
        String host = lines.get(0).split(" ")[2];
        assertThat(host).isNotBlank().doesNotContain(".");
        assertThat(lines).containsExactly(
                "[25/Feb/2012:09:55:57 +1100] " + host + " imapd[" + PID + "]: Store Critical: Unable to open mailbox user/username: Mailbox does not exist",
                "[25/Feb/2012:09:55:57 +1100] " + host + " imapd[" + PID + "]: Store Error: user/username: Mailbox has an invalid format; repair requested",
                "[25/Feb/2012:09:55:58 +1100] " + host + " impurge[" + PID + "]: General Notice: repairing user/username");
    }

    @Test
    void every_line_has_the_seeds_shape_and_the_time_of_the_engines_clock() throws Exception {
        SettableClock clock = new SettableClock(Instant.parse("2026-07-04T03:04:05Z"), ZoneId.of("America/New_York"));
        Path root = tmp.resolve("store");
        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.FRANCE); // month names stay English whatever the machine's locale
        try (Engine e = engine(root, clock, "console")) {
            e.log().log("imexpire", "Store", LogLevel.NOTICE, "user/a: expired 3 messages");
            clock.advance(java.time.Duration.ofDays(200));
            e.log().log("impurge", "General", LogLevel.WARNING, "two\nlines");
        } finally {
            Locale.setDefault(before);
        }
        List<String> lines = lines(root);
        assertThat(lines).hasSize(2).allMatch(l -> LINE.matcher(l).matches());
        assertThat(lines.get(0)).startsWith("[03/Jul/2026:23:04:05 -0400] ").endsWith(" imexpire[" + PID + "]: Store Notice: user/a: expired 3 messages");
        assertThat(lines.get(1)).startsWith("[19/Jan/2027:22:04:05 -0500] ").endsWith(" impurge[" + PID + "]: General Warning: two lines");
    }

    @Test
    void each_level_is_written_in_the_servers_words() {
        ZonedDateTime t = ZonedDateTime.of(2012, 2, 24, 14, 47, 15, 0, ZoneOffset.ofHours(11));
        assertThat(StoreLog.format(t, "hostname", "impurge", 17986, "General", LogLevel.ERROR,
                "Could not get purge session lock. Possibly another impurge is running"))
                .isEqualTo("[24/Feb/2012:14:47:15 +1100] hostname impurge[17986]: General Error: Could not get purge session lock. "
                        + "Possibly another impurge is running");
        for (LogLevel l : LogLevel.values()) {
            String line = StoreLog.format(t, "h", "p", 1, "Store", l, "m");
            assertThat(line).endsWith(": Store " + l.word() + ": m");
            LogLine parsed = LogLine.parse(line);
            assertThat(parsed.level()).isEqualTo(l);
            assertThat(parsed.category()).isEqualTo("Store");
            assertThat(parsed.process()).isEqualTo("p[1]");
            assertThat(parsed.message()).isEqualTo("m");
            assertThat(parsed.time()).isEqualTo("24/Feb/2012:14:47:15 +1100");
        }
        assertThat(LogLevel.values()).extracting(LogLevel::word)
                .containsExactly("Critical", "Error", "Warning", "Notice", "Information", "Debug");
    }

    @Test
    void the_log_of_one_store_does_not_reach_another() throws Exception {
        SettableClock clock = SettableClock.fixed();
        try (Engine a = engine(tmp.resolve("a"), clock, "test"); Engine b = engine(tmp.resolve("b"), clock, "test")) {
            a.log().log("test", "General", LogLevel.NOTICE, "for a");
            b.log().log("test", "General", LogLevel.NOTICE, "for b");
        }
        assertThat(lines(tmp.resolve("a"))).singleElement().satisfies(l -> assertThat(l).endsWith("for a"));
        assertThat(lines(tmp.resolve("b"))).singleElement().satisfies(l -> assertThat(l).endsWith("for b"));
    }
}
