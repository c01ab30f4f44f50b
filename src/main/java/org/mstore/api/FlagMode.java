package org.mstore.api;

/** How a flag change applies its flags: added to, removed from, or replacing the message's flags. */
public enum FlagMode {
    ADD, REMOVE, REPLACE;

    /** The flags a message ends with. */
    public int apply(int current, int flags) {
        return switch (this) {
            case ADD -> current | flags;
            case REMOVE -> current & ~flags;
            case REPLACE -> flags;
        } & Flags.ALL;
    }
}
