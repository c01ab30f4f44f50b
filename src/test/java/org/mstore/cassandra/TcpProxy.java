package org.mstore.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on 127.0.0.1 in front of the shared Cassandra node: a store whose contact point is the relay loses its
 * node when the relay goes {@link #down} (connections cut, new ones refused) and finds it again when it comes
 * {@link #up}, on the same port, while the node itself (which other test classes use) runs on.
 */
final class TcpProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final int port;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocket server;

    TcpProxy(String target) throws IOException {
        int colon = target.lastIndexOf(':');
        this.targetHost = target.substring(0, colon);
        this.targetPort = Integer.parseInt(target.substring(colon + 1));
        this.port = CassandraFixture.freePort();
        up();
    }

    /** The relay's address, as a contact point. */
    String contactPoint() {
        return "127.0.0.1:" + port;
    }

    /**
     * Accepts connections again, on the same port. The port is one of the ephemeral range, and a client that dialled it
     * while nothing listened may have been given it as its own (a TCP self-connect, which holds the port until the
     * client gives up): the bind is tried again for up to 30 s.
     */
    synchronized void up() throws IOException {
        if (server != null) {
            return;
        }
        ServerSocket s;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (true) {
            s = new ServerSocket();
            s.setReuseAddress(true);
            try {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                break;
            } catch (java.net.BindException e) {
                s.close();
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
        server = s;
        ServerSocket listening = s;
        Thread t = new Thread(() -> accept(listening), "tcp-proxy-" + port);
        t.setDaemon(true);
        t.start();
    }

    /** Cuts every connection and refuses new ones: the node is unreachable for the relay's clients. */
    synchronized void down() throws IOException {
        if (server != null) {
            server.close();
            server = null;
        }
        for (Socket s : open) {
            close(s);
        }
        open.clear();
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket client = s.accept();
                Socket node;
                try {
                    node = new Socket(targetHost, targetPort);
                } catch (IOException e) {
                    close(client);
                    continue;
                }
                client.setTcpNoDelay(true);
                node.setTcpNoDelay(true);
                open.add(client);
                open.add(node);
                pump(client, node);
                pump(node, client);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // cut
            } finally {
                close(from);
                close(to);
                open.remove(from);
                open.remove(to);
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        down();
    }
}
