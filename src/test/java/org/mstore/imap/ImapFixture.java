package org.mstore.imap;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.UnaryOperator;

import org.mstore.api.OpenOptions;
import org.mstore.api.Setting;
import org.mstore.engine.Engine;

/**
 * A real store in a temporary directory, opened as {@code imapd} (so its log lines carry the server's name and pid),
 * with a real IMAP server on an ephemeral loopback port.
 */
final class ImapFixture implements AutoCloseable {
    static final String PASSWORD = "correct horse";
    final Path root;
    final Engine engine;
    final ImapServer server;
    final InetSocketAddress address;

    private ImapFixture(Path root, Engine engine, ImapServer server, InetSocketAddress address) {
        this.root = root;
        this.engine = engine;
        this.server = server;
        this.address = address;
    }

    static OpenOptions options() {
        return new OpenOptions(Clock.systemDefaultZone(), "imapd", false, true);
    }

    static ImapFixture start(Path dir) throws Exception {
        return start(dir, false, c -> c);
    }

    static ImapFixture start(Path dir, boolean immediate, UnaryOperator<ImapConfig> config) throws Exception {
        Path root = dir.resolve("store");
        return on(root, Engine.init(root, options()), immediate, config);
    }

    /** The server over a store already open (a Cassandra store, say), with alice added. */
    static ImapFixture on(Path root, Engine e, boolean immediate, UnaryOperator<ImapConfig> config) throws Exception {
        e.settings().set(Setting.IMAP_IMMEDIATE_FLAG_UPDATE, Boolean.toString(immediate));
        e.users().add("alice", PASSWORD.toCharArray());
        ImapConfig c = config.apply(ImapConfig.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
        ImapServer s = new ImapServer(e, c);
        InetSocketAddress a = s.start();
        return new ImapFixture(root, e, s, a);
    }

    int port() {
        return address.getPort();
    }

    RawImap connect() throws IOException {
        return new RawImap(address.getAddress().getHostAddress(), port());
    }

    /** A raw client logged in as alice. */
    RawImap login() throws IOException {
        RawImap c = connect();
        c.readLine();
        c.ok("LOGIN alice \"" + PASSWORD + "\"");
        return c;
    }

    @Override
    public void close() {
        server.close();
        engine.close();
    }
}
