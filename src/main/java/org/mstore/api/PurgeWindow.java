package org.mstore.api;

import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * An off-peak window, {@code HH:MM-HH:MM} in the store's local time; it may cross midnight
 * ({@code 22:00-04:00}). Start is inclusive, end exclusive.
 */
public record PurgeWindow(LocalTime start, LocalTime end) {
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm");

    public PurgeWindow {
        if (start.equals(end)) {
            throw new IllegalArgumentException("window start and end are the same");
        }
    }

    public static Optional<PurgeWindow> parse(String text) {
        return parse(Setting.PURGE_WINDOW, text);
    }

    static Optional<PurgeWindow> parse(Setting s, String text) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty() || t.equalsIgnoreCase("none")) {
            return Optional.empty();
        }
        String[] parts = t.split("-");
        if (parts.length != 2) {
            throw Setting.invalid(s, text, "is not a window");
        }
        LocalTime a = time(s, text, parts[0]);
        LocalTime b = time(s, text, parts[1]);
        if (a.equals(b)) {
            throw Setting.invalid(s, text, "starts and ends at the same time");
        }
        return Optional.of(new PurgeWindow(a, b));
    }

    /** Parses a bare {@code HH:MM} (impurge --until). */
    public static LocalTime parseTime(String text) {
        return time(null, text, text);
    }

    private static LocalTime time(Setting s, String whole, String part) {
        String p = part.strip();
        if (!p.matches("\\d{1,2}:\\d{2}")) {
            throw s == null ? new InvalidSettingException("'" + whole + "' is not a time; use HH:MM")
                    : Setting.invalid(s, whole, "is not a window");
        }
        try {
            return LocalTime.parse(p.length() == 4 ? "0" + p : p, HM);
        } catch (DateTimeParseException e) {
            throw s == null ? new InvalidSettingException("'" + whole + "' is not a time; use HH:MM")
                    : Setting.invalid(s, whole, "has an impossible time");
        }
    }

    public boolean contains(LocalTime t) {
        if (start.isBefore(end)) {
            return !t.isBefore(start) && t.isBefore(end);
        }
        return !t.isBefore(start) || t.isBefore(end);
    }

    /** The next instant at or after {@code now} when the window opens. */
    public ZonedDateTime nextStart(ZonedDateTime now) {
        ZonedDateTime s = now.with(start).withSecond(0).withNano(0);
        return s.isBefore(now) ? s.plusDays(1) : s;
    }

    /** The end of the window that contains {@code now} (or the next end). */
    public ZonedDateTime endAfter(ZonedDateTime now) {
        ZonedDateTime e = now.with(end).withSecond(0).withNano(0);
        return e.isAfter(now) ? e : e.plusDays(1);
    }

    @Override
    public String toString() {
        return start.format(HM) + "-" + end.format(HM);
    }
}
