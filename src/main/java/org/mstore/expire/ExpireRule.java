package org.mstore.expire;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.mstore.api.MessageRecord;

/**
 * One expiration rule of a rule file (SPEC §8, after the messaging server's {@code store.expirerule}).
 *
 * <p>A message expires when it matches an "or" flag ({@code seen: or}, {@code deleted: or}), or when it
 * has every "and" flag and passes any of the limits ({@code messagedays}, {@code messagecount},
 * {@code foldersize}, {@code messagesize}). A rule with "and" flags and no limit expires every message with
 * those flags. {@code messagecount} and {@code foldersize} expire the oldest messages first.
 */
public record ExpireRule(String name, int line, Pattern folderPattern, String folderPatternText, Long messageDays,
                         Long messageCount, Long folderSize, Long messageSize, FlagMode seen, FlagMode deleted,
                         boolean exclusive) {

    /** How a flag criterion combines with the others. */
    public enum FlagMode { NONE, AND, OR }

    public boolean appliesTo(String mailbox) {
        return folderPattern.matcher(mailbox).matches();
    }

    private boolean hasLimit() {
        return messageDays != null || messageCount != null || folderSize != null || messageSize != null;
    }

    /** The UIDs of {@code records} (a mailbox's live messages) that this rule expires at {@code now}. */
    public Set<Integer> select(List<MessageRecord> records, long now) {
        Set<Integer> out = new HashSet<>();
        Set<Integer> overLimit = new HashSet<>();
        if (messageCount != null && records.size() > messageCount) {
            List<MessageRecord> byAge = new ArrayList<>(records);
            byAge.sort(Comparator.comparingLong(MessageRecord::internalDate).thenComparingInt(MessageRecord::uid));
            for (int i = 0; i < records.size() - messageCount; i++) {
                overLimit.add(byAge.get(i).uid());
            }
        }
        if (folderSize != null) {
            long total = records.stream().mapToLong(MessageRecord::size).sum();
            if (total > folderSize) {
                List<MessageRecord> byAge = new ArrayList<>(records);
                byAge.sort(Comparator.comparingLong(MessageRecord::internalDate).thenComparingInt(MessageRecord::uid));
                for (MessageRecord r : byAge) {
                    if (total <= folderSize) {
                        break;
                    }
                    overLimit.add(r.uid());
                    total -= r.size();
                }
            }
        }
        long dayMs = 86_400_000L;
        for (MessageRecord r : records) {
            boolean orFlag = (seen == FlagMode.OR && r.seen()) || (deleted == FlagMode.OR && r.deleted());
            boolean andFlags = (seen != FlagMode.AND || r.seen()) && (deleted != FlagMode.AND || r.deleted());
            boolean limit;
            if (hasLimit()) {
                limit = overLimit.contains(r.uid())
                        || (messageDays != null && now - r.internalDate() > messageDays * dayMs)
                        || (messageSize != null && r.size() > messageSize);
            } else {
                limit = seen == FlagMode.AND || deleted == FlagMode.AND;
            }
            if (orFlag || (andFlags && limit)) {
                out.add(r.uid());
            }
        }
        return out;
    }
}
