package org.mstore.console;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who holds the purge session lock (or runs an entry), in words: the lock file says {@code name[pid]}; the console
 * says which program that is, and whether it is this console.
 */
public final class Holders {
    private static final Pattern NAME_PID = Pattern.compile("([A-Za-z0-9_.-]+)\\[(\\d+)\\].*");

    private Holders() {
    }

    public static String describe(String holder) {
        return describe(holder, ProcessHandle.current().pid());
    }

    static String describe(String holder, long ownPid) {
        if (holder == null || holder.isBlank()) {
            return "another process";
        }
        Matcher m = NAME_PID.matcher(holder.strip());
        if (!m.matches()) {
            return holder.strip();
        }
        String name = m.group(1);
        long pid = Long.parseLong(m.group(2));
        if (pid == ownPid && name.equals("console")) {
            return "this console's impurge (pid " + pid + ")";
        }
        String what = switch (name) {
            case "console" -> "another mstore console";
            case "impurge" -> "a command-line impurge";
            case "simulate" -> "mstore simulate";
            case "imapd" -> "mstore imapd";
            case "lmtpd" -> "mstore lmtpd";
            default -> "mstore " + name;
        };
        return what + " (pid " + pid + ")";
    }
}
