package org.mstore.console.dashboard;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.mstore.api.DiskSpace;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MessageStore;
import org.mstore.api.ReclaimableSpace;

/**
 * Space waiting to be reclaimed, for the store and the mailboxes with the most of it: expunged messages whose files are
 * still on disk (since the last Clean, and in lists waiting for Remove) with their bytes, and expunged cache records a
 * Purge would drop (a count: their bytes are not known without reading each cache).
 *
 * @param mailboxes       mailboxes in the store
 * @param expunged        messages expunged since their mailbox's last Clean
 * @param cacheExpunged   expunged cache records
 * @param bytes           bytes of expunged messages still on disk, over the mailboxes read ({@code bytesOf} of them)
 * @param bytesOf         how many mailboxes' expunge lists were read for the bytes
 * @param top             the mailboxes with the most waiting, most first
 * @param disk            the disk of the store's files, with impurge's reserve; null for a store not on this host
 */
public record SpaceReport(int mailboxes, long expunged, long cacheExpunged, long bytes, int bytesOf, boolean bytesKnown, List<Row> top,
                          DiskSpace disk) {
    /** Read the bytes of every mailbox up to this many; above it, only of the top ones (each read is a few files). */
    public static final int READ_ALL_UP_TO = 2_000;
    public static final int TOP = 10;

    /** One mailbox's waiting space. */
    public record Row(String mailbox, long expunged, long awaitingRemove, long cacheExpunged, long bytes) {
    }

    /** Reads the report (off the UI thread). */
    public static SpaceReport read(MessageStore engine) {
        List<MailboxInfo> all = engine.mailboxes().list();
        long expunged = 0;
        long cache = 0;
        for (MailboxInfo m : all) {
            expunged += m.expunged();
            cache += m.cacheExpunged();
        }
        List<MailboxInfo> candidates = new ArrayList<>(all);
        candidates.sort(Comparator.comparingLong((MailboxInfo m) -> m.expunged() + m.cacheExpunged()).reversed());
        boolean readAll = all.size() <= READ_ALL_UP_TO;
        List<MailboxInfo> toRead = readAll ? candidates : candidates.subList(0, Math.min(TOP * 5, candidates.size()));
        List<Row> rows = new ArrayList<>();
        long bytes = 0;
        boolean known = true;
        for (MailboxInfo m : toRead) {
            ReclaimableSpace r;
            try {
                r = engine.maintenance().reclaimable(m.name());
            } catch (Exception e) {
                r = ReclaimableSpace.unknown(m.name()); // deleted meanwhile, or a list that cannot be read: its Check says why
            }
            long b = r.totalBytes();
            known &= b >= 0;
            bytes += Math.max(0, b);
            if (b > 0 || m.expunged() > 0 || m.cacheExpunged() > 0 || r.awaitingRemoveMessages() > 0) {
                rows.add(new Row(m.name(), m.expunged(), r.awaitingRemoveMessages(), m.cacheExpunged(), b));
            }
        }
        rows.sort(Comparator.comparingLong((Row r) -> r.bytes()).thenComparingLong(r -> r.expunged() + r.awaitingRemove() + r.cacheExpunged())
                .reversed());
        return new SpaceReport(all.size(), expunged, cache, bytes, toRead.size(), known, List.copyOf(rows.subList(0, Math.min(TOP, rows.size()))),
                engine.maintenance().disk().orElse(null));
    }

    /**
     * The disk's line: "The store's disk: 12.3 GB free of 50.0 GB; impurge's reserve of 1.0 MB is held." When the disk is
     * full or the reserve was given up, it says so and what happens next. Empty for a store whose files are elsewhere.
     */
    public String diskLine() {
        if (disk == null) {
            return "";
        }
        String free = "The store's disk: " + org.mstore.console.Format.bytes(disk.freeBytes()) + " free of "
                + org.mstore.console.Format.bytes(disk.totalBytes());
        String reserve = org.mstore.console.Format.bytes(disk.reserveBytes());
        if (disk.full()) {
            return free + ". The disk is full: impurge gives up its reserve of " + reserve
                    + " and frees space with the tasks waiting (Remove deletes expunged messages' files); deliveries are refused until there is room.";
        }
        return free + (disk.reserveHeld() ? "; impurge's reserve of " + reserve + " is held."
                : "; impurge's reserve of " + reserve + " is not in place (given up on a full disk, or not made yet): impurge makes it "
                + "when it next finds nothing due and there is room for it twice over.");
    }

    /** True when the disk line is a warning: the disk is full, or the reserve is not in place and there is no room to make it. */
    public boolean diskWarning() {
        return disk != null && (disk.full() || !disk.reserveHeld() && disk.freeBytes() < 2 * disk.reserveBytes());
    }

    /** The store's line: "1.2 MB in 340 expunged messages still on disk; 120 expunged cache records for Purge". */
    public String summary() {
        String b = !bytesKnown ? "bytes not known for this store"
                : org.mstore.console.Format.bytes(bytes) + " of expunged messages still on disk"
                + (bytesOf < mailboxes ? " (in the " + bytesOf + " mailboxes with the most expunged)" : "");
        return b + "; " + org.mstore.console.Format.count(expunged) + " messages expunged since their last Clean; "
                + org.mstore.console.Format.count(cacheExpunged) + " expunged cache records for Purge";
    }
}
