package org.mstore.store;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A small, fast RFC 5322 header reader: the first occurrence of each field, unfolded. It reads
 * only the header block and tolerates LF or CRLF line ends and 8-bit bytes (read as UTF-8).
 */
public final class MessageHeaders {
    private final Map<String, String> fields;

    private MessageHeaders(Map<String, String> fields) {
        this.fields = fields;
    }

    /** The value of {@code name} (lower case), or the empty string. */
    public String get(String name) {
        return fields.getOrDefault(name, "");
    }

    /** Where the header block ends in {@code b} (the index after the blank line), or {@code length}. */
    public static int headerEnd(byte[] b, int length) {
        for (int i = 0; i < length; i++) {
            if (b[i] == '\n') {
                if (i + 1 < length && b[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < length && b[i + 1] == '\r' && b[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return length;
    }

    public static MessageHeaders parse(byte[] b, int length) {
        int end = headerEnd(b, length);
        Map<String, String> out = new HashMap<>();
        int i = 0;
        String name = null;
        StringBuilder value = new StringBuilder();
        while (i < end) {
            int lineEnd = i;
            while (lineEnd < end && b[lineEnd] != '\n') {
                lineEnd++;
            }
            int contentEnd = lineEnd;
            if (contentEnd > i && b[contentEnd - 1] == '\r') {
                contentEnd--;
            }
            if (contentEnd == i) {
                break; // the blank line
            }
            if ((b[i] == ' ' || b[i] == '\t') && name != null) {
                value.append(' ').append(new String(b, i, contentEnd - i, StandardCharsets.UTF_8).strip());
            } else {
                if (name != null) {
                    out.putIfAbsent(name, value.toString().strip());
                }
                int colon = i;
                while (colon < contentEnd && b[colon] != ':') {
                    colon++;
                }
                if (colon < contentEnd) {
                    name = new String(b, i, colon - i, StandardCharsets.US_ASCII).strip().toLowerCase(Locale.ROOT);
                    value.setLength(0);
                    value.append(new String(b, colon + 1, contentEnd - colon - 1, StandardCharsets.UTF_8));
                } else {
                    name = null; // not a header line; ignore it
                }
            }
            i = lineEnd + 1;
        }
        if (name != null) {
            out.putIfAbsent(name, value.toString().strip());
        }
        return new MessageHeaders(out);
    }
}
