package org.mstore.db;

import java.sql.SQLException;

import org.h2.engine.SysProperties;

/**
 * The database's TCP server listens on the loopback interface only. H2 binds its server sockets to the address in
 * the system property {@code h2.bindAddress}, read once when its {@code SysProperties} class loads; {@link #bind()}
 * sets it, from {@link Database}'s static initializer, before any H2 class is used, and {@link #require()} checks,
 * before a server is started, that H2 did take it (it would not if something had loaded H2 earlier). Without
 * {@code -tcpAllowOthers} H2 also refuses connections that do not come from a local address.
 */
final class Loopback {
    static final String ADDRESS = "127.0.0.1";
    static final String PROPERTY = "h2.bindAddress";

    private Loopback() {
    }

    /**
     * Sets what H2 reads once at load: the bind address, and no retries of a refused TCP connect (H2 would otherwise
     * retry a closed port for over a second, and a client that finds the owner gone should try to take its place
     * at once).
     */
    static void bind() {
        System.setProperty(PROPERTY, ADDRESS);
        System.setProperty("h2.socketConnectRetry", "0");
    }

    /** Refuses to serve when H2 would bind its server elsewhere than {@link #ADDRESS}. */
    static void require() throws SQLException {
        if (!ADDRESS.equals(SysProperties.BIND_ADDRESS)) {
            throw new SQLException("refusing to serve the mboxlist database: H2 would listen on "
                    + (SysProperties.BIND_ADDRESS == null ? "every interface" : SysProperties.BIND_ADDRESS)
                    + ", not on " + ADDRESS + " only (H2 was loaded before " + PROPERTY + " was set)");
        }
    }
}
