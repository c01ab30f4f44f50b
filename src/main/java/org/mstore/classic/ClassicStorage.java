package org.mstore.classic;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.mstore.api.MailboxDetails;
import org.mstore.api.MailboxFormatException;
import org.mstore.api.MailboxInfo;
import org.mstore.api.MailboxName;
import org.mstore.backend.MailboxHandle;
import org.mstore.backend.MessageStorage;
import org.mstore.backend.RepairResult;
import org.mstore.store.CacheFile;
import org.mstore.store.ClassicStore;
import org.mstore.store.ExpungeFile;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxIndex;

/** The classic store's mailboxes: one directory each under {@code partition/<name>/} (see {@link ClassicStore}). */
final class ClassicStorage implements MessageStorage {
    private final ClassicStore layout;

    ClassicStorage(ClassicStore layout) {
        this.layout = layout;
    }

    ClassicStore layout() {
        return layout;
    }

    /** The mailbox's directory; always inside its partition (the name was validated). */
    Path directory(MailboxInfo info) {
        return layout.mailboxDir(info.partition(), MailboxName.parse(info.name()));
    }

    @Override
    public void validatePartition(String partition) {
        ClassicStore.validatePartition(partition);
    }

    @Override
    public List<String> partitions() throws IOException {
        return layout.partitions();
    }

    @Override
    public boolean holds(MailboxInfo info) {
        return Files.exists(directory(info).resolve(MailboxIndex.FILE));
    }

    @Override
    public MailboxHandle create(MailboxInfo info, long now) throws IOException {
        return new ClassicMailbox(Mailbox.create(directory(info), MailboxName.parse(info.name()), (int) info.uidValidity(), now));
    }

    @Override
    public void discardNew(MailboxInfo info, Throwable cause) {
        Mailbox.discardNew(directory(info), cause);
    }

    @Override
    public MailboxHandle open(MailboxInfo info, boolean readOnly) throws IOException {
        return new ClassicMailbox(Mailbox.open(directory(info), MailboxName.parse(info.name()), readOnly));
    }

    @Override
    public AutoCloseable lock(MailboxInfo info) throws IOException {
        return Mailbox.lockForRepair(directory(info));
    }

    /**
     * A sub-mailbox's directory nests under its parent's only when both are in the same partition, so the tree is
     * deleted under the mailbox's name in every partition: the others first, the mailbox's own last. A crash part-way
     * leaves the mailbox itself in place with only sub-mailboxes gone (their rows answer "Mailbox does not exist"),
     * never a sub-mailbox that {@code reconstruct --mboxlist} would list again after its parent is gone; the delete,
     * run again, finishes it.
     */
    @Override
    public void deleteTree(MailboxInfo info) throws IOException {
        MailboxName name = MailboxName.parse(info.name());
        for (String partition : layout.partitions()) {
            if (!partition.equals(info.partition())) {
                layout.deleteTree(layout.mailboxDir(partition, name));
            }
        }
        layout.deleteTree(directory(info));
    }

    @Override
    public void rename(MailboxInfo from, MailboxInfo to) throws IOException {
        Path source = directory(from);
        Path target = directory(to);
        if (!Files.isDirectory(source)) {
            throw new MailboxFormatException("Mailbox does not exist", true);
        }
        if (Files.exists(target)) {
            throw new IllegalArgumentException("cannot rename " + from.name() + " to " + to.name() + ": "
                    + (Files.exists(target.resolve(MailboxIndex.FILE)) ? "storage already holds a mailbox of that name"
                    : "mailboxes exist below that name"));
        }
        org.mstore.fs.OwnerOnly.createDirectories(target.getParent());
        // one rename(2): the whole subtree moves at once, or not at all
        java.nio.file.Files.move(source, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        org.mstore.store.Durable.syncDirectory(source.getParent());
        org.mstore.store.Durable.syncDirectory(target.getParent());
    }

    @Override
    public RepairResult rebuild(MailboxInfo info, long now) throws IOException {
        Path dir = directory(info);
        Mailbox.RepairResult r = Mailbox.rebuild(dir, (int) info.uidValidity(), (int) Math.min(Integer.MAX_VALUE, info.nextUid()),
                info.expunged(), now);
        long pending = ExpungeFile.count(dir.resolve(ExpungeFile.FILE));
        return new RepairResult(r.messages(), r.bytes(), r.nextUid() & 0xffffffffL, pending, r.damaged(), r.lostFromIndex(),
                r.skippedExpunged(), r.orphans(), r.notes(), r.undecided());
    }

    @Override
    public MailboxDetails details(MailboxInfo info) throws IOException {
        Path dir = directory(info);
        if (!Files.isDirectory(dir)) {
            return new MailboxDetails(info, List.of(), List.of());
        }
        List<MailboxDetails.Quarantined> q = new ArrayList<>();
        for (Mailbox.Quarantined m : Mailbox.quarantined(dir)) {
            q.add(new MailboxDetails.Quarantined(m.uid(), m.size(), Instant.ofEpochMilli(m.when()), m.reason()));
        }
        return new MailboxDetails(info, Mailbox.cleanupStamps(dir), q);
    }

    @Override
    public List<Found> scan(long now) throws IOException {
        List<Found> out = new ArrayList<>();
        Instant at = Instant.ofEpochMilli(now);
        for (ClassicStore.Found f : layout.scan()) {
            MailboxInfo info;
            boolean broken = false;
            try (Mailbox mb = Mailbox.open(f.dir(), f.name())) {
                var h = mb.index().header();
                var counts = mb.cacheCounts();
                info = MailboxInfo.created(f.name().toString(), f.partition(), h.uidValidity() & 0xffffffffL, at)
                        .edit().nextUid(h.nextUid()).messages(h.recordCount(), h.totalSize()).expunged(mb.pendingExpunged())
                        .cache(counts.records(), counts.expunged()).build();
            } catch (MailboxFormatException e) {
                info = MailboxInfo.created(f.name().toString(), f.partition(), lostUidValidity(f.dir(), now), at);
                broken = true;
            }
            out.add(new Found(info, broken, Mailbox.cleanupStamps(f.dir())));
        }
        return out;
    }

    /** The UID validity of a mailbox that cannot be opened: from what is left of its index or cache, else new. */
    private static long lostUidValidity(Path dir, long now) {
        MailboxIndex.Header h = MailboxIndex.salvage(dir.resolve(MailboxIndex.FILE)).header();
        if (h != null) {
            return h.uidValidity() & 0xffffffffL;
        }
        try (CacheFile cache = CacheFile.open(dir.resolve(CacheFile.FILE), false)) {
            return cache.uidValidity() & 0xffffffffL;
        } catch (IOException e) {
            return (int) (now / 1000);
        }
    }
}
