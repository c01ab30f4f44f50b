package org.mstore.expire;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mstore.api.Action;
import org.mstore.api.ExpireReport;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.QueueEntry;
import org.mstore.api.RuleFileException;
import org.mstore.api.Setting;
import org.mstore.store.ExpungeFile;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxIndex;
import org.mstore.testing.TestStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SPEC §3 step 2 and §8: imexpire's rule files and what each rule expires. */
class ExpireRulesTest {
    static final String BOX = "user/alice";
    static final long DAY = Duration.ofDays(1).toMillis();
    @TempDir
    Path tmp;
    TestStore s;
    Instant t0;

    @BeforeEach
    void setUp() throws Exception {
        s = TestStore.create(tmp);
        s.mailbox(BOX);
        t0 = s.clock.instant();
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private Path ruleFile(String text) throws Exception {
        Path f = tmp.resolve("expire.rules");
        Files.writeString(f, text);
        return f;
    }

    private void assertRuleFileError(String text, int line, String message) throws Exception {
        Path f = ruleFile(text);
        assertThatThrownBy(() -> RuleFile.read(f)).isInstanceOf(RuleFileException.class).hasMessage(f + ":" + line + ": " + message);
    }

    @Test
    void a_rule_file_that_is_a_directory_is_refused_naming_it() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("rules.d"));
        assertThatThrownBy(() -> RuleFile.read(d)).isInstanceOf(RuleFileException.class)
                .hasMessage(d + ": cannot read the rule file: it is a directory");
    }

    private static List<ExpireRule> rules(String text) {
        return RuleFile.parse("test.rules", text);
    }

    /** Appends one message of about {@code bodyBytes} bytes that arrived {@code daysAgo} days before the clock's now. */
    private int append(String box, double daysAgo, int bodyBytes, int flags) throws Exception {
        long date = s.clock.millis() - (long) (daysAgo * DAY);
        byte[] m = TestStore.message("aged " + daysAgo + " size " + bodyBytes + " flags " + flags + " #" + System.nanoTime(), "x".repeat(bodyBytes));
        return s.engine.mailboxes().append(box, TestStore.news(List.of(m), date, flags)).uids()[0];
    }

    private List<Integer> uids(String box) throws Exception {
        return s.engine.mailboxes().messages(box, 0, 1000).stream().map(m -> m.record().uid()).toList();
    }

    private List<Integer> expire(String ruleText) throws Exception {
        new Expirer(s.engine.mailboxService()).run(rules(ruleText), false);
        return uids(BOX);
    }

    // ---------------------------------------------------------------- the rule file

    @Test
    void rule_file_errors_name_the_file_and_line() throws Exception {
        assertRuleFileError("# trash\nTrash.folderpattern: user/*/Trash\nTrash.colour: red\n", 3,
                "unknown attribute 'colour'; known: folderpattern, messagedays, messagecount, foldersize, messagesize, deleted, seen, exclusive, regexp");
        assertRuleFileError("T.folderpattern: user/*\nT.messagedays: ten\n", 2, "messagedays must be a whole number: 'ten'");
        assertRuleFileError("T.folderpattern: user/*\n\nT.messagecount: -3\n", 3, "messagecount must not be negative: '-3'");
        assertRuleFileError("T.folderpattern: user/*\nT.seen: maybe\n", 2, "seen must be 'and' or 'or': 'maybe'");
        assertRuleFileError("T.folderpattern: user/*\nT.exclusive: sometimes\nT.messagedays: 1\n", 2, "exclusive must be 1 or 0: 'sometimes'");
        assertRuleFileError("\n\nT.messagedays: 7\nT.seen: and\n", 3, "rule T has no folderpattern");
        assertRuleFileError("T.folderpattern: user/*\nT.messagedays: 7\nT.messagedays: 8\n", 3, "rule T sets messagedays twice (first on line 2)");
        assertRuleFileError("T.folderpattern: user/(\nT.regexp: 1\nT.messagedays: 7\n", 1, "bad regular expression: Unclosed group");
        assertRuleFileError("T.folderpattern: user/*\nthis is not a rule\n", 2, "expected 'rule.attribute: value', got 'this is not a rule'");
        assertRuleFileError("T.folderpattern: user/*\n", 1,
                "rule T has no criterion (messagedays, messagecount, foldersize, messagesize, seen or deleted)");
        assertRuleFileError("T.folderpattern: /etc/*\nT.messagedays: 1\n", 1, "folderpattern must start with user/");
        assertRuleFileError("T.folderpattern:\n", 1, "folderpattern has no value");
        Path missing = tmp.resolve("none.rules");
        assertThatThrownBy(() -> RuleFile.read(missing)).isInstanceOf(RuleFileException.class).hasMessage(missing + ": no such rule file");
    }

    @Test
    void a_rule_file_gives_one_rule_per_name_with_its_attributes() throws Exception {
        List<ExpireRule> r = RuleFile.read(ruleFile("""
                # comments and blank lines are ignored

                Trash.folderpattern: user/*/Trash
                Trash.messagedays: 7
                Trash.deleted: or
                Big.folderpattern: user/.*
                Big.regexp: 1
                Big.messagesize: 10000000
                Big.exclusive: 1
                folderpattern: user/%
                messagecount: 1000
                seen: and
                """));
        assertThat(r).extracting(ExpireRule::name, ExpireRule::line).containsExactly(
                org.assertj.core.groups.Tuple.tuple("Trash", 3), org.assertj.core.groups.Tuple.tuple("Big", 6),
                org.assertj.core.groups.Tuple.tuple("default", 10));
        assertThat(r.get(0).messageDays()).isEqualTo(7);
        assertThat(r.get(0).deleted()).isEqualTo(ExpireRule.FlagMode.OR);
        assertThat(r.get(1).messageSize()).isEqualTo(10_000_000);
        assertThat(r.get(1).exclusive()).isTrue();
        assertThat(r.get(2).messageCount()).isEqualTo(1000);
        assertThat(r.get(2).seen()).isEqualTo(ExpireRule.FlagMode.AND);
    }

    @Test
    void folderpattern_is_an_imap_pattern_unless_regexp_is_set() {
        ExpireRule star = rules("T.folderpattern: user/*/Trash\nT.messagedays: 1").get(0);
        assertThat(star.appliesTo("user/alice/Trash")).isTrue();
        assertThat(star.appliesTo("user/alice/Old/Trash")).isTrue(); // * crosses levels
        assertThat(star.appliesTo("user/alice/Trashcan")).isFalse();
        assertThat(star.appliesTo("user/alice")).isFalse();
        ExpireRule percent = rules("T.folderpattern: user/%/Trash\nT.messagedays: 1").get(0);
        assertThat(percent.appliesTo("user/alice/Trash")).isTrue();
        assertThat(percent.appliesTo("user/alice/Old/Trash")).isFalse(); // % stays within one level
        ExpireRule literal = rules("T.folderpattern: user/a.b/(Sent)+\nT.messagedays: 1").get(0);
        assertThat(literal.appliesTo("user/a.b/(Sent)+")).isTrue(); // no regular-expression meaning
        assertThat(literal.appliesTo("user/axb/SentSent")).isFalse();
        ExpireRule regexp = rules("T.folderpattern: user/[ab].*/(Sent)+\nT.regexp: 1\nT.messagedays: 1").get(0);
        assertThat(regexp.appliesTo("user/alice/SentSent")).isTrue();
        assertThat(regexp.appliesTo("user/bob/Sent")).isTrue();
        assertThat(regexp.appliesTo("user/carol/Sent")).isFalse();
    }

    // ---------------------------------------------------------------- what each rule expires

    @Test
    void messagedays_expires_messages_older_than_that_many_days() throws Exception {
        int old1 = append(BOX, 30, 10, 0);
        int old2 = append(BOX, 7.5, 10, 0);
        int edge = append(BOX, 7, 10, 0); // exactly 7 days: not older
        int fresh = append(BOX, 1, 10, 0);
        assertThat(expire("T.folderpattern: user/alice\nT.messagedays: 7")).containsExactly(edge, fresh);
        assertThat(old1).isLessThan(old2);
    }

    @Test
    void messagecount_keeps_that_many_messages_expiring_the_oldest_first() throws Exception {
        int a = append(BOX, 2, 10, 0);
        int b = append(BOX, 9, 10, 0); // the oldest, though not the lowest UID
        int c = append(BOX, 1, 10, 0);
        int d = append(BOX, 5, 10, 0);
        int e = append(BOX, 0, 10, 0);
        assertThat(expire("T.folderpattern: user/alice\nT.messagecount: 3")).containsExactly(a, c, e);
        assertThat(List.of(b, d)).doesNotContainAnyElementsOf(uids(BOX));
    }

    @Test
    void foldersize_expires_the_oldest_messages_until_the_folder_fits() throws Exception {
        int a = append(BOX, 4, 1000, 0);
        int b = append(BOX, 3, 1000, 0);
        int c = append(BOX, 2, 1000, 0);
        int d = append(BOX, 1, 1000, 0);
        long each = s.engine.mailboxes().messages(BOX, 0, 10).get(0).record().size();
        // room for two and a half messages: the two oldest go
        assertThat(expire("T.folderpattern: user/alice\nT.foldersize: " + (each * 5 / 2))).containsExactly(c, d);
        assertThat(List.of(a, b)).doesNotContainAnyElementsOf(uids(BOX));
    }

    @Test
    void messagesize_expires_messages_larger_than_that() throws Exception {
        int small = append(BOX, 1, 100, 0);
        int big = append(BOX, 1, 5000, 0);
        int medium = append(BOX, 1, 1000, 0);
        long mediumSize = s.engine.mailboxes().messages(BOX, 0, 10).get(2).record().size();
        assertThat(expire("T.folderpattern: user/alice\nT.messagesize: " + mediumSize)).containsExactly(small, medium);
        assertThat(big).isGreaterThan(small);
    }

    @Test
    void seen_and_expires_only_seen_messages_that_pass_a_limit() throws Exception {
        int oldSeen = append(BOX, 10, 10, Flags.SEEN);
        int oldUnseen = append(BOX, 10, 10, 0);
        int newSeen = append(BOX, 1, 10, Flags.SEEN);
        assertThat(expire("T.folderpattern: user/alice\nT.messagedays: 5\nT.seen: and")).containsExactly(oldUnseen, newSeen);
        assertThat(oldSeen).isLessThan(oldUnseen);
    }

    @Test
    void seen_or_expires_seen_messages_whatever_the_limits() throws Exception {
        int oldSeen = append(BOX, 10, 10, Flags.SEEN);
        int oldUnseen = append(BOX, 10, 10, 0);
        int newSeen = append(BOX, 1, 10, Flags.SEEN);
        int newUnseen = append(BOX, 1, 10, 0);
        assertThat(expire("T.folderpattern: user/alice\nT.messagedays: 5\nT.seen: or")).containsExactly(newUnseen);
        assertThat(List.of(oldSeen, oldUnseen, newSeen)).doesNotContainAnyElementsOf(uids(BOX));
    }

    @Test
    void deleted_and_alone_expires_every_deleted_message_and_with_a_limit_only_those_past_it() throws Exception {
        int oldDeleted = append(BOX, 10, 10, Flags.DELETED);
        int newDeleted = append(BOX, 1, 10, Flags.DELETED);
        int oldKept = append(BOX, 10, 10, 0);
        assertThat(expire("T.folderpattern: user/alice\nT.messagedays: 5\nT.deleted: and")).containsExactly(newDeleted, oldKept);
        assertThat(expire("T.folderpattern: user/alice\nT.deleted: and")).containsExactly(oldKept);
        assertThat(oldDeleted).isLessThan(newDeleted);
    }

    @Test
    void deleted_or_expires_deleted_messages_whatever_the_limits() throws Exception {
        int newDeleted = append(BOX, 1, 10, Flags.DELETED);
        int oldKept = append(BOX, 10, 10, 0);
        int newKept = append(BOX, 1, 10, 0);
        assertThat(expire("T.folderpattern: user/alice\nT.messagedays: 5\nT.deleted: or")).containsExactly(newKept);
        assertThat(List.of(newDeleted, oldKept)).doesNotContainAnyElementsOf(uids(BOX));
    }

    @Test
    void an_exclusive_rule_is_the_only_rule_for_the_folders_it_matches() throws Exception {
        s.mailbox("user/alice/Archive");
        for (int i = 0; i < 4; i++) {
            append("user/alice/Archive", 10 + i, 10, 0);
            append(BOX, 10 + i, 10, 0);
        }
        List<ExpireRule> r = rules("""
                All.folderpattern: user/*
                All.messagecount: 1
                Archive.folderpattern: user/*/Archive
                Archive.messagedays: 365
                Archive.exclusive: 1
                """);
        assertThat(Expirer.applicable(r, "user/alice/Archive")).extracting(ExpireRule::name).containsExactly("Archive");
        assertThat(Expirer.applicable(r, BOX)).extracting(ExpireRule::name).containsExactly("All");
        List<ExpireReport.Result> results = new Expirer(s.engine.mailboxService()).run(r, false);
        assertThat(results).extracting(ExpireReport.Result::mailbox, ExpireReport.Result::messages)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(BOX, 3));
        assertThat(uids("user/alice/Archive")).hasSize(4);
        assertThat(uids(BOX)).hasSize(1);
    }

    @Test
    void a_trial_run_reports_what_would_expire_and_changes_nothing() throws Exception {
        for (int i = 0; i < 6; i++) {
            append(BOX, 10, 50, 0);
        }
        Path dir = s.dir(BOX);
        byte[] idx = Files.readAllBytes(dir.resolve(MailboxIndex.FILE));
        var info = s.info(BOX);
        List<String> log = s.logLines();
        List<ExpireReport.Result> r = new Expirer(s.engine.mailboxService()).run(rules("T.folderpattern: user/*\nT.messagedays: 5"), true);
        assertThat(r).extracting(ExpireReport.Result::mailbox, ExpireReport.Result::messages, ExpireReport.Result::rules)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(BOX, 6, List.of("T")));
        assertThat(r.get(0).bytes()).isEqualTo(info.sizeBytes());
        assertThat(Files.readAllBytes(dir.resolve(MailboxIndex.FILE))).isEqualTo(idx);
        assertThat(dir.resolve(ExpungeFile.FILE)).doesNotExist();
        assertThat(s.info(BOX)).isEqualTo(info);
        assertThat(s.queue()).isEmpty();
        assertThat(s.logLines()).isEqualTo(log);
    }

    @Test
    void a_real_run_expunges_grows_expunged_and_can_enqueue_clean() throws Exception {
        s.engine.settings().set(Setting.CLEANUP_SIZE, "3");
        for (int i = 0; i < 8; i++) {
            append(BOX, 8 - i, 50, 0);
        }
        List<ExpireReport.Result> r = new Expirer(s.engine.mailboxService()).run(rules("Keep2.folderpattern: user/alice\nKeep2.messagecount: 2"), false);
        assertThat(r).extracting(ExpireReport.Result::messages).containsExactly(6);
        assertThat(uids(BOX)).containsExactly(7, 8);
        assertThat(s.info(BOX).expunged()).isEqualTo(6);
        assertThat(s.info(BOX).lastExpunge()).isEqualTo(s.clock.instant());
        assertThat(ExpungeFile.read(s.dir(BOX).resolve(ExpungeFile.FILE))).extracting(ExpungeFile.Entry::uid).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(Mailbox.messageFile(s.dir(BOX), 1)).exists(); // the files wait for Clean and Remove
        assertThat(s.queue()).extracting(QueueEntry::mailbox, QueueEntry::action).containsExactly(org.assertj.core.groups.Tuple.tuple(BOX, Action.CLEAN));
        assertThat(s.logLines()).anySatisfy(l -> assertThat(l).contains(" imexpire[")
                .endsWith("Store Notice: user/alice: expired 6 messages (" + r.get(0).bytes() + " bytes) by rule Keep2"));
    }

    @Test
    void a_corrupt_mailbox_is_reported_and_skipped_and_the_others_are_still_expired() throws Exception {
        s.mailbox("user/bob");
        s.append(BOX, 3);
        s.append("user/bob", 3);
        org.mstore.testing.Disk.flipByte(s.dir(BOX).resolve(MailboxIndex.FILE), 70);
        List<ExpireReport.Result> results = new Expirer(s.engine.mailboxService()).run(rules("All.folderpattern: user/*\nAll.messagecount: 1"), false);
        assertThat(results).filteredOn(ExpireReport.Result::failed).extracting(ExpireReport.Result::mailbox).containsExactly(BOX);
        assertThat(results).filteredOn(r -> !r.failed()).extracting(ExpireReport.Result::mailbox, ExpireReport.Result::messages)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("user/bob", 2));
        assertThat(s.engine.queue().find(BOX, Action.REPAIR)).isPresent();
    }
}
