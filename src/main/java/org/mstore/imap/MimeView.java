package org.mstore.imap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.james.mime4j.codec.Base64InputStream;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.codec.EncoderUtil;
import org.apache.james.mime4j.codec.QuotedPrintableInputStream;
import org.apache.james.mime4j.dom.Body;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Header;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.TextBody;
import org.apache.james.mime4j.dom.address.Address;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Group;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.dom.field.ContentDispositionField;
import org.apache.james.mime4j.dom.field.ContentTypeField;
import org.apache.james.mime4j.field.address.LenientAddressParser;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.util.MimeUtil;

/**
 * One message seen through Apache James Mime4j: its ENVELOPE, BODYSTRUCTURE and BODY[section] contents. Mime4j's parse
 * (transfer encodings left as they are) gives the structure; every section is cut from the stored bytes exactly: the
 * first empty line ends a header, and each part of a multipart is found by its boundary lines the way Mime4j finds
 * them (the CRLF before a boundary is the boundary's, RFC 2046 5.1.1), so nothing is written back and no transfer
 * encoding is applied again. BODYSTRUCTURE's sizes and line counts are those of the same bytes.
 */
final class MimeView {
    private static final MimeConfig CONFIG = new MimeConfig.Builder().setMaxLineLen(-1).setMaxHeaderLen(-1).setMaxHeaderCount(-1)
            .setMaxContentLen(-1).setMaxNestingDepth(40).setStrictParsing(false).build();

    final byte[] raw;
    private final int headerEnd;
    private Header header;
    private Message message;
    private boolean broken;
    private IdentityHashMap<Entity, Span> spans;

    MimeView(byte[] raw) {
        this.raw = raw;
        this.headerEnd = headerEnd(raw);
    }

