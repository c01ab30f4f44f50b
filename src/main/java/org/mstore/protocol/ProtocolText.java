package org.mstore.protocol;

import java.nio.charset.StandardCharsets;

/**
 * Text for a protocol server's response line that may quote the client. The grammars of IMAP (RFC 3501 §9: TEXT-CHAR
 * is a 7-bit CHAR, no CR, LF or NUL) and of LMTP replies (RFC 5321 §4.2: US-ASCII; lmtpd offers no SMTPUTF8) are 7-bit:
 * a control character written back raw ends the line early for a client (a bare CR, a NUL in a client written in C),
 * and an 8-bit byte is outside the grammar. Each is named instead, as {@code \xNN}: a control character or DEL by its
 * code, a character beyond ASCII by each byte of its UTF-8 (é is {@code \xc3\xa9}). What comes out is printable ASCII.
 */
public final class ProtocolText {
    private static final String HEX = "0123456789abcdef";

    private ProtocolText() {
    }

    /** {@code s} with every control character, DEL and character beyond ASCII named ({@code \xNN}). */
    public static String named(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            appendNamed(sb, c);
            i += Character.charCount(c);
        }
        return sb.toString();
    }

    /** Appends the code point {@code c}: itself when it is printable ASCII (or a space), else its name ({@code \xNN}). */
    public static void appendNamed(StringBuilder sb, int c) {
        if (c >= ' ' && c < 0x7f) {
            sb.append((char) c);
        } else if (c < 0x80) {
            hex(sb, c);
        } else {
            // a lone surrogate (no character) comes out as \x3f: the '?' String.getBytes puts in its place
            for (byte b : new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8)) {
                hex(sb, b & 0xff);
            }
        }
    }

    private static void hex(StringBuilder sb, int b) {
        sb.append("\\x").append(HEX.charAt(b >> 4)).append(HEX.charAt(b & 0xf));
    }
}
