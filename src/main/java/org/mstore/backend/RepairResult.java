package org.mstore.backend;

import java.util.List;

/**
 * What a Repair found and rebuilt.
 *
 * @param messages        live messages after the repair
 * @param bytes           their bytes
 * @param nextUid         the next UID after the repair
 * @param pendingExpunged messages expunged and not yet cleaned up (the Expunged count)
 * @param damaged         messages set aside because their bytes no longer match (quarantined)
 * @param lost            messages the index listed whose file is gone
 * @param skippedExpunged message files left out because they were expunged
 * @param orphans         message files of expunged messages found without their expunge record, queued for removal
 * @param notes           details worth a log line each
 * @param held            message files that nothing told expunged or live (the index, the expunge list and their cache
 *                        records lost): kept as recoverable, not served (see {@code unexpunge --list})
 */
public record RepairResult(int messages, long bytes, long nextUid, long pendingExpunged, int damaged, int lost, int skippedExpunged,
                           int orphans, List<String> notes, int held) {
}
