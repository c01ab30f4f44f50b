package org.mstore.backend;

/** Transactions over the mailbox list and the queue. */
public interface Metadata {
    /** Work done in one transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(MetaTx tx);
    }

    /** Runs {@code work} in one transaction: all of its changes are kept, or none; listeners hear of them after. */
    <T> T transact(Work<T> work);
}
