package org.mstore.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.mstore.api.MessageSummary;

/** A {@link MessageSummary} as a cache record's payload: encoded, decoded, and parsed from a message's header block. */
public final class SummaryCodec {
    static final int MAX_FIELD_BYTES = 1024;

    private SummaryCodec() {
    }

    static byte[] encode(MessageSummary m) {
        String[] fields = {m.date(), m.from(), m.to(), m.cc(), m.subject(), m.messageId(), m.inReplyTo(), m.contentType()};
        byte[][] enc = new byte[fields.length][];
        int len = 8 + 4;
        for (int i = 0; i < fields.length; i++) {
            enc[i] = truncate(fields[i] == null ? "" : fields[i]);
            len += 2 + enc[i].length;
        }
        ByteBuffer b = ByteBuffer.allocate(len);
        b.putLong(m.internalDate()).putInt(m.size());
        for (byte[] e : enc) {
            b.putShort((short) e.length).put(e);
        }
        return b.array();
    }

    static MessageSummary decode(ByteBuffer b) {
        long internal = b.getLong();
        int size = b.getInt();
        String[] f = new String[8];
        for (int i = 0; i < f.length; i++) {
            int n = b.getShort() & 0xffff;
            byte[] bytes = new byte[n];
            b.get(bytes);
            f[i] = new String(bytes, StandardCharsets.UTF_8);
        }
        return new MessageSummary(internal, size, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
    }

    private static byte[] truncate(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_FIELD_BYTES) {
            return b;
        }
        int end = MAX_FIELD_BYTES;
        while (end > 0 && (b[end] & 0xC0) == 0x80) {
            end--; // do not cut a UTF-8 sequence in half
        }
        byte[] out = new byte[end];
        System.arraycopy(b, 0, out, 0, end);
        return out;
    }

    /** Builds a summary from the start of a message (its header block). */
    public static MessageSummary parse(byte[] head, int headLength, long internalDate, int size) {
        MessageHeaders h = MessageHeaders.parse(head, headLength);
        return new MessageSummary(internalDate, size, h.get("date"), h.get("from"), h.get("to"), h.get("cc"),
                h.get("subject"), h.get("message-id"), h.get("in-reply-to"), h.get("content-type"));
    }
}
