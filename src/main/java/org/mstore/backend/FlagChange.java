package org.mstore.backend;

import java.util.List;

import org.mstore.api.MessageRecord;

/**
 * What a flag change did: the messages whose flags it changed, as they were ({@code before}) and as they are now
 * ({@code after}), in the same order. The handle read the old flags to change them; handing them back spares the
 * caller a second read of the same records when it must put them back (a change the database refuses to record).
 */
public record FlagChange(List<MessageRecord> before, List<MessageRecord> after) {
    public static final FlagChange NONE = new FlagChange(List.of(), List.of());

    public FlagChange {
        if (before.size() != after.size()) {
            throw new IllegalArgumentException("a flag change has " + before.size() + " records before and " + after.size() + " after");
        }
        before = List.copyOf(before);
        after = List.copyOf(after);
    }

    public boolean isEmpty() {
        return after.isEmpty();
    }
}
