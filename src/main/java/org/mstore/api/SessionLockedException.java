package org.mstore.api;

/** Another impurge holds the purge session lock. */
public class SessionLockedException extends IllegalStateException {
    /** The seed's words. */
    public static final String MESSAGE = "Could not get purge session lock. Possibly another impurge is running";

    public SessionLockedException(String holder) {
        super(MESSAGE + (holder == null ? "" : " (held by " + holder + ")"));
    }
}
