package org.mstore.backend;

import java.util.List;

/**
 * What a Remove did: files deleted and their bytes; of the messages its lists name, those whose files an earlier run of
 * the same Remove deleted before it failed or was killed ({@code earlierFiles}, {@code earlierBytes}: nothing else
 * counted them); the cleanups it finished and those not yet due; the new counts.
 */
public record RemoveResult(int files, long bytes, int earlierFiles, long earlierBytes, List<String> removedStamps,
                           List<String> remainingStamps, CacheCounts counts) {
    /** The bytes this Remove gives back, its earlier unfinished run's included. */
    public long bytesReclaimed() {
        return bytes + earlierBytes;
    }
}
