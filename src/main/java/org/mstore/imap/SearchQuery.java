package org.mstore.imap;

import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.mstore.api.Flags;

/**
 * A SEARCH program (RFC 3501 §6.4.4), every key: parsed into a tree, then evaluated message by message. Keys on
 * flags, sizes, dates and UIDs use the session's view alone; keys on headers and text read the message.
 */
final class SearchQuery {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("d-MMM-uuuu", Locale.ENGLISH)
            .withResolverStyle(java.time.format.ResolverStyle.STRICT); // 31-Feb is refused, not taken for the 28th

    /** What a key looks at for one message. */
    interface Message {
        int seq();

        int uid();

        int flags();

        boolean recent();

        int size();

        long internalDate();

        /** The message's content; null if it is gone. */
        MimeView content();
    }

    /** A node of the tree. */
    interface Key {
        boolean test(Message m);

        default boolean needsContent() {
            return false;
        }
    }

    private final Key root;
    private final ZoneId zone;

    private SearchQuery(Key root, ZoneId zone) {
        this.root = root;
        this.zone = zone;
    }

    boolean needsContent() {
        return root.needsContent();
    }

    boolean test(Message m) {
        return root.test(m);
    }

    /** Parses the keys that follow SEARCH [CHARSET x]; {@code maxSeq} and {@code maxUid} stand for {@code *}. */
    static SearchQuery parse(ImapReader r, ZoneId zone, long maxSeq, long maxUid) {
        Parser p = new Parser(r, zone, maxSeq, maxUid);
        List<Key> all = new ArrayList<>();
        all.add(p.key());
        while (!r.atEnd()) {
            r.space();
            all.add(p.key());
        }
        return new SearchQuery(and(all), zone);
    }

