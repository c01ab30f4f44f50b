package org.mstore.api;

/** Messages appended: the mailbox's UID validity and the new UIDs, in order (what UIDPLUS's APPENDUID reports). */
public record AppendResult(long uidValidity, int[] uids) {
}
