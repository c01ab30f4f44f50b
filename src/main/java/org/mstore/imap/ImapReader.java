package org.mstore.imap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the tokens of one command (RFC 3501 §9): atoms, quoted strings, literals, parenthesized lists. Any departure
 * from the grammar is an {@link ImapSyntaxException}, answered with {@code BAD}.
 */
final class ImapReader {
    private static final byte[] EMPTY = new byte[0];
    private final List<Object> parts;
    private int part;
    private String cur;
    private int pos;

    ImapReader(ImapLine line) {
        this.parts = line.parts();
        this.part = 0;
        this.cur = (String) parts.get(0);
        this.pos = 0;
    }

    /** True when nothing is left. */
    boolean atEnd() {
        return pos >= cur.length() && part >= parts.size() - 1;
    }

    /** The next character, or 0 at the end of the line. */
    char peek() {
        return pos < cur.length() ? cur.charAt(pos) : 0;
    }

    boolean peekIs(char c) {
        return peek() == c;
    }

    void expect(char c) {
        if (peek() != c) {
            throw new ImapSyntaxException("expected '" + c + "'" + (atEnd() ? " at the end of the line" : " at '" + rest() + "'"));
        }
        pos++;
    }

    void space() {
        expect(' ');
    }

    /** Consumes a space if there is one. */
    boolean optionalSpace() {
        if (peek() == ' ') {
            pos++;
            return true;
        }
        return false;
    }

    void end() {
        if (!atEnd()) {
            throw new ImapSyntaxException("unexpected '" + rest() + "' at the end of the command");
        }
    }

    private String rest() {
        String r = pos < cur.length() ? cur.substring(pos) : "";
        return r.length() > 40 ? r.substring(0, 40) + "..." : r;
    }

    /** An atom character; 8-bit characters are taken too (UTF-8 typed into an atom by a lenient client). */
    private static boolean atomChar(char c) {
        return c > ' ' && c != 127 && "(){%*\"\\]".indexOf(c) < 0;
    }

    /** An atom (a command name, a flag keyword, a number). */
    String atom() {
        int start = pos;
        while (pos < cur.length() && atomChar(cur.charAt(pos))) {
            pos++;
        }
        if (pos == start) {
            throw new ImapSyntaxException(atEnd() ? "missing argument" : "expected an atom at '" + rest() + "'");
        }
        return cur.substring(start, pos);
    }

    /** A flag: an atom, or a backslash and an atom (a system flag), or {@code \*}. */
    String flag() {
        if (peek() == '\\') {
            pos++;
            if (peek() == '*') {
                pos++;
                return "\\*";
            }
            return "\\" + atom();
        }
        return atom();
    }

    /** Characters up to a space, a parenthesis or the end: a sequence set, a fetch attribute name, a date. */
    String word() {
        int start = pos;
        while (pos < cur.length() && cur.charAt(pos) > ' ' && cur.charAt(pos) != '(' && cur.charAt(pos) != ')'
                && cur.charAt(pos) != '[') {
            pos++;
        }
        if (pos == start) {
            throw new ImapSyntaxException(atEnd() ? "missing argument" : "unexpected '" + rest() + "'");
        }
        return cur.substring(start, pos);
    }

    long number() {
        String a = atom();
        long n = number32(a);
        if (n < 0) {
            throw new ImapSyntaxException("expected a number, got '" + a + "'");
        }
        return n;
    }

    /**
     * RFC 3501's {@code number}: digits only, an unsigned 32-bit value (0 to 4,294,967,295); -1 when the text is not
     * one (a sign, no digits, other characters, or too large).
     */
    static long number32(String text) {
        if (text.isEmpty() || text.length() > 10 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        long n = Long.parseLong(text);
        return n > 0xffffffffL ? -1 : n;
    }

    /** A literal's bytes, when one starts here; null otherwise. */
    private byte[] literal() {
        if (peek() != '{') {
            return null;
        }
        int close = cur.indexOf('}', pos);
        if (close != cur.length() - 1 || part + 1 >= parts.size() || !(parts.get(part + 1) instanceof byte[] bytes)) {
            throw new ImapSyntaxException("a literal must end the line");
        }
        part += 2;
        cur = part < parts.size() ? (String) parts.get(part) : "";
        pos = 0;
        return bytes;
    }

    /** A string: quoted or literal. */
    String string() {
        byte[] lit = literal();
        if (lit != null) {
            return new String(lit, StandardCharsets.UTF_8);
        }
        if (peek() != '"') {
            throw new ImapSyntaxException(atEnd() ? "missing argument" : "expected a string at '" + rest() + "'");
        }
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= cur.length()) {
                throw new ImapSyntaxException("unterminated quoted string");
            }
            char c = cur.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\') {
                if (pos >= cur.length()) {
                    throw new ImapSyntaxException("unterminated quoted string");
                }
                c = cur.charAt(pos++);
                if (c != '"' && c != '\\') {
                    throw new ImapSyntaxException("bad escape in a quoted string");
                }
            }
            sb.append(c);
        }
    }

    /**
     * A literal's raw bytes (an APPEND's message), taken out of the line: the line no longer holds them, so the caller's
     * copy, if it makes one, is not held beside the original while the message is stored.
     */
    byte[] takeLiteral() {
        int at = part + 1;
        byte[] lit = literal();
        if (lit == null) {
            throw new ImapSyntaxException("expected a literal");
        }
        parts.set(at, EMPTY);
        return lit;
    }

    boolean peekLiteral() {
        return peek() == '{';
    }

    /** An astring: atom, quoted string or literal. */
    String astring() {
        char c = peek();
        if (c == '"' || c == '{') {
            return string();
        }
        int start = pos;
        while (pos < cur.length() && (atomChar(cur.charAt(pos)) || cur.charAt(pos) == ']')) {
            pos++;
        }
        if (pos == start) {
            throw new ImapSyntaxException(atEnd() ? "missing argument" : "expected a string at '" + rest() + "'");
        }
        return cur.substring(start, pos);
    }

    /** A LIST pattern: an astring that may hold the wildcards % and *. */
    String listMailbox() {
        char c = peek();
        if (c == '"' || c == '{') {
            return string();
        }
        int start = pos;
        while (pos < cur.length() && (atomChar(cur.charAt(pos)) || "%*]".indexOf(cur.charAt(pos)) >= 0)) {
            pos++;
        }
        if (pos == start) {
            throw new ImapSyntaxException("expected a mailbox pattern");
        }
        return cur.substring(start, pos);
    }

    /** A parenthesized list of atoms or flags. */
    List<String> flagList() {
        List<String> out = new ArrayList<>();
        expect('(');
        while (peek() != ')') {
            if (!out.isEmpty()) {
                space();
            }
            out.add(flag());
        }
        pos++;
        return out;
    }

    /** Consumes {@code s} (case-insensitive) if it comes next. */
    boolean accept(String s) {
        if (cur.regionMatches(true, pos, s, 0, s.length())) {
            pos += s.length();
            return true;
        }
        return false;
    }
}