    private static Key and(List<Key> keys) {
        if (keys.size() == 1) {
            return keys.get(0);
        }
        return new Key() {
            @Override
            public boolean test(Message m) {
                for (Key k : keys) {
                    if (!k.test(m)) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public boolean needsContent() {
                return keys.stream().anyMatch(Key::needsContent);
            }
        };
    }

    private static Key contentKey(java.util.function.Predicate<MimeView> p) {
        return new Key() {
            @Override
            public boolean test(Message m) {
                MimeView v = m.content();
                return v != null && p.test(v);
            }

            @Override
            public boolean needsContent() {
                return true;
            }
        };
    }

    static boolean contains(String haystack, String needle) {
        return haystack != null && haystack.toLowerCase(Locale.ROOT).contains(needle.toLowerCase(Locale.ROOT));
    }

    private static final class Parser {
        final ImapReader r;
        final ZoneId zone;
        final long maxSeq;
        final long maxUid;

        Parser(ImapReader r, ZoneId zone, long maxSeq, long maxUid) {
            this.r = r;
            this.zone = zone;
            this.maxSeq = maxSeq;
            this.maxUid = maxUid;
        }

        /** How deep keys may nest (parentheses, NOT, OR): deeper is a syntax error, not a stack overflow. */
        static final int MAX_DEPTH = 64;
        private int depth;

        Key key() {
            if (++depth > MAX_DEPTH) {
                throw new ImapSyntaxException("SEARCH keys nest more than " + MAX_DEPTH + " deep");
            }
            try {
                return keyHere();
            } finally {
                depth--;
            }
        }

        private Key keyHere() {
            if (r.peekIs('(')) {
                r.expect('(');
                List<Key> keys = new ArrayList<>();
                keys.add(key());
                while (!r.peekIs(')')) {
                    r.space();
                    keys.add(key());
                }
                r.expect(')');
                return and(keys);
            }
            String word = r.word();
            char first = word.charAt(0);
            if (Character.isDigit(first) || first == '*') {
                SequenceSet set = SequenceSet.parse(word);
                return m -> set.contains(m.seq(), maxSeq);
            }
            String k = word.toUpperCase(Locale.ROOT);
            switch (k) {
                case "ALL":
                    return m -> true;
                case "ANSWERED":
                    return flag(Flags.ANSWERED, true);
                case "DELETED":
                    return flag(Flags.DELETED, true);
                case "DRAFT":
                    return flag(Flags.DRAFT, true);
                case "FLAGGED":
                    return flag(Flags.FLAGGED, true);
                case "SEEN":
                    return flag(Flags.SEEN, true);
                case "UNANSWERED":
                    return flag(Flags.ANSWERED, false);
                case "UNDELETED":
                    return flag(Flags.DELETED, false);
                case "UNDRAFT":
                    return flag(Flags.DRAFT, false);
                case "UNFLAGGED":
                    return flag(Flags.FLAGGED, false);
                case "UNSEEN":
                    return flag(Flags.SEEN, false);
                case "RECENT":
                    return Message::recent;
                case "OLD":
                    return m -> !m.recent();
                case "NEW":
                    return m -> m.recent() && (m.flags() & Flags.SEEN) == 0;
                case "KEYWORD": {
                    r.space();
                    r.flag();
                    return m -> false; // keywords are not kept
                }
                case "UNKEYWORD": {
                    r.space();
                    r.flag();
                    return m -> true;
                }
                case "LARGER": {
                    r.space();
                    long n = r.number();
                    return m -> m.size() > n;
                }
                case "SMALLER": {
                    r.space();
                    long n = r.number();
                    return m -> m.size() < n;
                }
                case "UID": {
                    r.space();
                    SequenceSet set = SequenceSet.parse(r.word());
                    return m -> set.contains(m.uid() & 0xffffffffL, maxUid);
                }
                case "NOT": {
                    r.space();
                    Key inner = key();
                    return new Key() {
                        @Override
                        public boolean test(Message m) {
                            return !inner.test(m);
                        }

                        @Override
                        public boolean needsContent() {
                            return inner.needsContent();
                        }
                    };
                }
                case "OR": {
                    r.space();
                    Key a = key();
                    r.space();
                    Key b = key();
                    return new Key() {
                        @Override
                        public boolean test(Message m) {
                            return a.test(m) || b.test(m);
                        }

                        @Override
                        public boolean needsContent() {
                            return a.needsContent() || b.needsContent();
                        }
                    };
                }
                case "BEFORE", "ON", "SINCE": {
                    r.space();
                    LocalDate d = date();
                    return m -> compare(k, LocalDate.ofInstant(java.time.Instant.ofEpochMilli(m.internalDate()), zone), d);
                }
                case "SENTBEFORE", "SENTON", "SENTSINCE": {
                    r.space();
                    LocalDate d = date();
                    String op = k.substring(4);
                    return contentKey(v -> {
                        java.util.Date sent = v.sentDate();
                        return sent != null && compare(op, LocalDate.ofInstant(sent.toInstant(), zone), d);
                    });
                }
                case "BCC", "CC", "FROM", "SUBJECT", "TO": {
                    r.space();
                    String s = r.astring();
                    String field = k.equals("SUBJECT") ? "Subject" : k.charAt(0) + k.substring(1).toLowerCase(Locale.ROOT);
                    return contentKey(v -> contains(v.decoded(field), s));
                }
                case "HEADER": {
                    r.space();
                    String field = r.astring();
                    r.space();
                    String s = r.astring();
                    return contentKey(v -> v.header().getField(field) != null && (s.isEmpty() || contains(v.decoded(field), s)));
                }
                case "BODY": {
                    r.space();
                    String s = r.astring();
                    return contentKey(v -> contains(v.bodyText(), s));
                }
                case "TEXT": {
                    r.space();
                    String s = r.astring();
                    return contentKey(v -> contains(new String(v.headerBytes(), java.nio.charset.StandardCharsets.UTF_8), s)
                            || contains(v.bodyText(), s));
                }
                default:
                    throw new ImapSyntaxException("unknown SEARCH key " + word);
            }
        }

        private LocalDate date() {
            String s = r.peekIs('"') ? r.string() : r.word();
            try {
                return LocalDate.parse(s, DATE);
            } catch (DateTimeParseException e) {
                throw new ImapSyntaxException("bad date '" + s + "' (use d-Mon-yyyy, e.g. 1-Feb-2024)");
            }
        }

        private static Key flag(int flag, boolean set) {
            return m -> ((m.flags() & flag) != 0) == set;
        }

        private static boolean compare(String op, LocalDate value, LocalDate d) {
            return switch (op) {
                case "BEFORE" -> value.isBefore(d);
                case "ON" -> value.isEqual(d);
                default -> !value.isBefore(d);
            };
        }
    }
}
