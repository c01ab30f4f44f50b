package org.mstore.backend;

import java.io.IOException;

/**
 * Space held back on the disk of a store's files for impurge, the process that frees space. On a disk with no free block
 * at all impurge could not even claim a task, since a claim is a write to the database, and the administrator had to
 * free space elsewhere first. Now impurge gives the reserve up when the disk has less free space than the reserve holds,
 * runs its tasks (Remove deletes message files), and makes the reserve again once there is room for it twice over.
 * Nothing else uses it: a delivery that finds the disk full is refused as before (LMTP 452, IMAP {@code [OVERQUOTA]}).
 */
public interface SpaceReserve {
    /** Where it is, for people. */
    String location();

    /** The disk's figures and whether the reserve is held ({@link org.mstore.api.DiskSpace#full}: the moment to give it up). */
    org.mstore.api.DiskSpace space() throws IOException;

    /** Gives the reserve up; returns the bytes freed (0: none was held). */
    long release() throws IOException;

    /**
     * Makes the reserve when it is not held and the disk has room for it twice over (making it never fills a disk);
     * returns the bytes it took, 0 when nothing was made. Best effort: a disk that refuses leaves no part of it.
     */
    long ensure();
}
