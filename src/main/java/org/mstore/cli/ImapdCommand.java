package org.mstore.cli;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.mstore.api.MessageStore;
import org.mstore.api.OpenOptions;
import org.mstore.api.Stores;
import org.mstore.imap.ImapConfig;
import org.mstore.imap.ImapServer;
import org.mstore.imap.Tls;

import io.netty.handler.ssl.SslContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "imapd", mixinStandardHelpOptions = true, header = "Serve the store's mail over IMAP4rev1 until stopped.", description = {"Serve the store's mail over IMAP4rev1 (RFC 3501, IDLE, UIDPLUS, LITERAL+) until stopped.",
        "Logins need TLS (STARTTLS) except from this host; without --keystore a self-signed keystore is made under <store>/tls/."})
final class ImapdCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (default: ${DEFAULT-VALUE}; 0: any free port).")
    int port = ImapConfig.DEFAULT_PORT;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind = "127.0.0.1";

    @Option(names = "--keystore", paramLabel = "FILE", description = "PKCS#12 keystore with the server's key and certificate.")
    Path keystore;

    @Option(names = "--keystore-password-file", paramLabel = "FILE", description = "File holding the keystore's password.")
    Path passwordFile;

    @Option(names = "--make-keystore", description = "Make a self-signed keystore under <store>/tls/ and exit.")
    boolean makeKeystore;

    @Option(names = "--no-tls", description = "Offer no STARTTLS (logins are then accepted from this host only).")
    boolean noTls;

    @Option(names = "--max-connections", paramLabel = "N", description = "Connections at once (default: ${DEFAULT-VALUE}).")
    int maxConnections = 1000;

    @Option(names = "--max-line", paramLabel = "BYTES", description = "Longest command line (default: ${DEFAULT-VALUE}).")
    int maxLine = 64 * 1024;

    @Option(names = "--max-literal", paramLabel = "BYTES", description = "Largest message or literal (default: ${DEFAULT-VALUE}).")
    long maxLiteral = 64L << 20;

    @Option(names = "--max-literal-memory", paramLabel = "BYTES", description = "Bytes of literals all connections together may "
            + "hold in memory at once; a literal waits until it fits (default: a quarter of the heap, ${DEFAULT-VALUE}).")
    long maxLiteralMemory = ImapConfig.defaultLiteralMemory();

    @Option(names = "--max-commands", paramLabel = "N", description = "Commands in one session (default: ${DEFAULT-VALUE}).")
    long maxCommands = 1_000_000;

    @Override
    public Integer call() throws Exception {
        Path root = store.root();
        if ((keystore == null) != (passwordFile == null)) {
            throw new IllegalArgumentException("--keystore and --keystore-password-file go together");
        }
        if (makeKeystore) {
            Path ks = keystore != null ? keystore : Tls.defaultKeystore(root);
            Path pw = passwordFile != null ? passwordFile : Tls.defaultPasswordFile(root);
            Tls.make(ks, pw, host());
            spec.commandLine().getOut().println("imapd: made a self-signed keystore " + ks + " (password in " + pw + ")");
            return 0;
        }
        if (maxLiteralMemory <= 0) {
            throw new IllegalArgumentException("--max-literal-memory must be a number of bytes above 0, not " + maxLiteralMemory);
        }
        if (!Stores.exists(root)) {
            throw new IllegalArgumentException("no store at " + root + "; create one with 'mstore init --store " + root + "'");
        }
        return Serve.run(spec, root, "imapd", s -> {
            // after the store is open and known to keep users: no keystore is made for a store imapd cannot serve
            SslContext tls = null;
            if (!noTls) {
                Path ks = keystore != null ? keystore : Tls.defaultKeystore(root);
                Path pw = passwordFile != null ? passwordFile : Tls.defaultPasswordFile(root);
                if (keystore == null && !Files.exists(ks)) {
                    Tls.make(ks, pw, host());
                    spec.commandLine().getErr().println("imapd: made a self-signed keystore " + ks);
                }
                tls = Tls.load(ks, pw);
            }
            boolean withTls = tls != null;
            ImapConfig config = ImapConfig.defaults(new InetSocketAddress(bind, port)).withTls(tls)
                    .withLimits(maxLine, maxLiteral, maxConnections, Math.max(1, Math.min(200, maxConnections)), maxCommands)
                    .withLiteralMemory(maxLiteralMemory);
            ImapServer server = new ImapServer(s, config);
            InetSocketAddress a = server.start();
            spec.commandLine().getOut().println("imapd: listening on " + a.getAddress().getHostAddress() + ":" + a.getPort()
                    + (withTls ? " (STARTTLS)" : " (no TLS)"));
            spec.commandLine().getOut().flush();
            return server;
        });
    }

    static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** Runs a server until SIGTERM (or SIGINT), then stops it and closes the store. */
    static final class Serve {
        interface Starter {
            AutoCloseable start(MessageStore s) throws Exception;
        }

        static int run(CommandSpec spec, Path root, String process, Starter starter) throws Exception {
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch stopped = new CountDownLatch(1);
            OpenOptions options = new OpenOptions(Clock.systemDefaultZone(), process, false, true);
            try (MessageStore s = Stores.open(root, options)) {
                s.info().requireMailUsers(); // the servers log users in and publish their sessions
                AutoCloseable server = starter.start(s);
                Thread hook = new Thread(() -> {
                    stop.countDown();
                    try {
                        stopped.await(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException ignored) {
                        Thread.currentThread().interrupt();
                    }
                }, process + "-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                stop.await();
                server.close();
                spec.commandLine().getOut().println(process + ": stopped");
                spec.commandLine().getOut().flush();
            } finally {
                stopped.countDown();
            }
            return 0;
        }
    }
}
