package org.mstore.backend;

import java.util.List;

/** What a Remove did: files deleted and their bytes, the cleanups it finished and those not yet due, the new counts. */
public record RemoveResult(int files, long bytes, List<String> removedStamps, List<String> remainingStamps, CacheCounts counts) {
}
