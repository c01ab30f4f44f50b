package org.mstore.api;

/**
 * A request the store could not be reached for (a Cassandra store with no node answering): nothing was done that the
 * message does not say, and the entries it names stay queued, to run when the store answers. The driver's words are
 * the cause, not the message: they name nodes and retries, not what became of the request.
 */
public class StoreUnreachableException extends IllegalStateException {
    public StoreUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
