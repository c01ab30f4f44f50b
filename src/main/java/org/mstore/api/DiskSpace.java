package org.mstore.api;

/**
 * The disk of a store's files as impurge sees it: its size, its free space, and the space held back for impurge on it
 * (see {@code docs/store-format.md}, "A full disk is not damage").
 *
 * @param location      where the reserve is kept (on the disk of the store's database), for people
 * @param totalBytes    the disk's size
 * @param freeBytes     the space this process may still write
 * @param reserveBytes  what the reserve holds when it is in place
 * @param reserveHeld   false after impurge gave it up on a full disk, until it makes it again
 */
public record DiskSpace(String location, long totalBytes, long freeBytes, long reserveBytes, boolean reserveHeld) {
    /** True when the disk has less free space than the reserve holds: impurge gives its reserve up before it writes. */
    public boolean full() {
        return freeBytes < reserveBytes;
    }
}
