package org.mstore.lmtp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Turns the client's bytes into command lines ({@link String}) and, after the server's 354, one message
 * ({@link Message}): the lines up to {@code CRLF.CRLF} (only that: a bare LF ends no line), dot-unstuffed, with every
 * bare LF (one not after a CR) made a CRLF, as Postfix and Dovecot store it: the message is kept, and served by
 * IMAP, with the line ends RFC 5322 and RFC 3501 require (a bare CR is kept as it came). Limits: a command line over {@code maxLine}
 * is answered by the session as an error; a message over {@code maxMessage} is read to its end and dropped
 * ({@link Message#tooBig()}), so the client gets a clear 552 rather than a cut connection. After a DATA line nothing is
 * decoded until the session says whether the message comes ({@link #data(ChannelHandlerContext, boolean)}).
 */
final class LmtpDecoder extends ByteToMessageDecoder {
    /** A message received after DATA. */
    record Message(byte[] content, boolean tooBig) {
    }

    /** A line over the limit. */
    record LineTooLong() {
    }

    private enum Mode { COMMAND, PAUSED, DATA, SKIP_LINE }

    private final int maxLine;
    private final long maxMessage;
    private Mode mode = Mode.COMMAND;
    private ByteArrayOutputStream data;
    private long dataBytes;
    private boolean tooBig;
    /** Whether the message's next byte starts a line: its first, or one after a CRLF (a bare LF ends no line). */
    private boolean lineStart;

    LmtpDecoder(int maxLine, long maxMessage) {
        this.maxLine = maxLine;
        this.maxMessage = maxMessage;
    }

    /** The session's answer to DATA: the message follows (354 was sent), or not. Runs on the event loop. */
    void data(ChannelHandlerContext ctx, boolean accepted) {
        if (mode != Mode.PAUSED) {
            return;
        }
        mode = accepted ? Mode.DATA : Mode.COMMAND;
        data = accepted ? new ByteArrayOutputStream(16 * 1024) : null;
        dataBytes = 0;
        tooBig = false;
        lineStart = true;
        ctx.pipeline().fireChannelRead(Unpooled.EMPTY_BUFFER); // decode what came meanwhile
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable() && mode != Mode.PAUSED) {
            int search = Math.min(in.readableBytes(), maxLine + 2);
            int nl = in.indexOf(in.readerIndex(), in.readerIndex() + search, (byte) '\n');
            if (mode == Mode.SKIP_LINE) {
                int any = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
                if (any < 0) {
                    in.skipBytes(in.readableBytes());
                    return;
                }
                in.readerIndex(any + 1);
                mode = Mode.COMMAND;
                continue;
            }
            if (nl < 0) {
                if (in.readableBytes() > maxLine) {
                    if (mode == Mode.COMMAND) {
                        out.add(new LineTooLong());
                        // skip to the end of this line only: a pipelining client's next commands may be here, after it
                        int end = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
                        if (end >= 0) {
                            in.readerIndex(end + 1);
                            continue;
                        }
                        in.skipBytes(in.readableBytes());
                        mode = Mode.SKIP_LINE;
                    } else {
                        // a message line longer than the limit: kept (SMTP's 1000 is not ours to enforce on content), its
                        // first maxLine bytes now; none is an LF (searched up to maxLine + 2), nor is the byte after them,
                        // so no CRLF is split. The rest is decoded as it comes: it may hold the end of the message.
                        append(in, maxLine, false);
                        lineStart = false;
                        continue;
                    }
                }
                return;
            }
            int len = nl + 1 - in.readerIndex();
            if (mode == Mode.COMMAND) {
                String line = in.toString(in.readerIndex(), len, StandardCharsets.UTF_8).stripTrailing();
                in.readerIndex(nl + 1);
                out.add(line);
                if (line.toUpperCase(Locale.ROOT).equals("DATA")) {
                    mode = Mode.PAUSED;
                    return;
                }
                continue;
            }
            // DATA: up to the next LF. Only CRLF "." CRLF ends the message, and lines (for the end and for dot-stuffing)
            // are CRLF's: a bare LF, "." and a bare LF are the message's bytes, never its end, so that no command can be
            // smuggled after it (RFC 5321 4.1.1.4; "SMTP smuggling")
            boolean crlf = len >= 2 && in.getByte(nl - 1) == '\r';
            if (lineStart) {
                if (len == 3 && in.getByte(in.readerIndex()) == '.' && crlf) {
                    in.readerIndex(nl + 1);
                    out.add(new Message(tooBig ? new byte[0] : data.toByteArray(), tooBig));
                    data = null;
                    mode = Mode.COMMAND;
                    continue;
                }
                if (in.getByte(in.readerIndex()) == '.') {
                    in.skipBytes(1); // dot-stuffing
                    len--;
                }
            }
            append(in, len, !crlf);
            lineStart = crlf;
        }
    }

    /** Takes {@code n} bytes of the message; {@code bareLf}: they end in an LF without a CR, stored as CRLF. */
    private void append(ByteBuf in, int n, boolean bareLf) {
        dataBytes += bareLf ? n + 1 : n;
        if (dataBytes > maxMessage) {
            tooBig = true;
            data.reset();
            in.skipBytes(n);
            return;
        }
        byte[] b = new byte[bareLf ? n + 1 : n];
        in.readBytes(b, 0, n);
        if (bareLf) {
            b[n - 1] = '\r';
            b[n] = '\n';
        }
        data.writeBytes(b);
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        in.skipBytes(in.readableBytes()); // a message cut off by a disconnect is never delivered
        data = null;
    }
}
