package org.mstore.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** IMAP system flags as bits of an index record. */
public final class Flags {
    public static final int SEEN = 1;
    public static final int ANSWERED = 1 << 1;
    public static final int FLAGGED = 1 << 2;
    public static final int DELETED = 1 << 3;
    public static final int DRAFT = 1 << 4;
    public static final int ALL = SEEN | ANSWERED | FLAGGED | DELETED | DRAFT;

    private static final String[] NAMES = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};

    private Flags() {
    }

    public static boolean has(int flags, int flag) {
        return (flags & flag) != 0;
    }

    /** Flags in IMAP notation, e.g. {@code \Seen \Deleted}; empty for none. */
    public static String format(int flags) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            if ((flags & (1 << i)) != 0) {
                out.add(NAMES[i]);
            }
        }
        return String.join(" ", out);
    }

    /** Parses one flag name ({@code \Seen}, {@code seen}, ...). */
    public static int parse(String name) {
        String n = name.startsWith("\\") ? name.substring(1) : name;
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i].substring(1).equalsIgnoreCase(n)) {
                return 1 << i;
            }
        }
        throw new IllegalArgumentException("unknown flag '" + name + "'; known: " + String.join(" ", NAMES).toLowerCase(Locale.ROOT));
    }
}
