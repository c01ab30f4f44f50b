package org.mstore.api;

/** Whether a failure comes from a full disk: what the protocol servers answer as a temporary lack of space, not as a bug. */
public final class DiskFull {
    private DiskFull() {
    }

    /** True when {@code e} or one of its causes is the operating system's "No space left on device" (ENOSPC). */
    public static boolean causes(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }
}