    /** Where the body starts: just after the first empty line (CRLF CRLF or LF LF); the whole message if none. */
    static int headerEnd(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                if (i + 1 < b.length && b[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < b.length && b[i + 1] == '\r' && b[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return b.length;
    }

    /**
     * Where the body of the part or encapsulated message in {@code b[from, to)} starts, as Mime4j's parser ends a
     * header: just after the first line that is CRLF or LF (the very first line too: an empty header); {@code to} if
     * there is none.
     */
    static int headerEnd(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            if (b[i] == '\n') {
                return i + 1;
            }
            if (b[i] == '\r' && i + 1 < to && b[i + 1] == '\n') {
                return i + 2;
            }
            while (i < to && b[i] != '\n') {
                i++;
            }
            i++; // past the line's LF
        }
        return to;
    }

    private static DefaultMessageBuilder builder(boolean decode) {
        DefaultMessageBuilder b = new DefaultMessageBuilder();
        b.setMimeEntityConfig(CONFIG);
        b.setContentDecoding(decode);
        b.setDecodeMonitor(DecodeMonitor.SILENT);
        return b;
    }

    Header header() {
        if (header == null) {
            try {
                header = builder(false).parseHeader(new ByteArrayInputStream(raw, 0, headerEnd));
            } catch (IOException | RuntimeException e) {
                header = builder(false).newHeader();
            }
        }
        return header;
    }

    /** The whole message parsed (null if Mime4j could not: the message is then shown as one text part). */
    Message message() {
        if (message == null && !broken) {
            try {
                message = builder(false).parseMessage(new ByteArrayInputStream(raw));
            } catch (IOException | RuntimeException e) {
                broken = true;
            }
        }
        return message;
    }

    byte[] headerBytes() {
        return Arrays.copyOfRange(raw, 0, headerEnd);
    }

    byte[] textBytes() {
        return Arrays.copyOfRange(raw, headerEnd, raw.length);
    }

    // ---------------------------------------------------------------- where each entity's bytes are

    /**
     * An entity's bytes: {@code buf[start, body)} its header (the empty line that ends it included),
     * {@code buf[body, end)} its content. {@code buf} is the stored message, except inside a message/rfc822 part whose
     * content is base64 or quoted-printable (RFC 2046 5.2.1 forbids it): Mime4j parses the decoded message there.
     */
    record Span(byte[] buf, int start, int body, int end) {
        byte[] header() {
            return Arrays.copyOfRange(buf, start, body);
        }

        byte[] content() {
            return Arrays.copyOfRange(buf, body, end);
        }

        int contentLines() {
            return lines(buf, body, end);
        }
    }

    /** Where an entity of {@link #message()} is in the bytes (an empty span at the end if it cannot be found). */
    private Span span(Entity e) {
        if (spans == null) {
            spans = new IdentityHashMap<>();
            Message m = message();
            if (m != null) {
                locate(m, new Span(raw, 0, headerEnd, raw.length));
            }
        }
        Span s = spans.get(e);
        return s != null ? s : new Span(raw, raw.length, raw.length, raw.length);
    }

    /** Records {@code e}'s span and, following Mime4j's tree, those of the entities inside it. */
    private void locate(Entity e, Span s) {
        spans.put(e, s);
        Body b = e.getBody();
        if (b instanceof Multipart mp) {
            ContentTypeField ct = e.getHeader() == null ? null : e.getHeader().getField("Content-Type", ContentTypeField.class);
            String boundary = ct == null ? null : ct.getBoundary();
            List<Span> found = boundary == null ? List.of() : parts(s.buf, s.body, s.end, boundary);
            List<Entity> kids = mp.getBodyParts();
            for (int i = 0; i < kids.size(); i++) {
                locate(kids.get(i), i < found.size() ? found.get(i) : new Span(s.buf, s.end, s.end, s.end));
            }
        } else if (b instanceof Message inner) {
            byte[] buf = s.buf;
            int from = s.body;
            int to = s.end;
            String cte = e.getContentTransferEncoding();
            if (MimeUtil.isBase64Encoding(cte) || MimeUtil.isQuotedPrintableEncoded(cte)) {
                buf = decode(buf, from, to, cte);
                from = 0;
                to = buf.length;
            }
            locate(inner, new Span(buf, from, headerEnd(buf, from, to), to));
        }
    }

    /** The content {@code b[from, to)} decoded as Mime4j decodes it before parsing an encapsulated message. */
    private static byte[] decode(byte[] b, int from, int to, String cte) {
        InputStream in = new ByteArrayInputStream(b, from, to - from);
        try (InputStream d = MimeUtil.isBase64Encoding(cte) ? new Base64InputStream(in, DecodeMonitor.SILENT)
                : new QuotedPrintableInputStream(in, DecodeMonitor.SILENT)) {
            return d.readAllBytes();
        } catch (IOException | RuntimeException ex) {
            return new byte[0];
        }
    }

    /**
     * The parts of the multipart content {@code b[from, to)}, found as Mime4j's parser (0.8) finds them, so that they
     * are the parts of its tree: a boundary line starts with "--" and the boundary, at the content's start or just
     * after an LF, and the boundary is followed by white space, "--", or the end; the LF (and a CR before it) that
     * precedes a boundary line belongs to the boundary (RFC 2046 5.1.1); "--" after the boundary on its line makes it
     * the last one. A part begins after its boundary line and ends at the next boundary or, if none, where the content
     * ends. Text before the first boundary (the preamble) and after the last (the epilogue) is in no part.
     */
    static List<Span> parts(byte[] b, int from, int to, String boundary) {
        byte[] delim = new byte[boundary.length() + 2];
        delim[0] = '-';
        delim[1] = '-';
        for (int i = 0; i < boundary.length(); i++) {
            delim[i + 2] = (byte) boundary.charAt(i);
        }
        List<Span> parts = new ArrayList<>();
        int at = boundaryLine(b, from, to, delim); // the end of the preamble
        while (at >= 0) {
            int p = at + delim.length; // the rest of the boundary line, up to and with its line break
            boolean last = false;
            while (to - p > 1) {
                if (!last && b[p] == '-' && b[p + 1] == '-') {
                    last = true;
                    p += 2;
                } else if (b[p] == '\r' && b[p + 1] == '\n') {
                    p += 2;
                    break;
                } else if (b[p] == '\n') {
                    p++;
                    break;
                } else {
                    p++;
                }
            }
            if (last || p >= to) {
                break; // the closing boundary, or one that nothing follows
            }
            int start = p;
            int next = boundaryLine(b, start, to, delim);
            int end = to;
            if (next >= 0) {
                end = next;
                if (end > start && b[end - 1] == '\n') {
                    end--;
                    if (end > start && b[end - 1] == '\r') {
                        end--;
                    }
                }
            }
            parts.add(new Span(b, start, headerEnd(b, start, end), end));
            at = next;
        }
        return parts;
    }

    /** Where the first boundary line in {@code b[from, to)} starts; -1 if none. */
    private static int boundaryLine(byte[] b, int from, int to, byte[] delim) {
        for (int i = from; i + delim.length <= to; i++) {
            if ((i == from || b[i - 1] == '\n') && Arrays.equals(b, i, i + delim.length, delim, 0, delim.length)) {
                int j = i + delim.length;
                if (j >= to || b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n'
                        || (b[j] == '-' && j + 1 < to && b[j + 1] == '-')) {
                    return i;
                }
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- ENVELOPE

    void envelope(Resp out) {
        envelope(out, header());
    }

    static void envelope(Resp out, Header h) {
        out.text("(");
        out.nstring(value(h, "Date")).sp();
        out.nstring(value(h, "Subject")).sp();
        String from = value(h, "From");
        addresses(out, from).sp();
        String sender = value(h, "Sender");
        addresses(out, sender == null || sender.isBlank() ? from : sender).sp();
        String replyTo = value(h, "Reply-To");
        addresses(out, replyTo == null || replyTo.isBlank() ? from : replyTo).sp();
        addresses(out, value(h, "To")).sp();
        addresses(out, value(h, "Cc")).sp();
        addresses(out, value(h, "Bcc")).sp();
        out.nstring(value(h, "In-Reply-To")).sp();
        out.nstring(value(h, "Message-ID"));
        out.text(")");
    }

    /** A header field's value, unfolded, as it is in the message (encoded words left encoded); null if absent. */
    static String value(Header h, String name) {
        Field f = h.getField(name);
        if (f == null) {
            return null;
        }
        String v = f.getBody();
        return v == null ? null : v.replace("\r\n", "").replace("\n", "").strip();
    }

    private static Resp addresses(Resp out, String value) {
        if (value == null || value.isBlank()) {
            return out.text("NIL");
        }
        AddressList list;
        try {
            list = LenientAddressParser.DEFAULT.parseAddressList(value);
        } catch (RuntimeException e) {
            return out.text("NIL");
        }
        if (list == null || list.isEmpty()) {
            return out.text("NIL");
        }
        out.text("(");
        for (Address a : list) {
            if (a instanceof Mailbox m) {
                address(out, m);
            } else if (a instanceof Group g) {
                out.text("(NIL NIL ").string(g.getName()).text(" NIL)");
                for (Mailbox m : g.getMailboxes()) {
                    address(out, m);
                }
                out.text("(NIL NIL NIL NIL)");
            }
        }
        return out.text(")");
    }

    private static void address(Resp out, Mailbox m) {
        String name = m.getName();
        if (name != null && !Resp.quotable(name)) {
            name = EncoderUtil.encodeEncodedWord(name, EncoderUtil.Usage.WORD_ENTITY);
        }
        out.text("(").nstring(name == null || name.isEmpty() ? null : name).sp();
        out.nstring(m.getRoute() == null || m.getRoute().isEmpty() ? null : m.getRoute().toRouteString()).sp();
        out.nstring(m.getLocalPart()).sp();
        out.nstring(m.getDomain()).text(")");
    }

    // ---------------------------------------------------------------- BODYSTRUCTURE

    void bodyStructure(Resp out, boolean extended) {
        Message m = message();
        if (m == null) {
            out.text("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" ").num(raw.length - headerEnd).sp()
                    .num(lines(raw, headerEnd, raw.length)).text(")");
            return;
        }
        structure(out, m, extended);
    }

    private void structure(Resp out, Entity e, boolean extended) {
        Body body = e.getBody();
        Header h = e.getHeader();
        ContentTypeField ct = h == null ? null : h.getField("Content-Type", ContentTypeField.class);
        if (body instanceof Multipart mp) {
            out.text("(");
            for (Entity part : mp.getBodyParts()) {
                structure(out, part, extended);
            }
            out.sp().string(mp.getSubType().toUpperCase(Locale.ROOT));
            if (extended) {
                out.sp();
                params(out, ct == null ? Map.of() : ct.getParameters());
                out.sp();
                disposition(out, h);
                out.sp().nstring(language(h)).sp().nstring(value(h, "Content-Location"));
            }
            out.text(")");
            return;
        }
        String mime = e.getMimeType();
        int slash = mime.indexOf('/');
        String type = slash < 0 ? mime : mime.substring(0, slash);
        String sub = slash < 0 ? "" : mime.substring(slash + 1);
        out.text("(").string(type.toUpperCase(Locale.ROOT)).sp().string(sub.toUpperCase(Locale.ROOT)).sp();
        Map<String, String> p = ct == null ? Map.of() : ct.getParameters();
        if (p.isEmpty() && type.equalsIgnoreCase("text")) {
            p = Map.of("charset", "us-ascii");
        }
        params(out, p);
        out.sp().nstring(h == null ? null : value(h, "Content-ID"));
        out.sp().nstring(h == null ? null : value(h, "Content-Description"));
        out.sp().string(e.getContentTransferEncoding().toUpperCase(Locale.ROOT));
        Span s = span(e); // the bytes BODY[section] serves for this part: its size and lines are theirs
        out.sp().num(s.end - s.body);
        if (body instanceof Message inner) {
            out.sp();
            envelope(out, inner.getHeader());
            out.sp();
            structure(out, inner, extended);
            out.sp().num(s.contentLines());
        } else if (type.equalsIgnoreCase("text")) {
            out.sp().num(s.contentLines());
        }
        if (extended) {
            out.sp().nstring(h == null ? null : value(h, "Content-MD5")).sp();
            disposition(out, h);
            out.sp().nstring(language(h)).sp().nstring(h == null ? null : value(h, "Content-Location"));
        }
        out.text(")");
    }

    private static void params(Resp out, Map<String, String> p) {
        if (p == null || p.isEmpty()) {
            out.text("NIL");
            return;
        }
        out.text("(");
        boolean first = true;
        for (Map.Entry<String, String> kv : p.entrySet()) {
            if (!first) {
                out.sp();
            }
            first = false;
            out.string(kv.getKey().toUpperCase(Locale.ROOT)).sp().string(kv.getValue() == null ? "" : kv.getValue());
        }
        out.text(")");
    }

    private static void disposition(Resp out, Header h) {
        ContentDispositionField d = h == null ? null : h.getField("Content-Disposition", ContentDispositionField.class);
        if (d == null || d.getDispositionType() == null || d.getDispositionType().isEmpty()) {
            out.text("NIL");
            return;
        }
        out.text("(").string(d.getDispositionType().toUpperCase(Locale.ROOT)).sp();
        params(out, d.getParameters());
        out.text(")");
    }

    private static String language(Header h) {
        return h == null ? null : value(h, "Content-Language");
    }

    static int lines(byte[] b, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                n++;
            }
        }
        if (to > from && b[to - 1] != '\n') {
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------- BODY[section]

    /**
     * The bytes of a section: {@code part} is the part numbers (empty for the top level), {@code text} one of "",
     * HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME; {@code fields} the names for HEADER.FIELDS. An empty array
     * when the part does not exist (RFC 3501 lets a server return an empty string). Always the bytes as they are in
     * the stored message (RFC 3501 6.4.5), never a part written back.
     */
    byte[] section(int[] part, String text, List<String> fields) {
        if (part.length == 0) {
            return switch (text) {
                case "" -> raw;
                case "HEADER" -> headerBytes();
                case "TEXT" -> textBytes();
                case "HEADER.FIELDS", "HEADER.FIELDS.NOT" -> fields(header(), fields, text.endsWith(".NOT"));
                default -> new byte[0];
            };
        }
        Message m = message();
        if (m == null) {
            return part.length == 1 && part[0] == 1 && text.isEmpty() ? textBytes() : new byte[0];
        }
        Entity e = m;
        for (int i = 0; i < part.length; i++) {
            Body b = e.getBody();
            if (b instanceof Message inner && e != m) {
                e = inner; // into an encapsulated message: its parts are numbered from here
                b = e.getBody();
            }
            if (b instanceof Multipart mp) {
                if (part[i] < 1 || part[i] > mp.getCount()) {
                    return new byte[0];
                }
                e = mp.getBodyParts().get(part[i] - 1);
            } else if (part[i] != 1) {
                return new byte[0];
            }
        }
        switch (text) {
            case "MIME" -> {
                return e == m ? new byte[0] : span(e).header();
            }
            case "HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT" -> {
                if (!(e.getBody() instanceof Message inner)) {
                    return new byte[0];
                }
                return switch (text) {
                    case "HEADER" -> span(inner).header();
                    case "TEXT" -> span(inner).content();
                    default -> fields(inner.getHeader(), fields, text.endsWith(".NOT"));
                };
            }
            default -> {
                if (e == m) {
                    return textBytes();
                }
                return span(e).content(); // a message's body, a part's content, or a whole encapsulated message
            }
        }
    }

    private static byte[] fields(Header h, List<String> names, boolean not) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Field f : h.getFields()) {
            boolean listed = false;
            for (String n : names) {
                if (n.equalsIgnoreCase(f.getName())) {
                    listed = true;
                    break;
                }
            }
            if (listed != not) {
                out.writeBytes(f.getRaw().toByteArray());
                out.write('\r');
                out.write('\n');
            }
        }
        out.write('\r');
        out.write('\n');
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- SEARCH

    /** The decoded values of a header field, joined (for SEARCH); empty when absent. */
    String decoded(String name) {
        StringBuilder sb = new StringBuilder();
        for (Field f : header().getFields(name)) {
            String v = f.getBody();
            if (v != null) {
                try {
                    sb.append(DecoderUtil.decodeEncodedWords(v.replace("\r\n", "").replace("\n", ""), DecodeMonitor.SILENT)).append(' ');
                } catch (RuntimeException e) {
                    sb.append(v).append(' ');
                }
            }
        }
        return sb.toString();
    }

    /** The decoded text of the message's text parts (for SEARCH BODY and TEXT). */
    String bodyText() {
        Message m;
        try {
            m = builder(true).parseMessage(new ByteArrayInputStream(raw));
        } catch (IOException | RuntimeException e) {
            return new String(raw, headerEnd, raw.length - headerEnd, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder();
        collectText(m, sb);
        return sb.toString();
    }

    private static void collectText(Entity e, StringBuilder sb) {
        Body b = e.getBody();
        if (b instanceof Multipart mp) {
            for (Entity p : mp.getBodyParts()) {
                collectText(p, sb);
            }
        } else if (b instanceof Message inner) {
            collectText(inner, sb);
        } else if (b instanceof TextBody t) {
            try (java.io.Reader r = t.getReader()) {
                char[] buf = new char[8192];
                int k;
                while ((k = r.read(buf)) > 0 && sb.length() < 10_000_000) {
                    sb.append(buf, 0, k);
                }
            } catch (IOException | RuntimeException ex) {
                // an undecodable part is not searched
            }
        }
    }

    /** The Date header's instant, or null. */
    java.util.Date sentDate() {
        Field f = header().getField("Date");
        if (f instanceof org.apache.james.mime4j.dom.field.DateTimeField d) {
            return d.getDate();
        }
        return null;
    }
}
