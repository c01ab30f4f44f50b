package org.mstore.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A line of the store's default log, {@code [dd/Mon/yyyy:HH:mm:ss ±zzzz] host process[pid]: Category Level: message},
 * parsed. Lines in another format come back with a null level and the raw text as message.
 */
public record LogLine(String time, String host, String process, String category, LogLevel level, String message, String raw) {
    private static final Pattern LINE = Pattern.compile("^\\[([^\\]]+)] (\\S+) ([^\\[\\s]+)\\[(\\d+)]: (\\S+) (\\S+): (.*)$");

    public static LogLine parse(String raw) {
        Matcher m = LINE.matcher(raw);
        if (m.matches()) {
            LogLevel level = LogLevel.fromWord(m.group(6));
            if (level != null) {
                return new LogLine(m.group(1), m.group(2), m.group(3) + "[" + m.group(4) + "]", m.group(5), level, m.group(7), raw);
            }
        }
        return new LogLine("", "", "", "", null, raw, raw);
    }
}
