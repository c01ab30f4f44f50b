package org.mstore.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A bare IMAP client for protocol tests: sends lines, reads responses (literals included in their line). */
final class RawImap implements AutoCloseable {
    final Socket socket;
    InputStream in;
    OutputStream out;
    private int tags;

    RawImap(String host, int port) throws IOException {
        socket = new Socket(host, port);
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    void sendRaw(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** One response line with the literals it announces (null at the end of the stream). */
    String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
            }
            if (c == '\n') {
                String s = b.toString(StandardCharsets.UTF_8);
                if (s.endsWith("\r")) {
                    s = s.substring(0, s.length() - 1);
                }
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{(\\d+)\\}$").matcher(s);
                if (m.find() && !s.startsWith("+")) {
                    int n = Integer.parseInt(m.group(1));
                    byte[] lit = in.readNBytes(n);
                    String rest = readLine();
                    return s + "\r\n" + new String(lit, StandardCharsets.UTF_8) + (rest == null ? "" : rest);
                }
                return s;
            }
            b.write(c);
        }
    }

    /** A line if one comes within {@code millis}, else null. */
    String poll(int millis) throws IOException {
        int old = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            return readLine();
        } catch (SocketTimeoutException e) {
            return null;
        } finally {
            socket.setSoTimeout(old);
        }
    }

    String nextTag() {
        return "t" + (++tags);
    }

    /** Sends a command and returns every line up to and including its tagged response. */
    List<String> command(String cmd) throws IOException {
        String tag = nextTag();
        send(tag + " " + cmd);
        return until(tag);
    }

    List<String> until(String tag) throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String l = readLine();
            if (l == null) {
                lines.add("<closed>");
                return lines;
            }
            lines.add(l);
            if (l.startsWith(tag + " ")) {
                return lines;
            }
        }
    }

    /** The tagged response's line. */
    static String last(List<String> lines) {
        return lines.get(lines.size() - 1);
    }

    List<String> ok(String cmd) throws IOException {
        List<String> r = command(cmd);
        assertThat(last(r)).as(cmd + " -> " + r).matches("t\\d+ OK.*");
        return r;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
