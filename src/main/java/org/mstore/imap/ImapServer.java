package org.mstore.imap;

import java.net.InetSocketAddress;
import java.time.ZoneId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.mstore.api.LogLevel;
import org.mstore.api.MessageStore;
import org.mstore.api.Setting;
import org.mstore.api.StoreEvent;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * {@code mstore imapd}: an IMAP4rev1 server (RFC 3501, with IDLE, UIDPLUS, LITERAL+, NAMESPACE, ENABLE, UNSELECT,
 * MOVE) on Netty. Each connection's pipeline is an {@link ImapEncoder}, an {@link ImapDecoder} (where the limits live)
 * and an {@link ImapHandler}, which hands each command to its session's {@link SessionQueue}: engine calls run on the
 * server's session threads, never on the event loop. Events of the store reach the sessions that have the mailbox
 * selected.
 */
public final class ImapServer implements AutoCloseable {
    /** The session whose command is running on this thread (its own changes are not news to it). */
    static final ThreadLocal<ImapSession> ACTOR = new ThreadLocal<>();

    private final MessageStore store;
    private final ImapConfig config;
    private final LoginThrottle throttle = new LoginThrottle();
    private final LiteralBudget literals;
    private final Set<ImapSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final ExecutorService pool;
    private final ScheduledExecutorService timer;
    private final ZoneId zone;
    private volatile boolean immediate;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel channel;
    private AutoCloseable subscription;

    public ImapServer(MessageStore store, ImapConfig config) {
        this.store = store;
        this.config = config;
        this.zone = store.clock().getZone();
        this.literals = new LiteralBudget(config.literalMemory());
        this.pool = Executors.newFixedThreadPool(config.threads(), daemon("imapd-session"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("imapd-timer"));
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Starts listening; returns the address bound (with the port chosen when the config asked for 0). */
    public InetSocketAddress start() throws InterruptedException {
        readSettings();
        subscription = store.subscribe(this::onEvent);
        boss = new NioEventLoopGroup(1, daemon("imapd-accept"));
        workers = new NioEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()), daemon("imapd-io"));
        ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("idle", new IdleStateHandler(config.preAuthTimeout().toSeconds(), 0, 0, TimeUnit.SECONDS));
                        ch.pipeline().addLast("encoder", ImapEncoder.INSTANCE);
                        ImapDecoder decoder = new ImapDecoder(config.maxLine(), config.maxLiteral(), literals);
                        ch.pipeline().addLast("decoder", decoder);
                        ch.pipeline().addLast("handler", new ImapHandler(ImapServer.this, decoder));
                    }
                });
        channel = b.bind(config.address()).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
        store.log("General", LogLevel.NOTICE, "imapd listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort()
                + (config.tls() != null ? " (STARTTLS available)" : " (no TLS)"));
        return bound;
    }

    private void readSettings() {
        immediate = Boolean.parseBoolean(store.settings().get(Setting.IMAP_IMMEDIATE_FLAG_UPDATE));
    }

    MessageStore store() {
        return store;
    }

    ImapConfig config() {
        return config;
    }

    LiteralBudget literals() {
        return literals;
    }

    LoginThrottle throttle() {
        return throttle;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    ExecutorService pool() {
        return pool;
    }

    ZoneId zone() {
        return zone;
    }

    boolean immediateFlagUpdate() {
        return immediate;
    }

    /** Sessions connected now. */
    public int sessionCount() {
        return sessions.size();
    }

    // ---------------------------------------------------------------- connections

    /** Counts a new connection; false (and nothing counted) when a limit says no. */
    boolean admit(String address) {
        if (connections.incrementAndGet() > config.maxConnections()) {
            connections.decrementAndGet();
            return false;
        }
        AtomicInteger a = perAddress.computeIfAbsent(address, k -> new AtomicInteger());
        if (a.incrementAndGet() > config.maxPerAddress()) {
            a.decrementAndGet();
            connections.decrementAndGet();
            return false;
        }
        return true;
    }

    void release(String address) {
        connections.decrementAndGet();
        perAddress.computeIfPresent(address, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    void added(ImapSession s) {
        sessions.add(s);
    }

    void removed(ImapSession s) {
        sessions.remove(s);
    }

    // ---------------------------------------------------------------- events

    private void onEvent(StoreEvent e) {
        if (e instanceof StoreEvent.MessagesChanged m) {
            ImapSession actor = ACTOR.get();
            for (ImapSession s : sessions) {
                if (s != actor && m.mailbox().equals(s.selectedName())) {
                    s.queue().submit(() -> s.messagesChanged(m));
                }
            }
        } else if (e instanceof StoreEvent.MailboxesChanged m) {
            for (ImapSession s : sessions) {
                String sel = s.selectedName();
                if (sel != null && m.names().contains(sel)) {
                    s.queue().submit(s::mailboxChanged);
                }
            }
        } else if (e instanceof StoreEvent.SettingsChanged c && c.keys().contains(Setting.IMAP_IMMEDIATE_FLAG_UPDATE.key())) {
            readSettings();
        }
    }

    /** Messages were added to {@code mailbox} by a session of this server: the others that have it selected look. */
    void changed(String mailbox) {
        ImapSession actor = ACTOR.get();
        for (ImapSession s : sessions) {
            if (s != actor && mailbox.equals(s.selectedName())) {
                s.queue().submit(s::mailboxChanged);
            }
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly();
        }
        if (subscription != null) {
            try {
                subscription.close();
            } catch (Exception ignored) {
                // unsubscribing cannot fail in a way that matters at shutdown
            }
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        pool.shutdown();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
    }
}
