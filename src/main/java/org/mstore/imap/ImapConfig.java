package org.mstore.imap;

import java.net.InetSocketAddress;
import java.time.Duration;

import io.netty.handler.ssl.SslContext;

/**
 * How an IMAP server runs: where it listens, its TLS, and its limits. Every limit is answered with a clear
 * {@code BAD}, {@code NO} or {@code BYE}, never a dropped connection without a word.
 *
 * @param address             where to listen (port 0: any free port)
 * @param tls                 the TLS context for STARTTLS, or null (no STARTTLS)
 * @param maxLine             longest command line, in bytes
 * @param maxLiteral          largest literal (an APPENDed message), in bytes
 * @param maxConnections      connections at once
 * @param maxPerAddress       connections at once from one address
 * @param maxCommands         commands in one session
 * @param maxBadCommands      malformed commands in a row before the session is ended
 * @param preAuthTimeout      how long a connection may stay without logging in
 * @param idleTimeout         how long a logged-in connection may stay silent (RFC 3501: at least 30 minutes)
 * @param threads             threads for the sessions' engine calls
 * @param literalMemory       bytes of literals all connections together may hold in memory at once
 */
public record ImapConfig(InetSocketAddress address, SslContext tls, int maxLine, long maxLiteral, int maxConnections, int maxPerAddress,
                         long maxCommands, int maxBadCommands, Duration preAuthTimeout, Duration idleTimeout, int threads,
                         long literalMemory) {
    public static final int DEFAULT_PORT = 1143;

    /** The defaults, listening on {@code address}. */
    public static ImapConfig defaults(InetSocketAddress address) {
        return new ImapConfig(address, null, 64 * 1024, 64L << 20, 1000, 200, 1_000_000, 20, Duration.ofSeconds(60),
                Duration.ofMinutes(30), 16, defaultLiteralMemory());
    }

    /** A quarter of the heap: room for the messages being stored and served beside the literals being received. */
    public static long defaultLiteralMemory() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    public ImapConfig withTls(SslContext ctx) {
        return new ImapConfig(address, ctx, maxLine, maxLiteral, maxConnections, maxPerAddress, maxCommands, maxBadCommands,
                preAuthTimeout, idleTimeout, threads, literalMemory);
    }

    public ImapConfig withLimits(int line, long literal, int connections, int perAddress, long commands) {
        return new ImapConfig(address, tls, line, literal, connections, perAddress, commands, maxBadCommands, preAuthTimeout,
                idleTimeout, threads, literalMemory);
    }

    public ImapConfig withTimeouts(Duration preAuth, Duration idle) {
        return new ImapConfig(address, tls, maxLine, maxLiteral, maxConnections, maxPerAddress, maxCommands, maxBadCommands, preAuth,
                idle, threads, literalMemory);
    }

    public ImapConfig withLiteralMemory(long bytes) {
        return new ImapConfig(address, tls, maxLine, maxLiteral, maxConnections, maxPerAddress, maxCommands, maxBadCommands,
                preAuthTimeout, idleTimeout, threads, bytes);
    }
}
