package org.mstore.imap;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One FETCH data item (RFC 3501 §6.4.5): what the client asked for, parsed, and how the response names it.
 *
 * @param kind   UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY (the non-extensible structure),
 *               SECTION (BODY[...] and BODY.PEEK[...]), RFC822, RFC822.HEADER, RFC822.TEXT
 * @param part   part numbers of a section (empty for the top level)
 * @param text   HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME or "" (a section)
 * @param fields header names of HEADER.FIELDS[.NOT]
 * @param origin first octet of a partial fetch, or -1
 * @param count  octets of a partial fetch
 * @param peek   BODY.PEEK: \Seen is not set
 */
record FetchItem(String kind, int[] part, String text, List<String> fields, long origin, long count, boolean peek) {
    static FetchItem simple(String kind) {
        return new FetchItem(kind, new int[0], "", List.of(), -1, 0, true);
    }

    boolean needsContent() {
        return switch (kind) {
            case "UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE" -> false;
            default -> true;
        };
    }

    /** True when the item sets \Seen (BODY[...] without PEEK, RFC822, RFC822.TEXT). */
    boolean setsSeen() {
        return (kind.equals("SECTION") && !peek) || kind.equals("RFC822") || kind.equals("RFC822.TEXT");
    }

    /** The section as the response names it: {@code 1.2.HEADER.FIELDS (FROM TO)}. */
    String sectionLabel() {
        StringBuilder sb = new StringBuilder();
        for (int p : part) {
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(p);
        }
        if (!text.isEmpty()) {
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(text);
        }
        if (text.startsWith("HEADER.FIELDS")) {
            sb.append(" (");
            for (int i = 0; i < fields.size(); i++) {
                sb.append(i > 0 ? " " : "").append(fields.get(i).toUpperCase(Locale.ROOT));
            }
            sb.append(')');
        }
        return sb.toString();
    }

    /** Parses the items of a FETCH: a macro (ALL, FAST, FULL), one item, or a parenthesized list. */
    static List<FetchItem> parse(ImapReader r) {
        List<FetchItem> out = new ArrayList<>();
        if (r.peekIs('(')) {
            r.expect('(');
            while (!r.peekIs(')')) {
                if (!out.isEmpty()) {
                    r.space();
                }
                out.add(item(r));
            }
            r.expect(')');
        } else {
            String macro = peekMacro(r);
            if (macro != null) {
                switch (macro) {
                    case "ALL" -> out.addAll(List.of(simple("FLAGS"), simple("INTERNALDATE"), simple("RFC822.SIZE"), simple("ENVELOPE")));
                    case "FAST" -> out.addAll(List.of(simple("FLAGS"), simple("INTERNALDATE"), simple("RFC822.SIZE")));
                    default -> out.addAll(List.of(simple("FLAGS"), simple("INTERNALDATE"), simple("RFC822.SIZE"), simple("ENVELOPE"),
                            simple("BODY")));
                }
            } else {
                out.add(item(r));
            }
        }
        if (out.isEmpty()) {
            throw new ImapSyntaxException("no FETCH items");
        }
        return out;
    }

    private static String peekMacro(ImapReader r) {
        for (String m : new String[] {"ALL", "FAST", "FULL"}) {
            if (r.accept(m)) {
                if (r.atEnd()) {
                    return m;
                }
                throw new ImapSyntaxException("unexpected text after " + m);
            }
        }
        return null;
    }

    private static FetchItem item(ImapReader r) {
        String name = r.word().toUpperCase(Locale.ROOT);
        switch (name) {
            case "UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "RFC822", "RFC822.HEADER", "RFC822.TEXT":
                return simple(name);
            case "BODY", "BODY.PEEK":
                break;
            default:
                throw new ImapSyntaxException("unknown FETCH item " + name);
        }
        if (!r.peekIs('[')) {
            if (name.equals("BODY.PEEK")) {
                throw new ImapSyntaxException("BODY.PEEK needs a section");
            }
            return simple("BODY");
        }
        r.expect('[');
        StringBuilder spec = new StringBuilder();
        while (!r.peekIs(']') && !r.peekIs(' ') && r.peek() != 0) {
            spec.append(r.peek());
            r.expect(r.peek());
        }
        String s = spec.toString().toUpperCase(Locale.ROOT);
        List<Integer> part = new ArrayList<>();
        String text = "";
        int i = 0;
        String[] bits = s.isEmpty() ? new String[0] : s.split("\\.", -1);
        while (i < bits.length && !bits[i].isEmpty() && bits[i].chars().allMatch(Character::isDigit)) {
            if (bits[i].length() > 6) {
                throw new ImapSyntaxException("part number too large");
            }
            int n = Integer.parseInt(bits[i]);
            if (n < 1) {
                throw new ImapSyntaxException("part numbers start at 1");
            }
            part.add(n);
            i++;
        }
        if (i < bits.length) {
            text = String.join(".", java.util.Arrays.copyOfRange(bits, i, bits.length));
            if (!List.of("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME").contains(text)) {
                throw new ImapSyntaxException("unknown section " + s);
            }
            if (text.equals("MIME") && part.isEmpty()) {
                throw new ImapSyntaxException("MIME needs a part number");
            }
        }
        List<String> fields = new ArrayList<>();
        if (text.startsWith("HEADER.FIELDS")) {
            r.space();
            r.expect('(');
            while (!r.peekIs(')')) {
                if (!fields.isEmpty()) {
                    r.space();
                }
                fields.add(r.astring());
            }
            r.expect(')');
            if (fields.isEmpty()) {
                throw new ImapSyntaxException("HEADER.FIELDS needs header names");
            }
        }
        r.expect(']');
        long origin = -1;
        long count = 0;
        if (r.peekIs('<')) {
            r.expect('<');
            String range = r.word();
            if (!range.endsWith(">")) {
                throw new ImapSyntaxException("bad partial range");
            }
            // RFC 3501: "<" number "." nz-number ">", both unsigned 32-bit numbers
            String[] oc = range.substring(0, range.length() - 1).split("\\.", -1);
            if (oc.length == 2) {
                origin = ImapReader.number32(oc[0]);
                count = ImapReader.number32(oc[1]);
            }
            if (origin < 0 || count < 1) {
                throw new ImapSyntaxException("bad partial range <" + range);
            }
        }
        return new FetchItem("SECTION", part.stream().mapToInt(Integer::intValue).toArray(), text, fields, origin, count,
                name.equals("BODY.PEEK"));
    }
}
