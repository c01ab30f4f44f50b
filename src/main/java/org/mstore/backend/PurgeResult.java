package org.mstore.backend;

/** What a Purge did: records and bytes of the index data before and after. */
public record PurgeResult(long recordsBefore, long recordsAfter, long bytesBefore, long bytesAfter) {
    public long bytesReclaimed() {
        return bytesBefore - bytesAfter;
    }
}
