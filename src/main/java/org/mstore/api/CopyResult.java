package org.mstore.api;

/**
 * Messages copied: the destination's UID validity, the source UIDs copied and the new UIDs they got, pairwise (what
 * UIDPLUS's COPYUID reports).
 */
public record CopyResult(long uidValidity, int[] sourceUids, int[] uids) {
}
