package org.mstore.imap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Turns the client's bytes into {@link ImapLine}s: lines up to CRLF, and the literals they announce ({@code {n}},
 * or {@code {n+}} with LITERAL+), asking for a synchronizing literal with a continuation request. The limits live
 * here: a line longer than {@code maxLine} is skipped and answered with {@code BAD}; a literal bigger than
 * {@code maxLiteral} is refused before a byte of it is read ({@code NO [TOOBIG]} with no continuation; a
 * non-synchronizing one cannot be refused, so the connection ends with {@code BYE}). A literal's bytes are held as
 * they arrive (never allocated up front at the announced size), and a command cut off by a disconnect is dropped
 * whole. After a STARTTLS command nothing more is decoded until {@link #resume()}: bytes sent behind it in the clear
 * are thrown away (no command injection into the TLS session).
 *
 * <p>Every literal's announced size is reserved in the server's {@link LiteralBudget} before a byte of it is read, and
 * handed with the command's {@link ImapLine} to be released once the command has run. While it does not fit, nothing more
 * is read from the connection: a synchronizing literal gets its continuation when it fits, a non-synchronizing one is
 * read when it fits. A literal bigger than the whole budget is refused like one over {@code maxLiteral}. No connection
 * waits while the command it is reading holds a reservation that waiting would keep (see {@link #reserve}).
 */
final class ImapDecoder extends ByteToMessageDecoder {
    private static final Pattern LITERAL = Pattern.compile("\\{(\\d{1,20})(\\+?)\\}$");
    private static final Pattern STARTTLS = Pattern.compile("^[^ ]+ STARTTLS$", Pattern.CASE_INSENSITIVE);
    private static final Pattern IDLE = Pattern.compile("^[^ ]+ IDLE$", Pattern.CASE_INSENSITIVE);

    private enum Mode { LINE, LITERAL, SKIP_LINE, PAUSED, WAITING, CLOSED }

    private final int maxLine;
    private final long maxLiteral;
    private final LiteralBudget budget;
    /** Whether the connection's own limits (its waiting commands) let reading go on; set by its handler. */
    private BooleanSupplier mayRead = () -> true;
    /** Bytes of the budget the command being read holds. */
    private long held;
    /** The reservation waited for (mode WAITING), or null. */
    private LiteralBudget.Ticket ticket;
    private boolean pendingSync;
    /** The last line handed over was an IDLE command, and nothing of the next has been decoded. */
    private boolean afterIdle;
    /** The session is in IDLE and the next line is the client's answer to its continuation. */
    private boolean idling;
    private boolean gone;
    private Mode mode = Mode.LINE;
    private List<Object> parts = new ArrayList<>();
    private long commandBytes;
    private byte[] literal;
    private int literalFill;
    private int literalSize;

    ImapDecoder(int maxLine, long maxLiteral, LiteralBudget budget) {
        this.maxLine = maxLine;
        this.maxLiteral = maxLiteral;
        this.budget = budget;
    }

    void mayRead(BooleanSupplier mayRead) {
        this.mayRead = mayRead;
    }

    /** True while a literal waits for room in the budget (reading must then stay off). */
    boolean waiting() {
        return mode == Mode.WAITING;
    }

    /**
     * The session has entered IDLE (on the event loop, before its continuation is written). When the IDLE command is
     * still the last line decoded, the next line is the client's answer: only {@code DONE} belongs there, so a literal it
     * announces is not reserved nor asked for, and the line ends the IDLE at once. A client that was held for a literal
     * here held its reservation until the idle timeout (30 minutes), and any other connection's literal waited as long.
     * When a line has come since (a client that did not wait for the continuation), it was decoded as a command.
     */
    void idling() {
        idling = afterIdle;
    }

    /** Decoding goes on after a STARTTLS (the TLS handler is in place, or the command failed). */
    void resume(ChannelHandlerContext ctx) {
        if (mode == Mode.PAUSED) {
            mode = Mode.LINE;
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            switch (mode) {
                case PAUSED, CLOSED -> {
                    in.skipBytes(in.readableBytes());
                    return;
                }
                case WAITING -> {
                    // what arrived is kept for when the literal fits; nothing more is read meanwhile
                    ctx.channel().config().setAutoRead(false);
                    return;
                }
                case SKIP_LINE -> {
                    int nl = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
                    if (nl < 0) {
                        in.skipBytes(in.readableBytes());
                        return;
                    }
                    in.readerIndex(nl + 1);
                    mode = Mode.LINE;
                }
                case LITERAL -> {
                    int n = Math.min(in.readableBytes(), literalSize - literalFill);
                    if (literal.length < literalFill + n) {
                        long grown = Math.max((long) literal.length * 2, literalFill + n);
                        literal = java.util.Arrays.copyOf(literal, (int) Math.min(literalSize, grown));
                    }
                    in.readBytes(literal, literalFill, n);
                    literalFill += n;
                    if (literalFill == literalSize) {
                        parts.add(literal);
                        literal = null;
                        mode = Mode.LINE;
                    }
                }
                case LINE -> {
                    if (!line(ctx, in, out)) {
                        return;
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** Reads one line if it is all there; false when more bytes are needed. */
    private boolean line(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int search = Math.min(in.readableBytes(), maxLine + 2);
        int nl = in.indexOf(in.readerIndex(), in.readerIndex() + search, (byte) '\n');
        if (nl < 0) {
            if (in.readableBytes() > maxLine) {
                String head = in.toString(in.readerIndex(), Math.min(in.readableBytes(), 100), StandardCharsets.ISO_8859_1);
                refuse(out, tagOf(head), "BAD", "[TOOBIG] Line too long (the limit is " + maxLine + " bytes); command ignored", false);
                // skip to the end of this line only: the next command may already be here, after it
                int end = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
                if (end >= 0) {
                    in.readerIndex(end + 1);
                    return true;
                }
                in.skipBytes(in.readableBytes());
                mode = Mode.SKIP_LINE;
            }
            return false;
        }
        int len = nl - in.readerIndex();
        String text = in.toString(in.readerIndex(), len, StandardCharsets.UTF_8);
        in.readerIndex(nl + 1);
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        if (len > maxLine) {
            refuse(out, tagOf(text), "BAD", "[TOOBIG] Line too long (the limit is " + maxLine + " bytes); command ignored", false);
            return true;
        }
        commandBytes += text.length();
        boolean idleAnswer = idling;
        afterIdle = false;
        idling = false;
        Matcher m = LITERAL.matcher(text);
        if (m.find()) {
            boolean sync = m.group(2).isEmpty();
            if (idleAnswer) {
                if (sync) {
                    // no continuation, so the client sends no literal: the line alone ends the IDLE (BAD: not DONE)
                    out.add(new ImapLine(List.of(text)));
                    parts = new ArrayList<>();
                    commandBytes = 0;
                } else {
                    refuse(out, tagOf(text), "BAD", "Expected DONE to end IDLE; a non-synchronizing literal cannot be skipped", true);
                    mode = Mode.CLOSED;
                }
                return true;
            }
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                n = Long.MAX_VALUE;
            }
            long limit = Math.min(maxLiteral, budget.total() - held);
            if (n > limit || commandBytes + n > maxLiteral + 16L * maxLine) {
                String tag = tagOf(parts.isEmpty() ? text : (String) parts.get(0));
                String why = "[TOOBIG] Literal of " + n + " bytes refused: the limit is " + limit + " bytes";
                if (sync) {
                    refuse(out, tag, "NO", why, false);
                } else {
                    refuse(out, tag, "BAD", why + "; a non-synchronizing literal cannot be skipped", true);
                    mode = Mode.CLOSED;
                }
                return true;
            }
            parts.add(text);
            literalSize = (int) n;
            commandBytes += n;
            if (n == 0) {
                parts.add(new byte[0]);
                if (sync) {
                    ctx.writeAndFlush(ImapResponse.continuation("Ready for literal data"));
                }
                return true;
            }
            pendingSync = sync;
            return reserve(ctx, out, tagOf((String) parts.get(0)), n);
        }
        parts.add(text);
        out.add(new ImapLine(parts, held));
        held = 0;
        boolean starttls = parts.size() == 1 && STARTTLS.matcher(text).matches();
        afterIdle = parts.size() == 1 && IDLE.matcher(text).matches();
        parts = new ArrayList<>();
        commandBytes = 0;
        if (starttls) {
            mode = Mode.PAUSED;
            in.skipBytes(in.readableBytes());
            return false;
        }
        return true;
    }

    /**
     * Reserves the {@code n} bytes of the literal announced; true when it is read now, false when it waits for room
     * (reading is off until {@link #granted}). The first literal of a command waits. A later one that does not fit at
     * once would wait while holding the earlier ones' reservation, which two connections doing so could hold from each
     * other for ever: when what the command holds is small (a mailbox name, a password: at most a line's worth), it is
     * given back and the whole is waited for afresh; otherwise the command is refused ({@code NO [LIMIT]}, or for a
     * non-synchronizing literal, which cannot be skipped, {@code BAD} and {@code BYE}).
     */
    private boolean reserve(ChannelHandlerContext ctx, List<Object> out, String tag, long n) {
        long want = n;
        if (held > 0) {
            if (budget.tryReserve(n)) {
                held += n;
                startLiteral(ctx);
                return true;
            }
            if (held > maxLine) {
                String why = "[LIMIT] The server's memory for literals is in use; send the command again later";
                if (pendingSync) {
                    refuse(out, tag, "NO", why, false);
                } else {
                    refuse(out, tag, "BAD", why + "; a non-synchronizing literal cannot be skipped", true);
                    mode = Mode.CLOSED;
                }
                return true;
            }
            want = held + n;
            budget.release(held);
            held = 0;
        }
        long w = want;
        ticket = budget.reserve(want, () -> {
            try {
                ctx.executor().execute(() -> granted(ctx, w));
            } catch (RejectedExecutionException e) {
                budget.release(w); // the server is stopping: the connection will never read it
            }
        });
        if (ticket == null) {
            held += want;
            startLiteral(ctx);
            return true;
        }
        mode = Mode.WAITING;
        ctx.channel().config().setAutoRead(false);
        return false;
    }

    /** The literal waited for fits now (on the event loop): it is asked for or read, and what arrived meanwhile decoded. */
    private void granted(ChannelHandlerContext ctx, long bytes) {
        ticket = null;
        if (gone || mode != Mode.WAITING) {
            budget.release(bytes);
            return;
        }
        held += bytes;
        startLiteral(ctx);
        if (mayRead.getAsBoolean()) {
            ctx.channel().config().setAutoRead(true);
        }
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
    }

    private void startLiteral(ChannelHandlerContext ctx) {
        literalFill = 0;
        literal = new byte[Math.min(literalSize, 64 * 1024)];
        mode = Mode.LITERAL;
        if (pendingSync) {
            ctx.writeAndFlush(ImapResponse.continuation("Ready for literal data"));
        }
    }

    private void refuse(List<Object> out, String tag, String status, String text, boolean close) {
        out.add(new DecodeError(tag, status, text, close));
        // what is refused ends an IDLE as any line does (the session answers it with IDLE's tag)
        afterIdle = false;
        idling = false;
        parts = new ArrayList<>();
        commandBytes = 0;
        literal = null;
        budget.release(held);
        held = 0;
    }

    /** The connection is gone: what the command being read holds or waits for goes back to the budget. */
    private void releaseAll() {
        gone = true;
        if (ticket != null && budget.cancel(ticket)) {
            ticket = null;
        }
        budget.release(held);
        held = 0;
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releaseAll();
    }

    /** The tag at the start of a command line, if it looks like one. */
    static String tagOf(String line) {
        int sp = line.indexOf(' ');
        String t = sp < 0 ? line : line.substring(0, sp);
        if (t.isEmpty() || t.length() > 64 || t.equals("*") || t.equals("+")) {
            return "*";
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c <= ' ' || c >= 127 || "(){%*\"\\+".indexOf(c) >= 0) {
                return "*";
            }
        }
        return t;
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        // the connection is gone: a command that is not complete (an APPEND cut off mid-literal) is dropped whole
        in.skipBytes(in.readableBytes());
        parts = new ArrayList<>();
        literal = null;
        releaseAll();
    }

    @Override
    public String toString() {
        return "ImapDecoder[" + mode.name().toLowerCase(Locale.ROOT) + "]";
    }
}
