package org.mstore.db;

import java.io.IOException;

/**
 * The store's database file is there but cannot be the store's mailbox list: empty, not a file, without the store's
 * schema, or refused by H2 as corrupted. Mail and settings are not in danger (messages are in the partitions, settings
 * are mirrored in {@code store.settings}); {@code mstore reconstruct --mboxlist} sets the file aside and rebuilds it.
 */
public final class DatabaseDamagedException extends IOException {
    public static final String HINT = "run 'mstore reconstruct --mboxlist' to set it aside and rebuild it from the mailboxes on disk "
            + "(mail and settings are kept)";

    public DatabaseDamagedException(String what, Throwable cause) {
        super(what + "; " + HINT, cause);
    }
}
