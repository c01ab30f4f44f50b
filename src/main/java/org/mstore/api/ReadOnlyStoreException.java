package org.mstore.api;

/** The store was opened read-only and the call would change it. */
public class ReadOnlyStoreException extends IllegalStateException {
    public ReadOnlyStoreException(String what) {
        super("read-only: cannot " + what);
    }
}
