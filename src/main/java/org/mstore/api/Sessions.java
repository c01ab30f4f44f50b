package org.mstore.api;

import java.util.List;

/**
 * The protocol servers' connected sessions, as every process on the store sees them: a server process registers its
 * sessions, keeps them up to date and removes them on disconnect; a console in another process lists them. Sessions of
 * a process that died without removing them are left out of {@link #list()} (and removed) once the process is known
 * dead or has stopped sending its heartbeat.
 */
public interface Sessions {
    /** Every live session of every server process on this store, oldest first. */
    List<SessionInfo> list();

    /**
     * Registers a session of this process ({@code protocol}: imap, lmtp) from {@code remoteAddress}; what the returned
     * handle records is published to other processes within about a second.
     */
    Registration register(String protocol, String remoteAddress);

    /** One registered session: updated as the session goes, removed when closed. */
    interface Registration extends AutoCloseable {
        String id();

        /** The user who logged in (null before). */
        void user(String user);

        /** The selected mailbox (null when none). */
        void mailbox(String mailbox);

        /** A command began: its name (never its arguments, which may hold a password). */
        void command(String name);

        void idle(boolean idle);

        /** Removes the session. */
        @Override
        void close();
    }
}
