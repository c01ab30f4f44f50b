package org.mstore.imap;

import java.util.List;

/**
 * One client line as the decoder hands it over: a command with its literals, or a line that answers the server (the
 * end of IDLE, an AUTHENTICATE response). {@code parts} alternate: a line fragment ({@link String}, without CRLF, ending
 * in the literal's {@code {n}} when one follows) and a literal ({@code byte[]}). {@code reserved}: the bytes of the
 * server's {@link LiteralBudget} its literals hold, released once the command has run.
 */
record ImapLine(List<Object> parts, long reserved) {
    /** A line that holds nothing of the budget. */
    ImapLine(List<Object> parts) {
        this(parts, 0);
    }

    /** The first fragment (all of a line without literals). */
    String first() {
        return (String) parts.get(0);
    }

    /** Bytes of the line, literals included (a log or a limit). */
    long size() {
        long n = 0;
        for (Object p : parts) {
            n += p instanceof String s ? s.length() : ((byte[]) p).length;
        }
        return n;
    }
}
