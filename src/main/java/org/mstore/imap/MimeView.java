package org.mstore.imap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.codec.EncoderUtil;
import org.apache.james.mime4j.dom.Body;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Header;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.dom.TextBody;
import org.apache.james.mime4j.dom.address.Address;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Group;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.dom.field.ContentDispositionField;
import org.apache.james.mime4j.dom.field.ContentTypeField;
import org.apache.james.mime4j.field.address.LenientAddressParser;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.message.DefaultMessageWriter;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;

/**
 * One message seen through Apache James Mime4j: its ENVELOPE, BODYSTRUCTURE and BODY[section] contents. The top
 * level's header and text are cut from the stored bytes exactly (the first empty line ends the header); the parts
 * below come from Mime4j's parse (transfer encodings left as they are) and are written back with its writer.
 */
final class MimeView {
    private static final MimeConfig CONFIG = new MimeConfig.Builder().setMaxLineLen(-1).setMaxHeaderLen(-1).setMaxHeaderCount(-1)
            .setMaxContentLen(-1).setMaxNestingDepth(40).setStrictParsing(false).build();

    final byte[] raw;
    private final int headerEnd;
    private Header header;
    private Message message;
    private boolean broken;

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
        return java.util.Arrays.copyOfRange(raw, 0, headerEnd);
    }

    byte[] textBytes() {
        return java.util.Arrays.copyOfRange(raw, headerEnd, raw.length);
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

    private static void structure(Resp out, Entity e, boolean extended) {
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
        byte[] content = bodyBytes(body);
        out.sp().num(content.length);
        if (body instanceof Message inner) {
            out.sp();
            envelope(out, inner.getHeader());
            out.sp();
            structure(out, inner, extended);
            out.sp().num(lines(content, 0, content.length));
        } else if (type.equalsIgnoreCase("text")) {
            out.sp().num(lines(content, 0, content.length));
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

    private static byte[] bodyBytes(Body body) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (body instanceof SingleBody s) {
                try (InputStream in = s.getInputStream()) {
                    in.transferTo(out);
                }
            } else {
                new DefaultMessageWriter().writeBody(body, out);
            }
            return out.toByteArray();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    // ---------------------------------------------------------------- BODY[section]

    /**
     * The bytes of a section: {@code part} is the part numbers (empty for the top level), {@code text} one of "",
     * HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME; {@code fields} the names for HEADER.FIELDS. An empty array
     * when the part does not exist (RFC 3501 lets a server return an empty string).
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
        try {
            DefaultMessageWriter w = new DefaultMessageWriter();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            switch (text) {
                case "MIME" -> {
                    if (e == m) {
                        return new byte[0];
                    }
                    w.writeHeader(e.getHeader(), out);
                }
                case "HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT" -> {
                    if (!(e.getBody() instanceof Message inner)) {
                        return new byte[0];
                    }
                    switch (text) {
                        case "HEADER" -> w.writeHeader(inner.getHeader(), out);
                        case "TEXT" -> w.writeBody(inner.getBody(), out);
                        default -> {
                            return fields(inner.getHeader(), fields, text.endsWith(".NOT"));
                        }
                    }
                }
                default -> {
                    if (e == m) {
                        return textBytes();
                    }
                    w.writeBody(e.getBody(), out); // a message's body, a part's content, or a whole encapsulated message
                }
            }
            return out.toByteArray();
        } catch (IOException ex) {
            return new byte[0];
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
