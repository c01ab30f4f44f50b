package org.mstore.expire;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.mstore.api.ExpireReport;
import org.mstore.api.ExpungeResult;
import org.mstore.api.LogLevel;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MessageRecord;
import org.mstore.backend.MailboxHandle;
import org.mstore.mailbox.MailboxService;

/**
 * imexpire: applies rules to every mailbox they match. Expired messages leave the mailbox exactly as an expunge does
 * (the Expunged count grows, the next maintenance step is queued past {@code store.cleanupsize}). A trial run
 * ({@code -n}) reports what would expire and changes nothing.
 */
public final class Expirer {
    private final MailboxService mailboxes;

    public Expirer(MailboxService mailboxes) {
        this.mailboxes = mailboxes;
    }

    /** The rules that apply to a mailbox: the last matching exclusive rule alone, or every matching rule. */
    public static List<ExpireRule> applicable(List<ExpireRule> rules, String mailbox) {
        ExpireRule exclusive = null;
        List<ExpireRule> all = new ArrayList<>();
        for (ExpireRule r : rules) {
            if (r.appliesTo(mailbox)) {
                all.add(r);
                if (r.exclusive()) {
                    exclusive = r;
                }
            }
        }
        return exclusive != null ? List.of(exclusive) : all;
    }

    public List<ExpireReport.Result> run(List<ExpireRule> rules, boolean dryRun) throws IOException {
        List<ExpireReport.Result> out = new ArrayList<>();
        long now = mailboxes.context().now();
        for (MailboxInfo info : mailboxes.context().mboxlist().list()) {
            List<ExpireRule> apply = applicable(rules, info.name());
            if (apply.isEmpty()) {
                continue;
            }
            try {
                expire(info, apply, now, dryRun).ifPresent(out::add);
            } catch (MailboxFormatException e) {
                // a corrupt mailbox has a Repair queued (and logged); the others are still expired
                out.add(new ExpireReport.Result(info.name(), apply.stream().map(ExpireRule::name).toList(), 0, 0, e.getMessage()));
            }
        }
        return out;
    }

    private Optional<ExpireReport.Result> expire(MailboxInfo info, List<ExpireRule> apply, long now, boolean dryRun) throws IOException {
        Set<Integer> uids = new HashSet<>();
        long bytes = 0;
        try (MailboxHandle mb = mailboxes.open(info.name())) {
            List<MessageRecord> records = mb.records();
            for (ExpireRule r : apply) {
                uids.addAll(r.select(records, now));
            }
            for (MessageRecord r : records) {
                if (uids.contains(r.uid())) {
                    bytes += r.size();
                }
            }
        }
        List<String> names = apply.stream().map(ExpireRule::name).toList();
        if (uids.isEmpty()) {
            return Optional.empty();
        }
        if (dryRun) {
            return Optional.of(new ExpireReport.Result(info.name(), names, uids.size(), bytes, null));
        }
        ExpungeResult r = mailboxes.expunge(info.name(), rec -> uids.contains(rec.uid()));
        mailboxes.context().log().log("imexpire", "Store", LogLevel.NOTICE,
                info.name() + ": expired " + r.messages() + " messages (" + r.bytes() + " bytes) by rule " + String.join(", ", names));
        return Optional.of(new ExpireReport.Result(info.name(), names, r.messages(), r.bytes(), null));
    }
}
