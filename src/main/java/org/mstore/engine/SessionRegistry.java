package org.mstore.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.mstore.api.SessionInfo;
import org.mstore.api.Sessions;
import org.mstore.backend.SessionStore;
import org.slf4j.LoggerFactory;

/**
 * {@link Sessions} over the backend's {@link SessionStore}: this process's sessions live in memory and are published
 * once a second (changed ones, closed ones, and a heartbeat), so that a session's commands never wait for the
 * database. {@link #list()} leaves out, and removes, the sessions of a process that is gone: one on this host whose
 * pid no longer runs, or any whose heartbeat is older than {@link #EXPIRY}.
 */
final class SessionRegistry implements Sessions {
    static final Duration PUBLISH_EVERY = Duration.ofSeconds(1);
    static final Duration EXPIRY = Duration.ofSeconds(15);
    private static final long PID = ProcessHandle.current().pid();

    private final SessionStore store;
    private final Clock clock;
    private final String host;
    private final String owner;
    private final String process;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentHashMap<String, Reg> live = new ConcurrentHashMap<>();
    private final Set<String> closed = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService publisher;
    private volatile boolean stopped;

    SessionRegistry(SessionStore store, Clock clock, String processName) {
        this.store = store;
        this.clock = clock;
        this.host = hostName();
        this.owner = host + ":" + PID;
        this.process = processName + "[" + PID + "]";
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    @Override
    public List<SessionInfo> list() {
        List<SessionStore.Stored> all = store.list();
        long now = clock.millis();
        Set<String> dead = new HashSet<>();
        List<SessionInfo> out = new ArrayList<>();
        for (SessionStore.Stored s : all) {
            if (dead.contains(s.owner()) || !alive(s, now)) {
                dead.add(s.owner());
                continue;
            }
            out.add(s.info());
        }
        if (!dead.isEmpty()) {
            try {
                store.removeOwners(dead);
            } catch (RuntimeException e) {
                // a read-only look still lists what is alive
            }
        }
        return out;
    }

    private boolean alive(SessionStore.Stored s, long now) {
        if (s.owner().equals(owner)) {
            return true;
        }
        int colon = s.owner().lastIndexOf(':');
        if (colon > 0 && s.owner().substring(0, colon).equals(host)) {
            try {
                long pid = Long.parseLong(s.owner().substring(colon + 1));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == false) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return now - s.heartbeat() <= EXPIRY.toMillis();
    }

    @Override
    public Registration register(String protocol, String remoteAddress) {
        startPublisher();
        Instant now = clock.instant();
        Reg r = new Reg(owner + ":" + ids.incrementAndGet(), protocol, remoteAddress, now);
        live.put(r.id, r);
        return r;
    }

    private synchronized void startPublisher() {
        if (publisher != null || stopped) {
            return;
        }
        publisher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mstore-sessions");
            t.setDaemon(true);
            return t;
        });
        publisher.scheduleWithFixedDelay(this::publishQuietly, PUBLISH_EVERY.toMillis(), PUBLISH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void publishQuietly() {
        try {
            publish();
        } catch (RuntimeException e) {
            if (!ChangeWatcher.shuttingDown()) {
                LoggerFactory.getLogger(SessionRegistry.class).warn("publishing the sessions failed: {}", e.getMessage());
            }
        }
    }

    /** Publishes what changed since the last time, and the heartbeat. */
    synchronized void publish() {
        List<SessionInfo> changed = new ArrayList<>();
        for (Reg r : live.values()) {
            if (r.dirty) {
                r.dirty = false;
                changed.add(r.info());
            }
        }
        List<String> gone = new ArrayList<>(closed);
        if (changed.isEmpty() && gone.isEmpty() && live.isEmpty()) {
            return;
        }
        store.publish(owner, clock.millis(), changed, gone);
        closed.removeAll(gone);
    }

    /** Removes this process's sessions from the store and stops publishing. */
    void shutdown() {
        synchronized (this) {
            stopped = true;
            if (publisher == null) {
                return;
            }
            publisher.shutdownNow();
        }
        try {
            store.removeOwners(List.of(owner));
        } catch (RuntimeException e) {
            // the heartbeat expires them anyway
        }
    }

    private final class Reg implements Registration {
        final String id;
        final String protocol;
        final String remote;
        final Instant since;
        volatile String user;
        volatile String mailbox;
        volatile String command;
        volatile Instant lastActive;
        volatile boolean idle;
        volatile boolean dirty = true;

        Reg(String id, String protocol, String remote, Instant since) {
            this.id = id;
            this.protocol = protocol;
            this.remote = remote;
            this.since = since;
            this.lastActive = since;
        }

        SessionInfo info() {
            return new SessionInfo(id, process, host, protocol, user, remote, mailbox, since, command, lastActive, idle);
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void user(String u) {
            user = u;
            dirty = true;
        }

        @Override
        public void mailbox(String m) {
            mailbox = m;
            dirty = true;
        }

        @Override
        public void command(String name) {
            command = name;
            lastActive = clock.instant();
            dirty = true;
        }

        @Override
        public void idle(boolean b) {
            idle = b;
            dirty = true;
        }

        @Override
        public void close() {
            if (live.remove(id) != null) {
                closed.add(id);
            }
        }
    }
}
