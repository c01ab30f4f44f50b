package org.mstore.purge;

/** Another impurge holds the purge session lock. */
public class SessionLockedException extends IllegalStateException {
    public SessionLockedException(String holder) {
        super(SessionLock.MESSAGE + (holder == null ? "" : " (held by " + holder + ")"));
    }
}
