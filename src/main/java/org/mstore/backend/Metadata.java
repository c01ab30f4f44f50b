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

    /**
     * Issues a UIDVALIDITY (RFC 3501 §2.3.1.1): {@code max(atLeast, last issued + 1)}, recorded as the last issued
     * before it is returned. The last issued is kept by the store, not by a process: atomic across every process of
     * the store (two never get the same value), and durable (a restart never issues a value again). Values only grow,
     * so a mailbox deleted or renamed away and created again, in the same second too, gets a value that never named
     * other messages. Runs on its own, not in a {@link #transact} unit: a value issued for a mailbox that is then not
     * made is simply not used. Also raises the last issued to at least {@code atLeast} when mailboxes come into the
     * list with values of their own ({@code reconstruct --mboxlist}, a migration).
     */
    long issueUidValidity(long atLeast);
}
