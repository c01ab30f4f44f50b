package org.mstore.lmtp;

import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.mstore.api.LogLevel;
import org.mstore.api.MessageStore;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.handler.timeout.ReadTimeoutHandler;

/**
 * {@code mstore lmtpd}: LMTP (RFC 2033) for an MTA to deliver into the store: {@code RCPT TO:<user>} delivers to
 * {@code user/NAME}, {@code <user+folder>} to {@code user/NAME/folder} when it exists (the INBOX otherwise), and the
 * answer after DATA is one reply per recipient, sent only once the message is on disk (the engine's append forces it).
 */
public final class LmtpServer implements AutoCloseable {
    public static final int DEFAULT_PORT = 2424;

    /**
     * Where and how the server runs.
     *
     * @param address        where to listen
     * @param maxMessage     largest message, in bytes
     * @param maxRecipients  recipients of one message
     * @param maxConnections connections at once
     */
    public record Config(InetSocketAddress address, long maxMessage, int maxRecipients, int maxConnections) {
        public static Config defaults(InetSocketAddress address) {
            return new Config(address, 64L << 20, 100, 200);
        }
    }

    private final MessageStore store;
    private final Config config;
    private final ExecutorService pool;
    private final AtomicInteger connections = new AtomicInteger();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel channel;

    public LmtpServer(MessageStore store, Config config) {
        this.store = store;
        this.config = config;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "lmtpd-session-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public InetSocketAddress start() throws InterruptedException {
        boss = new NioEventLoopGroup(1);
        workers = new NioEventLoopGroup(2);
        channel = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(10, TimeUnit.MINUTES));
                        ch.pipeline().addLast(new StringEncoder(java.nio.charset.StandardCharsets.UTF_8));
                        LmtpDecoder decoder = new LmtpDecoder(4096, config.maxMessage());
                        ch.pipeline().addLast(decoder);
                        ch.pipeline().addLast(new LmtpHandler(LmtpServer.this, decoder));
                    }
                }).bind(config.address()).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
        store.log("General", LogLevel.NOTICE, "lmtpd listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort());
        return bound;
    }

    MessageStore store() {
        return store;
    }

    Config config() {
        return config;
    }

    ExecutorService pool() {
        return pool;
    }

    boolean admit() {
        if (connections.incrementAndGet() > config.maxConnections()) {
            connections.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        connections.decrementAndGet();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly();
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        pool.shutdown();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
