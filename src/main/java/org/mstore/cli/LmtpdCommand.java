package org.mstore.cli;

import java.net.InetSocketAddress;
import java.util.concurrent.Callable;

import org.mstore.api.Stores;
import org.mstore.lmtp.LmtpServer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "lmtpd", mixinStandardHelpOptions = true, header = "Accept mail from an MTA over LMTP until stopped.", description = {"Accept mail from an MTA over LMTP (RFC 2033) until stopped: RCPT TO:<user> delivers to "
        + "user/NAME, <user+folder> to user/NAME/folder when it exists; each recipient's 250 comes once the message is on disk."})
final class LmtpdCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;
    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (default: ${DEFAULT-VALUE}; 0: any free port).")
    int port = LmtpServer.DEFAULT_PORT;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind = "127.0.0.1";

    @Option(names = "--max-message", paramLabel = "BYTES", description = "Largest message (default: ${DEFAULT-VALUE}).")
    long maxMessage = 64L << 20;

    @Override
    public Integer call() throws Exception {
        java.nio.file.Path root = store.root();
        if (!Stores.exists(root)) {
            throw new IllegalArgumentException("no store at " + root + "; create one with 'mstore init --store " + root + "'");
        }
        LmtpServer.Config d = LmtpServer.Config.defaults(new InetSocketAddress(bind, port));
        LmtpServer.Config config = new LmtpServer.Config(d.address(), maxMessage, d.maxRecipients(), d.maxConnections());
        return ImapdCommand.Serve.run(spec, root, "lmtpd", s -> {
            LmtpServer server = new LmtpServer(s, config);
            InetSocketAddress a = server.start();
            spec.commandLine().getOut().println("lmtpd: listening on " + a.getAddress().getHostAddress() + ":" + a.getPort());
            spec.commandLine().getOut().flush();
            return server;
        });
    }
}
