package org.mstore.api;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The {@code store.*} options (SPEC §6) and the protocol servers' {@code imap.*} options: name, default, help text, and the parser that both validates
 * and normalises a value. Every accepted value has one canonical text form, which is what is stored.
 */
public enum Setting {
    CLEANUP_SIZE("store.cleanupsize", "100",
            "Expunged count above which the mailbox is queued for Clean (renaming store.exp, queueing its files for Remove).",
            "a whole number from 0 to 1000000000") {
        @Override
        String canonical(String v) {
            return Long.toString(parseLong(this, v, 0, 1_000_000_000L));
        }
    },
    CLEANUP_AGE("store.cleanupage", "1h",
            "Grace period between a Clean and the removal of the obsolete message files (clients may still hold an old view). "
                    + "A duration such as 1h, 30m, 45s, 2d or 1h30m; a bare number is hours.",
            "a duration from 0s to 365d, e.g. 1h, 30m, 1h30m") {
        @Override
        String canonical(String v) {
            return Durations.format(Durations.parse(this, v));
        }
    },
    PURGE_COUNT("store.purge.count", "500",
            "Expunged cache records above which the mailbox is considered for Purge (rewriting store.cache without them).",
            "a whole number from 0 to 1000000000") {
        @Override
        String canonical(String v) {
            return Long.toString(parseLong(this, v, 0, 1_000_000_000L));
        }
    },
    PURGE_PERCENTAGE("store.purge.percentage", "5",
            "Share (%) of expunged cache records that must also be exceeded before a Purge is queued.",
            "a number from 0 to 100") {
        @Override
        String canonical(String v) {
            String t = v.strip();
            if (t.endsWith("%")) {
                t = t.substring(0, t.length() - 1).strip();
            }
            double d;
            try {
                d = Double.parseDouble(t);
            } catch (NumberFormatException e) {
                throw invalid(this, v, "is not a number");
            }
            if (Double.isNaN(d) || d < 0 || d > 100) {
                throw invalid(this, v, "is out of range");
            }
            if (d == Math.rint(d)) {
                return Long.toString((long) d);
            }
            return new java.math.BigDecimal(t).stripTrailingZeros().toPlainString();
        }
    },
    PURGE_ENABLE("store.purge.enable", "true",
            "Start the impurge daemon when the engine starts (the console opens a store).",
            "true or false") {
        @Override
        String canonical(String v) {
            return Boolean.toString(parseBoolean(this, v));
        }
    },
    PURGE_WINDOW("store.purge.window", "",
            "Off-peak window for impurge, e.g. 01:00-05:00 (may cross midnight). Empty: daemon mode, work whenever entries are due.",
            "empty or HH:MM-HH:MM") {
        @Override
        String canonical(String v) {
            return PurgeWindow.parse(this, v).map(PurgeWindow::toString).orElse("");
        }
    },
    PURGE_EXIT_WHEN_EMPTY("store.purge.exitwhenempty", "false",
            "Inside the off-peak window, stop for the rest of the window once the queue is empty.",
            "true or false") {
        @Override
        String canonical(String v) {
            return Boolean.toString(parseBoolean(this, v));
        }
    },
    PURGE_PAUSED("store.purge.paused", "",
            "Actions that impurge leaves waiting, e.g. Purge,Remove to keep them for the night while Repair runs. Run now "
                    + "still runs a paused action's entries. Empty: none paused.",
            "empty or a comma-separated list of Repair, Clean, Purge, Remove") {
        @Override
        String canonical(String v) {
            return Actions.format(Actions.parse(this, v));
        }
    },
    MESSAGE_MAX_SIZE("store.message.maxsize", "50M",
            "The largest message the store accepts (append, IMAP APPEND, LMTP delivery). A size such as 50M, 512K or 1G; "
                    + "a bare number is bytes.",
            "a size from 1K to 2G, e.g. 50M, 512K") {
        @Override
        String canonical(String v) {
            return Sizes.format(Sizes.parse(this, v));
        }
    },
    IMAP_IMMEDIATE_FLAG_UPDATE("imap.immediateflagupdate", "false",
            "IMAP: when true, a flag change or expunge made by one session reaches every other session that has the mailbox "
                    + "selected at once (also during IDLE); when false, at that session's next command, as RFC 3501 allows.",
            "true or false") {
        @Override
        String canonical(String v) {
            return Boolean.toString(parseBoolean(this, v));
        }
    };

    private final String key;
    private final String defaultValue;
    private final String help;
    private final String allowed;

