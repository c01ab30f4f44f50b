package org.mstore.imap;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * A user's IMAP names and the store's names: {@code INBOX} is {@code user/NAME}, {@code FOLDER} is
 * {@code user/NAME/FOLDER} (hierarchy {@code /}); on the wire, names are in modified UTF-7 (RFC 3501 §5.1.3). A user
 * sees only their own mailboxes: no other user's name can be spelled.
 */
final class MailboxNames {
    static final char SEPARATOR = '/';

    private MailboxNames() {
    }

    /** The store name of a client's mailbox name (modified UTF-7 decoded); {@link ImapNo} if it cannot be one. */
    static String toStore(String user, String imapName) {
        String name = decodeUtf7(imapName);
        while (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty()) {
            throw new ImapNo("CANNOT", "Invalid mailbox name: it is empty");
        }
        if (name.equalsIgnoreCase("INBOX")) {
            return "user/" + user;
        }
        if (name.regionMatches(true, 0, "INBOX/", 0, 6)) {
            name = "INBOX" + name.substring(5);
        }
        String store = "user/" + user + "/" + name;
        try {
            org.mstore.api.MailboxName.parse(store);
        } catch (org.mstore.api.InvalidMailboxNameException e) {
            throw new ImapNo("CANNOT", "Invalid mailbox name " + imapName + ": " + e.getMessage());
        }
        return store;
    }

    /** The client's name for a store name of the user's (null for one that is not theirs or is hidden). */
    static String toImap(String user, String storeName) {
        String inbox = "user/" + user;
        if (storeName.equals(inbox)) {
            return "INBOX";
        }
        if (!storeName.startsWith(inbox + "/")) {
            return null;
        }
        String folder = storeName.substring(inbox.length() + 1);
        if (folder.equalsIgnoreCase("INBOX")) {
            return null; // a folder named INBOX would be taken for the INBOX itself
        }
        return encodeUtf7(folder);
    }

    // ---------------------------------------------------------------- modified UTF-7

    static String encodeUtf7(String s) {
        StringBuilder out = new StringBuilder();
        StringBuilder pending = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c <= 0x7e) {
                flush(out, pending);
                out.append(c == '&' ? "&-" : String.valueOf(c));
            } else {
                pending.append(c);
            }
        }
        flush(out, pending);
        return out.toString();
    }

    private static void flush(StringBuilder out, StringBuilder pending) {
        if (pending.length() == 0) {
            return;
        }
        byte[] utf16 = pending.toString().getBytes(StandardCharsets.UTF_16BE);
        out.append('&').append(Base64.getEncoder().withoutPadding().encodeToString(utf16).replace('/', ',')).append('-');
        pending.setLength(0);
    }

    static String decodeUtf7(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != '&') {
                out.append(c);
                i++;
                continue;
            }
            int end = s.indexOf('-', i);
            if (end < 0) {
                throw new ImapNo("CANNOT", "Invalid mailbox name: unterminated modified UTF-7 in '" + s + "'");
            }
            if (end == i + 1) {
                out.append('&');
            } else {
                try {
                    byte[] b = Base64.getDecoder().decode(s.substring(i + 1, end).replace(',', '/'));
                    out.append(new String(b, StandardCharsets.UTF_16BE));
                } catch (IllegalArgumentException e) {
                    throw new ImapNo("CANNOT", "Invalid mailbox name: bad modified UTF-7 in '" + s + "'");
                }
            }
            i = end + 1;
        }
        String name = out.toString();
        // RFC 3501 5.1.3: a printable character is never written in BASE64 ("&AC8-" would be a hidden "/", a level
        // of hierarchy the client did not ask for) and two BASE64 runs never touch ("-&"); there is one spelling
        if (!encodeUtf7(name).equals(s)) {
            throw new ImapNo("CANNOT", "Invalid mailbox name: '" + s + "' is not modified UTF-7 as RFC 3501 5.1.3 spells"
                    + " it; it would be '" + encodeUtf7(name) + "'");
        }
        return name;
    }

    /** True when {@code name} matches a LIST pattern: {@code *} matches anything, {@code %} anything but {@code /}. */
    static boolean matches(String pattern, String name) {
        return matches(pattern, 0, name, 0);
    }

    private static boolean matches(String p, int pi, String n, int ni) {
        // INBOX, and the INBOX part of INBOX/..., match in any case (RFC 3501 5.1), at every one of its five letters
        boolean inbox = n.regionMatches(true, 0, "INBOX", 0, 5) && (n.length() == 5 || n.charAt(5) == SEPARATOR);
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*' || c == '%') {
                for (int k = ni; k <= n.length(); k++) {
                    if (matches(p, pi + 1, n, k)) {
                        return true;
                    }
                    if (k < n.length() && c == '%' && n.charAt(k) == SEPARATOR) {
                        return false;
                    }
                }
                return false;
            }
            if (ni >= n.length()) {
                return false;
            }
            char a = inbox && ni < 5 ? Character.toUpperCase(c) : c;
            char b = inbox && ni < 5 ? Character.toUpperCase(n.charAt(ni)) : n.charAt(ni);
            if (a != b) {
                return false;
            }
            pi++;
            ni++;
        }
        return ni == n.length();
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }
}
