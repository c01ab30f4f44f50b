package org.mstore.mailbox;

import java.util.List;

import org.mstore.api.NewMessage;
import org.mstore.api.Setting;

/**
 * What the store accepts as a message: not empty, no larger than {@code store.message.maxsize}, and starting with an
 * RFC 5322 header section — header fields ({@code Name: value}, folded lines starting with a space or tab) up to an
 * empty line or the end — with no NUL byte in it. A random binary file or a text that is not a message is refused with
 * one line that says which message and why, before anything is written.
 */
final class MessageCheck {
    /** How far into a message the header section is read: a header block longer than this is refused. */
    static final int MAX_HEADER = 256 * 1024;

    private MessageCheck() {
    }

    static void check(List<NewMessage> messages, long maxSize) {
        for (int i = 0; i < messages.size(); i++) {
            String which = messages.size() == 1 ? "the message" : "message " + (i + 1) + " of " + messages.size();
            String why = problem(messages.get(i).content(), maxSize);
            if (why != null) {
                throw new IllegalArgumentException(which + " " + why);
            }
        }
    }

    /** Why {@code m} is not accepted, or null. */
    static String problem(byte[] m, long maxSize) {
        if (m == null || m.length == 0) {
            return "is empty";
        }
        if (m.length > maxSize) {
            return "is " + m.length + " bytes, over " + Setting.MESSAGE_MAX_SIZE.key() + " (" + Setting.Sizes.format(maxSize) + ")";
        }
        int pos = 0;
        int line = 1;
        int limit = Math.min(m.length, MAX_HEADER);
        while (pos < limit) {
            int end = pos;
            while (end < limit && m[end] != '\n') {
                if (m[end] == 0) {
                    return "is not a message: its header has a NUL byte (line " + line + ")";
                }
                end++;
            }
            int len = end - pos;
            if (len > 0 && m[end - 1] == '\r') {
                len--;
            }
            if (len == 0) {
                return line == 1 ? "is not a message: it starts with an empty line, not a header field" : null;
            }
            byte first = m[pos];
            if (first == ' ' || first == '\t') {
                if (line == 1) {
                    return "is not a message: it starts with a folded line, not a header field";
                }
            } else if (!fieldLine(m, pos, len)) {
                return "is not a message: line " + line + " of its header is not a header field (Name: value)";
            }
            if (end >= m.length) {
                return null; // a message of header fields only
            }
            pos = end + 1;
            line++;
        }
        return m.length > MAX_HEADER ? "is not a message: no end of its header in the first " + MAX_HEADER / 1024 + " KB" : null;
    }

    /** {@code Name:} with a name of printable US-ASCII other than the colon (RFC 5322 §2.2). */
    private static boolean fieldLine(byte[] m, int pos, int len) {
        int i = pos;
        int end = pos + len;
        while (i < end && m[i] >= 33 && m[i] <= 126 && m[i] != ':') {
            i++;
        }
        return i > pos && i < end && m[i] == ':';
    }
}
