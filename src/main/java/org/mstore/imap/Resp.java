package org.mstore.imap;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds response bytes: text, quoted strings, literals, NIL (RFC 3501 §4). */
final class Resp {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    Resp text(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    Resp sp() {
        out.write(' ');
        return this;
    }

    Resp num(long n) {
        return text(Long.toString(n));
    }

    Resp crlf() {
        out.write('\r');
        out.write('\n');
        return this;
    }

    /** A literal: {@code {n}} CRLF and the bytes. */
    Resp literal(byte[] b) {
        return literal(b, 0, b.length);
    }

    Resp literal(byte[] b, int off, int len) {
        text("{" + len + "}\r\n");
        out.write(b, off, len);
        return this;
    }

    /** A string: quoted when it can be, a literal otherwise. */
    Resp string(String s) {
        if (quotable(s)) {
            out.write('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    out.write('\\');
                }
                out.write(c);
            }
            out.write('"');
            return this;
        }
        return literal(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A string or NIL. */
    Resp nstring(String s) {
        return s == null ? text("NIL") : string(s);
    }

    /** An astring as a mailbox name: quoted always (a name with spaces or wildcards must be). */
    Resp mailbox(String name) {
        return string(name);
    }

    static boolean quotable(String s) {
        if (s.length() > 1000) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || c > 126) {
                return false;
            }
        }
        return true;
    }

    int size() {
        return out.size();
    }

    ImapResponse build() {
        return new ImapResponse(out.toByteArray());
    }
}
