package org.mstore.console;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** How the console writes times and sizes. */
public final class Format {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private Format() {
    }

    public static String when(Instant t, ZoneId zone) {
        return t == null ? "never" : WHEN.format(t.atZone(zone));
    }

    /** 1536 → "1.5 KB". */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        do {
            v /= 1024;
            u++;
        } while (v >= 1024 && u < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** 1234567 → "1,234,567". */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** 90 s → "1 min 30 s"; 3 h 5 min → "3 h 5 min"; under a second → "412 ms". */
    public static String duration(java.time.Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 1000) {
            return ms + " ms";
        }
        long s = ms / 1000;
        if (s < 60) {
            return ms < 10_000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000.0) : s + " s";
        }
        long m = s / 60;
        if (m < 60) {
            return m + " min" + (s % 60 == 0 ? "" : " " + s % 60 + " s");
        }
        long h = m / 60;
        if (h < 48) {
            return h + " h" + (m % 60 == 0 ? "" : " " + m % 60 + " min");
        }
        return h / 24 + " days" + (h % 24 == 0 ? "" : " " + h % 24 + " h");
    }
}
