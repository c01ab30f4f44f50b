package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.mstore.lmtp.LmtpServer;

/** An LMTP session over a real socket, byte for byte as the test writes it, greeted and past LHLO: for hostile input. */
final class RawLmtp implements AutoCloseable {
    private final LmtpServer server;
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    private RawLmtp(LmtpServer server) throws Exception {
        this.server = server;
        this.socket = new Socket(InetAddress.getLoopbackAddress(), server.start().getPort());
        socket.setSoTimeout(20_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
        out = socket.getOutputStream();
    }

    /** Starts lmtpd on the fixture's store (loopback, any port), connects and says LHLO. */
    static RawLmtp open(ImapFixture f) throws Exception {
        RawLmtp c = new RawLmtp(new LmtpServer(f.engine,
                LmtpServer.Config.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))));
        assertThat(c.readLine()).startsWith("220");
        c.send("LHLO client.example\r\n");
        String l;
        do {
            l = c.readLine();
        } while (l.startsWith("250-"));
        assertThat(l).startsWith("250 ");
        return c;
    }

    /** Sends these bytes as they are (US-ASCII): the caller writes every CR and LF. */
    void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Sends this text as UTF-8 (8-bit where it is beyond ASCII): the caller writes every CR and LF. */
    void sendUtf8(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** One reply line, each byte a char (ISO-8859-1): a byte over 0x7f reads as a char over 0x7f. */
    String readLine() throws IOException {
        return in.readLine();
    }

    @Override
    public void close() throws Exception {
        try {
            socket.close();
        } finally {
            server.close();
        }
    }
}
