package org.mstore.db;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.SocketException;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.h2.api.ErrorCode;

/**
 * A small pool of connections to the store's database, embedded or over TCP, that copes with the process serving
 * the database going away: a connection that broke is dropped, not given out again, and so are the idle ones made
 * before it (they lead to the same server); the next one is made by the {@link Connector}, which finds the new
 * owner or becomes it.
 *
 * <p>Each connection handed out is a {@link Lease}: a proxy that goes back to the pool when closed and notes what
 * {@link Database} needs to decide whether a unit of work may be run again after a break: whether commit was
 * called, and whether a statement that may write ran in autocommit mode and may have been committed (it succeeded, or
 * its answer never came).
 */
final class ConnectionPool implements AutoCloseable {
    /** Makes a new physical connection. */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final Connector connector;
    private final int max;
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    private int leased;
    private int generation;
    private boolean closed;

    private record Idle(Connection connection, int generation) {
    }

    ConnectionPool(Connector connector, int max) {
        this.connector = connector;
        this.max = max;
    }

    /** A connection from the pool, or a new one; waits while all {@code max} are in use. */
    Lease lease() throws SQLException {
        int gen;
        synchronized (this) {
            long end = System.nanoTime() + WAIT.toNanos();
            while (!closed && idle.isEmpty() && leased >= max) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new SQLException("all " + max + " connections to the mboxlist database are in use");
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while waiting for a connection to the mboxlist database", e);
                }
            }
            if (closed) {
                throw closedException();
            }
            leased++;
            Idle i = idle.pollFirst();
            if (i != null) {
                return new Lease(i.connection(), i.generation());
            }
            gen = generation;
        }
        try {
            return new Lease(connector.connect(), gen);
        } catch (SQLException | RuntimeException e) {
            synchronized (this) {
                leased--;
                notifyAll();
            }
            throw e;
        }
    }

    static SQLException closedException() {
        return new SQLException("the mboxlist database is closed", "08003", ErrorCode.DATABASE_IS_CLOSED);
    }

    private void giveBack(Connection c, int gen, boolean broken) {
        boolean keep;
        synchronized (this) {
            leased--;
            if (broken && gen == generation) {
                generation++;
                dropIdle();
            }
            keep = !closed && !broken && gen == generation;
            if (keep) {
                idle.addFirst(new Idle(c, gen));
            }
            notifyAll();
        }
        if (!keep) {
            closeQuietly(c);
        }
    }

    /** Drops every idle connection (the database they lead to went away). */
    synchronized void dropIdle() {
        List<Idle> drop = new ArrayList<>(idle);
        idle.clear();
        for (Idle i : drop) {
            closeQuietly(i.connection());
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        dropIdle();
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException e) {
            // it is being dropped
        }
    }

    /**
     * True when {@code t} (or a cause) says the connection itself is gone: the server went away, the database was
     * shut down under it, the socket failed. Not an SQL error of the work.
     */
    static boolean broken(Throwable t) {
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
            if (t instanceof SQLException s) {
                int code = s.getErrorCode();
                // DATABASE_IS_IN_EXCLUSIVE_MODE: a new connection while the owner is letting the last statements finish
                if (code == ErrorCode.CONNECTION_BROKEN_1 || code == ErrorCode.DATABASE_IS_CLOSED
                        || code == ErrorCode.DATABASE_CALLED_AT_SHUTDOWN || code == ErrorCode.DATABASE_IS_IN_EXCLUSIVE_MODE) {
                    return true;
                }
            } else if (t instanceof SocketException || t instanceof java.io.EOFException) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when {@code t} says a request got no answer: the connection failed while it was sent or awaited (H2
     * reports that as a broken connection, with or without the I/O error). An error that the server sent back, even
     * "database closed", is an answer: the statement did not run.
     */
    static boolean cutOff(Throwable t) {
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
            if (t instanceof SQLException s && s.getErrorCode() == ErrorCode.CONNECTION_BROKEN_1 || t instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    /** True for {@code SET ...} given as text: a setting of the session (lazy execution, say), not a change of data. */
    private static boolean sessionSetting(Object[] args) {
        return args != null && args.length > 0 && args[0] instanceof String sql && sql.stripLeading().regionMatches(true, 0, "SET ", 0, 4);
    }

    /** One connection handed out: its proxy, and what happened on it. */
    final class Lease implements InvocationHandler {
        private final Connection physical;
        private final int gen;
        private final Connection proxy;
        private boolean autoCommit = true;
        private boolean returned;
        boolean brokenSeen;
        boolean commitCalled;
        boolean commitAnswered;
        boolean wroteInAutoCommit;

        Lease(Connection physical, int gen) {
            this.physical = physical;
            this.gen = gen;
            this.proxy = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, this);
        }

        Connection connection() {
            return proxy;
        }

        /** True when this lease's connection broke or is closed under it. */
        boolean broken() {
            if (brokenSeen) {
                return true;
            }
            try {
                return physical.isClosed();
            } catch (SQLException e) {
                return true;
            }
        }

        /**
         * True when the connection still answers. Asked after an SQL error that does not itself say the connection
         * broke: a server that is stopping may answer a statement with an odd error and then close the session.
         */
        boolean alive() {
            if (broken()) {
                return false;
            }
            try {
                if (physical.isValid(2)) {
                    return true;
                }
            } catch (SQLException e) {
                // not valid
            }
            brokenSeen = true;
            return false;
        }

        /** Back to the pool: rolled back if a transaction was left open, and in autocommit mode again; or dropped. */
        void release() {
            if (returned) {
                return;
            }
            returned = true;
            boolean drop = broken();
            if (!drop && !autoCommit) {
                try {
                    physical.rollback();
                    physical.setAutoCommit(true);
                } catch (SQLException e) {
                    drop = true;
                }
            }
            giveBack(physical, gen, drop);
        }

        /** Drops the connection (it broke). */
        void discard() {
            brokenSeen = true;
            release();
        }

        @Override
        public Object invoke(Object p, Method m, Object[] args) throws Throwable {
            switch (m.getName()) {
                case "close":
                    release();
                    return null;
                case "isClosed":
                    return returned || physical.isClosed();
                case "equals":
                    return p == args[0];
                case "hashCode":
                    return System.identityHashCode(p);
                case "toString":
                    return "pooled " + physical;
                default:
                    break;
            }
            if (returned) {
                throw new SQLException("this connection was given back to the pool", "08003", ErrorCode.OBJECT_CLOSED);
            }
            if (m.getName().equals("commit")) {
                commitCalled = true;
            }
            Object result = call(physical, m, args);
            if (m.getName().equals("setAutoCommit")) {
                autoCommit = (Boolean) args[0];
            }
            if (result instanceof Statement s) {
                return statement(s);
            }
            return result;
        }

        private Object call(Object target, Method m, Object[] args) throws Throwable {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                if (ConnectionPool.broken(e.getCause())) {
                    brokenSeen = true;
                }
                throw e.getCause();
            }
        }

        /** A statement of this lease: notes a statement that may write run in autocommit mode, and breaks. */
        private Statement statement(Statement s) {
            Class<?> type = s instanceof CallableStatement ? CallableStatement.class
                    : s instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
            return (Statement) Proxy.newProxyInstance(Statement.class.getClassLoader(), new Class<?>[] {type}, (sp, m, args) -> {
                String name = m.getName();
                if (name.equals("getConnection")) {
                    return proxy;
                }
                if (!name.startsWith("execute") || name.equals("executeQuery") || !autoCommit || sessionSetting(args)) {
                    return call(s, m, args);
                }
                // a statement that may write, committed by itself: it counts once it may have been saved, that is when
                // it was answered with success or got no answer; an error the database sent back means it did not run
                // (a batch's earlier rows may have, each in its own commit)
                try {
                    Object r = call(s, m, args);
                    wroteInAutoCommit = true;
                    return r;
                } catch (Throwable t) {
                    if (name.equals("executeBatch") || name.equals("executeLargeBatch") || cutOff(t)) {
                        wroteInAutoCommit = true;
                    }
                    throw t;
                }
            });
        }
    }
}
