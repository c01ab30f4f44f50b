package org.mstore.api;

import java.time.Instant;

/**
 * One connected client of a protocol server.
 *
 * @param id          unique on the store: {@code host:pid:n}
 * @param process     the server's process name and pid as its log lines show it, e.g. {@code imapd[7264]}
 * @param host        the host the server runs on
 * @param protocol    {@code imap} or {@code lmtp}
 * @param user        who logged in (null before login)
 * @param remote      the client's address and port
 * @param mailbox     the selected mailbox, as a store name (null when none)
 * @param since       when the client connected
 * @param lastCommand the last command's name (null before the first)
 * @param lastActive  when the last command began
 * @param idle        true while the client waits in IMAP IDLE
 */
public record SessionInfo(String id, String process, String host, String protocol, String user, String remote, String mailbox,
                          Instant since, String lastCommand, Instant lastActive, boolean idle) {
}
