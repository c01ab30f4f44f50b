package org.mstore.imap;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The server's bytes for literals held in memory, shared by every connection: each connection's own limits (a literal of
 * at most {@code --max-literal}, reading paused past a megabyte of waiting commands) do not stop twenty connections from
 * sending a 64 MB APPEND each at once, more than imapd's heap, and an OutOfMemoryError ends every session. A literal's
 * announced size is reserved before its first byte is read and released when the command that carried it has run (or
 * its connection has closed). A reservation that does not fit waits its turn, first come first served, so a big literal
 * is not passed over for ever by small ones.
 */
final class LiteralBudget {
    /** A reservation waiting for room; {@code granted} runs (on the releasing thread) once it is reserved. */
    static final class Ticket {
        final long bytes;
        private final Runnable granted;

        private Ticket(long bytes, Runnable granted) {
            this.bytes = bytes;
            this.granted = granted;
        }
    }

    private final long total;
    private long used;
    private final ArrayDeque<Ticket> waiting = new ArrayDeque<>();

    LiteralBudget(long total) {
        this.total = total;
    }

    long total() {
        return total;
    }

    /** Bytes reserved now. */
    synchronized long used() {
        return used;
    }

    /** Reserves {@code n} bytes if they fit now and nobody waits before; false (nothing reserved) otherwise. */
    synchronized boolean tryReserve(long n) {
        if (waiting.isEmpty() && used + n <= total) {
            used += n;
            return true;
        }
        return false;
    }

    /** Reserves {@code n} bytes now (null), or returns the ticket of a reservation that waits and runs {@code granted} when made. */
    synchronized Ticket reserve(long n, Runnable granted) {
        if (tryReserve(n)) {
            return null;
        }
        Ticket t = new Ticket(n, granted);
        waiting.add(t);
        return t;
    }

    /** Withdraws a waiting reservation; false when it was granted meanwhile (its {@code granted} has run or is running). */
    boolean cancel(Ticket t) {
        List<Ticket> go;
        synchronized (this) {
            if (!waiting.remove(t)) {
                return false;
            }
            go = grant();
        }
        go.forEach(g -> g.granted.run());
        return true;
    }

    void release(long n) {
        if (n == 0) {
            return;
        }
        List<Ticket> go;
        synchronized (this) {
            used -= n;
            go = grant();
        }
        go.forEach(g -> g.granted.run());
    }

    private List<Ticket> grant() {
        List<Ticket> go = new ArrayList<>();
        while (!waiting.isEmpty() && used + waiting.peek().bytes <= total) {
            Ticket t = waiting.poll();
            used += t.bytes;
            go.add(t);
        }
        return go;
    }
}