    Setting(String key, String defaultValue, String help, String allowed) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.help = help;
        this.allowed = allowed;
    }

    public String key() {
        return key;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public String help() {
        return help;
    }

    /** The allowed values, in words (what an error message names). */
    public String allowed() {
        return allowed;
    }

    /** Validates {@code value} and returns its canonical form; throws {@link InvalidSettingException}. */
    public String validate(String value) {
        if (value == null) {
            throw invalid(this, "", "is missing");
        }
        return canonical(value);
    }

    abstract String canonical(String value);

    public static Setting byKey(String key) {
        for (Setting s : values()) {
            if (s.key.equals(key)) {
                return s;
            }
        }
        throw new InvalidSettingException("unknown option '" + key + "'; known options: " + String.join(", ", keys()));
    }

    public static List<String> keys() {
        return java.util.Arrays.stream(values()).map(Setting::key).toList();
    }

    static InvalidSettingException invalid(Setting s, String value, String why) {
        return new InvalidSettingException(s.key + ": '" + value + "' " + why + "; allowed: " + s.allowed);
    }

    static long parseLong(Setting s, String v, long min, long max) {
        String t = v.strip();
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw invalid(s, v, t.startsWith("-") ? "is negative" : "is not a whole number");
        }
        if (n < min) {
            throw invalid(s, v, n < 0 ? "is negative" : "is too small");
        }
        if (n > max) {
            throw invalid(s, v, "is too large");
        }
        return n;
    }

    static boolean parseBoolean(Setting s, String v) {
        switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1":
                return true;
            case "false", "no", "off", "0":
                return false;
            default:
                throw invalid(s, v, "is not true or false");
        }
    }

    /** Parsing and printing of sizes ({@code store.message.maxsize}): bytes, or K, M, G (powers of 1024). */
    public static final class Sizes {
        static final long MIN = 1024;
        static final long MAX = 2L * 1024 * 1024 * 1024;

        private Sizes() {
        }

        static long parse(Setting s, String v) {
            String t = v.strip().toUpperCase(Locale.ROOT).replace(" ", "");
            if (t.endsWith("B")) {
                t = t.substring(0, t.length() - 1);
            }
            long unit = 1;
            if (!t.isEmpty() && "KMG".indexOf(t.charAt(t.length() - 1)) >= 0) {
                unit = 1L << (10 * ("KMG".indexOf(t.charAt(t.length() - 1)) + 1));
                t = t.substring(0, t.length() - 1);
            }
            if (t.isEmpty() || t.length() > 10 || !t.chars().allMatch(Character::isDigit)) {
                throw invalid(s, v, t.startsWith("-") ? "is negative" : "is not a size");
            }
            long n = Long.parseLong(t) * unit;
            if (n < MIN) {
                throw invalid(s, v, "is too small");
            }
            if (n > MAX) {
                throw invalid(s, v, "is too large");
            }
            return n;
        }

        /** The canonical text: the largest unit that divides the size, e.g. {@code 50M}, {@code 1536K}. */
        public static String format(long bytes) {
            for (String u : new String[] {"G", "M", "K"}) {
                long unit = 1L << (10 * ("KMG".indexOf(u) + 1));
                if (bytes % unit == 0) {
                    return (bytes / unit) + u;
                }
            }
            return Long.toString(bytes);
        }

        /** The bytes a canonical size stands for. */
        public static long parse(String canonical) {
            return parse(MESSAGE_MAX_SIZE, canonical);
        }
    }

    /** Parsing and printing of {@code store.cleanupage} durations. */
    /** Parsing and printing of a set of actions ({@code store.purge.paused}): names in any case, in any order, each once. */
    public static final class Actions {
        private Actions() {
        }

        static java.util.Set<Action> parse(Setting s, String v) {
            java.util.Set<Action> out = java.util.EnumSet.noneOf(Action.class);
            for (String part : v.split(",")) {
                if (part.isBlank()) {
                    continue;
                }
                try {
                    out.add(Action.fromLabel(part));
                } catch (IllegalArgumentException e) {
                    throw invalid(s, v, "names an unknown action '" + part.strip() + "'");
                }
            }
            return out;
        }

        /** The actions a canonical value names. */
        public static java.util.Set<Action> parse(String canonical) {
            return parse(PURGE_PAUSED, canonical);
        }

        /** The canonical text: labels in the order of {@link Action}, comma-separated, e.g. {@code Purge,Remove}. */
        public static String format(java.util.Set<Action> actions) {
            return actions.stream().sorted().map(Action::label).collect(java.util.stream.Collectors.joining(","));
        }
    }

    public static final class Durations {
        public static final Duration MAX = Duration.ofDays(365);

        private Durations() {
        }

        static Duration parse(Setting s, String v) {
            String t = v.strip().toLowerCase(Locale.ROOT).replace(" ", "");
            if (t.isEmpty()) {
                throw invalid(s, v, "is empty");
            }
            if (t.startsWith("-")) {
                throw invalid(s, v, "is negative");
            }
            Duration d = Duration.ZERO;
            if (t.chars().allMatch(Character::isDigit)) {
                if (t.length() > 5) {
                    throw invalid(s, v, "is too large");
                }
                d = Duration.ofHours(Long.parseLong(t));
            } else {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(d|h|m|s|ms)").matcher(t);
                int pos = 0;
                while (m.find() && m.start() == pos) {
                    long n = Long.parseLong(m.group(1));
                    d = d.plus(switch (m.group(2)) {
                        case "d" -> Duration.ofDays(n);
                        case "h" -> Duration.ofHours(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "s" -> Duration.ofSeconds(n);
                        default -> Duration.ofMillis(n);
                    });
                    pos = m.end();
                }
                if (pos != t.length()) {
                    throw invalid(s, v, "is not a duration");
                }
            }
            if (d.compareTo(MAX) > 0) {
                throw invalid(s, v, "is too large");
            }
            return d;
        }

        /** The canonical text: largest units first, e.g. {@code 1h30m}, {@code 0s}. */
        public static String format(Duration d) {
            if (d.isZero()) {
                return "0s";
            }
            StringBuilder sb = new StringBuilder();
            long days = d.toDays();
            long hours = d.toHoursPart();
            long minutes = d.toMinutesPart();
            long seconds = d.toSecondsPart();
            long millis = d.toMillisPart();
            if (days > 0) {
                sb.append(days).append('d');
            }
            if (hours > 0) {
                sb.append(hours).append('h');
            }
            if (minutes > 0) {
                sb.append(minutes).append('m');
            }
            if (seconds > 0) {
                sb.append(seconds).append('s');
            }
            if (millis > 0) {
                sb.append(millis).append("ms");
            }
            return sb.toString();
        }

        public static Duration parse(String canonical) {
            return parse(CLEANUP_AGE, canonical);
        }
    }
}
