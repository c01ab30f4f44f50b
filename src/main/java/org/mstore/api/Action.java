package org.mstore.api;

import java.util.Locale;

/** The maintenance tasks, with the classic store's queue each one lives in. */
public enum Action {
    CLEAN("Clean", "cleanup"),
    PURGE("Purge", "cleanup"),
    REPAIR("Repair", "repair"),
    REMOVE("Remove", "removal");

    private final String label;
    private final String queue;

    Action(String label, String queue) {
        this.label = label;
        this.queue = queue;
    }

    /** The name shown by {@code imcheck -q}: Clean, Purge, Repair, Remove. */
    public String label() {
        return label;
    }

    /** The classic store's queue: cleanup, repair or removal. */
    public String queue() {
        return queue;
    }

    public static Action fromLabel(String s) {
        for (Action a : values()) {
            if (a.label.equalsIgnoreCase(s.strip())) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown action '" + s + "'; use Clean, Purge, Repair or Remove");
    }

    @Override
    public String toString() {
        return label;
    }

    /** True for the classic store's cleanup step (Clean, Remove), which a store without one never queues. */
    public boolean cleanupStep() {
        return this == CLEAN || this == REMOVE;
    }

    public String lower() {
        return label.toLowerCase(Locale.ROOT);
    }
}
