package org.mstore.imap;

import java.net.InetSocketAddress;

import org.mstore.api.Sessions;
import org.slf4j.LoggerFactory;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * The end of a connection's pipeline: hands decoded lines to the session's queue (never running a command on the
 * event loop), and is the session's {@link Connection}. Reading stops while a session has many commands waiting, or
 * more than a megabyte of them (a client that sends faster than it reads answers is held back, not buffered without
 * end: 32 pipelined APPENDs of 64 MB each were 2 GB of one connection's in the heap; now one of them waits, at most).
 * A command's literals hold part of the server's {@link LiteralBudget} until it has run; reading also stays off while
 * the decoder waits for room in it.
 */
final class ImapHandler extends ChannelInboundHandlerAdapter implements Connection {
    private static final int PAUSE_AT = 32;
    private static final int RESUME_AT = 8;
    private static final long PAUSE_AT_BYTES = 1L << 20;

    private final ImapServer server;
    private final ImapDecoder decoder;
    private Channel channel;
    private ChannelHandlerContext ctx;
    private ImapSession session;
    private SessionQueue queue;
    private String remote = "?";
    private String remoteHost = "?";
    private boolean admitted;
    private volatile boolean secure;
    private volatile long lastRead = System.nanoTime();
    /** Bytes of the commands waiting in the session's queue (their literals, mostly). */
    private final java.util.concurrent.atomic.AtomicLong queuedBytes = new java.util.concurrent.atomic.AtomicLong();
    private final Object writable = new Object();

    ImapHandler(ImapServer server, ImapDecoder decoder) {
        this.server = server;
        this.decoder = decoder;
        decoder.mayRead(this::queueAllowsReading);
    }

    /** Whether the commands waiting in the session's queue are few and small enough to read more. */
    private boolean queueAllowsReading() {
        return queuedBytes.get() <= PAUSE_AT_BYTES && queue != null && queue.pending() < RESUME_AT;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.channel = ctx.channel();
        InetSocketAddress a = (InetSocketAddress) channel.remoteAddress();
        remoteHost = a.getAddress().getHostAddress();
        remote = remoteHost + ":" + a.getPort();
        if (!server.admit(remoteHost)) {
            ctx.writeAndFlush(ImapResponse.of("* BYE [UNAVAILABLE] Too many connections; try again later\r\n"))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        admitted = true;
        queue = new SessionQueue(server.pool());
        Sessions.Registration reg = server.store().sessions().register("imap", remote);
        session = new ImapSession(server, this, queue, reg);
        server.added(session);
        queue.submit(session::greet);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastRead = System.nanoTime();
        if (session == null) {
            if (msg instanceof ImapLine line) {
                server.literals().release(line.reserved());
            }
            return;
        }
        if (msg instanceof ImapLine line) {
            long size = line.size();
            if (queuedBytes.addAndGet(size) > PAUSE_AT_BYTES | queue.pending() >= PAUSE_AT) {
                channel.config().setAutoRead(false);
            }
            queue.submitAsync(() -> {
                try {
                    return session.line(line);
                } finally {
                    server.literals().release(line.reserved());
                    if (queuedBytes.addAndGet(-size) <= PAUSE_AT_BYTES && !channel.config().isAutoRead() && queue.pending() < RESUME_AT) {
                        // on the event loop, where the decoder decides whether it waits for the budget
                        channel.eventLoop().execute(() -> {
                            if (!decoder.waiting() && queueAllowsReading()) {
                                channel.config().setAutoRead(true);
                            }
                        });
                    }
                }
            });
        } else if (msg instanceof DecodeError e) {
            queue.submit(() -> session.decodeError(e));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent && session != null) {
            long silent = System.nanoTime() - lastRead;
            long limit = session.loggedIn() ? server.config().idleTimeout().toNanos() : server.config().preAuthTimeout().toNanos();
            if (silent >= limit) {
                ctx.writeAndFlush(ImapResponse.of("* BYE Autologout: idle for too long\r\n")).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (admitted) {
            admitted = false;
            server.release(remoteHost);
            server.removed(session);
            queue.submit(session::closed);
        }
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        synchronized (writable) {
            writable.notifyAll();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a reset connection, a TLS failure: nothing to tell a client that is gone; the session ends with the channel
        LoggerFactory.getLogger(ImapHandler.class).debug("IMAP connection {} failed: {}", remote, cause.toString());
        ctx.close();
    }

    // ---------------------------------------------------------------- Connection

    @Override
    public void write(ImapResponse r) {
        channel.write(r);
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public void awaitWritable() {
        channel.flush();
        synchronized (writable) {
            while (!channel.isWritable() && channel.isActive()) {
                try {
                    writable.wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public boolean secure() {
        return secure;
    }

    @Override
    public boolean loopback() {
        return ((InetSocketAddress) channel.remoteAddress()).getAddress().isLoopbackAddress();
    }

    @Override
    public String remote() {
        return remote;
    }

    @Override
    public String remoteHost() {
        return remoteHost;
    }

    @Override
    public void startTls(ImapResponse ok) {
        channel.eventLoop().execute(() -> {
            SslHandler tls = new SslHandler(server.config().tls().newEngine(channel.alloc()), true);
            channel.pipeline().addFirst("tls", tls);
            secure = true;
            channel.writeAndFlush(ok);
            decoder.resume(ctx);
        });
    }

    @Override
    public void resumeDecoding() {
        channel.eventLoop().execute(() -> decoder.resume(ctx));
    }

    @Override
    public void idling() {
        // The decoder must know before the client's answer to "+ idling" is decoded, and it does without more: the session
        // calls this, then writes the continuation, on a pool thread (never on the event loop: SessionQueue), and Netty
        // posts a write from another thread as a task to the channel's event loop (no other executor is in the pipeline),
        // into the same FIFO queue as this task. So this runs before the continuation is written, and the answer, which
        // the client sends only once it has the continuation, is read after.
        channel.eventLoop().execute(decoder::idling);
    }
}
