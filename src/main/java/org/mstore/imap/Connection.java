package org.mstore.imap;

/**
 * What a session may do with its connection: write responses, end it, start TLS. The Netty handler implements it;
 * the session never touches a socket.
 */
interface Connection {
    void write(ImapResponse r);

    void flush();

    /** Waits (on the session's thread, never the event loop) until the client has taken what was written. */
    void awaitWritable();

    void close();

    /** True once TLS is in place. */
    boolean secure();

    /** True for a client on this host (a loopback address). */
    boolean loopback();

    /** The client's address and port, for logs. */
    String remote();

    /** The client's address alone (the failed-login throttle's key). */
    String remoteHost();

    /** Writes {@code ok} in the clear, then puts TLS in place and lets decoding go on. */
    void startTls(ImapResponse ok);

    /** Lets decoding go on after a STARTTLS that failed. */
    void resumeDecoding();

    /**
     * The session has entered IDLE (called before its continuation is written): the client's next line is its answer,
     * where a literal has no place, so the decoder reserves none for it.
     */
    void idling();
}
