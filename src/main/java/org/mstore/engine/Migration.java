package org.mstore.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.mstore.api.MailboxInfo;
import org.mstore.api.MessageRecord;
import org.mstore.api.MigrationReport;
import org.mstore.api.OpenOptions;
import org.mstore.api.QueueEntry;
import org.mstore.api.QueueRequest;
import org.mstore.api.Setting;
import org.mstore.backend.MailboxHandle;
import org.mstore.backend.RestoredMessage;

/**
 * {@code mstore migrate}: copies a store into a new store on another backend through the backend SPI, then verifies
 * the copy message by message. The source is opened read-only and never changed. Each mailbox is copied under the
 * target mailbox's lock, its messages with their UIDs ({@link MailboxHandle#restore}), then its row in the mailbox list.
 * The target keeps {@link Engine#INIT_MARKER} until the copy is verified equal: a migration cut short, or one that found
 * differences, leaves a target that every open refuses, rather than a store that looks whole with part of the mail. Its
 * backend keeps the same mark where the mail is ({@link org.mstore.backend.BackendProvider#createForMigration}, deleted by
 * {@link org.mstore.backend.Backend#finishMigration} in {@link Engine#finishInit}): on Cassandra, other hosts' init and
 * open of the keyspaces are refused until then.
 */
final class Migration {
    private static final int BATCH = 200;

    private Migration() {
    }

    static MigrationReport run(Path source, Path target, String backend, Map<String, String> options, boolean undecidedAsExpunged,
                               Consumer<String> progress) throws IOException {
        long t0 = System.nanoTime();
        if (!Engine.provider(backend).takesMessagesWithUids()) {
            throw new IllegalArgumentException("--to " + backend + ": a " + backend + " store cannot take messages with their UIDs; "
                    + "migrate copies into a cassandra store");
        }
        try (Engine src = Engine.open(source, OpenOptions.cli("migrate").withReadOnly(true))) {
            // every mailbox must open cleanly before anything is created
            for (MailboxInfo info : src.backend().mailboxList().list()) {
                try (MailboxHandle h = src.backend().storage().open(info, true)) {
                    // opened: its sanity checks passed
                    int[] held = h.heldUndecided();
                    if (held.length > 0 && !undecidedAsExpunged) {
                        throw new IOException(refusedUndecided(source, info.name(), held));
                    }
                } catch (org.mstore.api.MailboxFormatException e) {
                    throw new IOException(info.name() + " cannot be read in " + source + " (" + e.getMessage() + "): repair it first with "
                            + "'mstore reconstruct " + info.name() + " --store " + source + "'", e);
                }
            }
        }
        try (Engine src = Engine.open(source, OpenOptions.cli("migrate").withReadOnly(true));
             Engine dst = Engine.init(target, OpenOptions.cli("migrate"), backend, options, "migrate from " + source.toAbsolutePath().normalize())) {
            Map<Setting, String> explicit = src.backend().settings().explicit();
            if (!explicit.isEmpty()) {
                dst.backend().settings().setAll(explicit);
            }
            List<MailboxInfo> boxes = src.backend().mailboxList().list();
            long messages = 0;
            long bytes = 0;
            long expunged = 0;
            List<QueueRequest> purges = new ArrayList<>();
            for (MailboxInfo info : boxes) {
                long[] n;
                try {
                    n = copy(src, dst, info);
                } catch (org.mstore.api.MailboxFormatException e) {
                    throw new IOException(info.name() + " cannot be read in " + source + " (" + e.getMessage() + "): repair it first with "
                            + "'mstore reconstruct " + info.name() + " --store " + source + "', then migrate again to a new target", e);
                }
                messages += n[0];
                bytes += n[1];
                expunged += n[2];
                if (n[2] > 0 && dst.context().settings().snapshot().cleanupDue(n[2])) {
                    // the target's own rule for expunged messages: its Purge, once Expunged exceeds store.cleanupsize (as an
                    // expunge there queues it), from the oldest carried expunge on; it deletes only what store.cleanupage has
                    // passed. Within store.cleanupsize nothing is queued: the next expunge that crosses it queues the Purge
                    purges.add(new QueueRequest(info.name(), org.mstore.api.Action.PURGE, n[3], false,
                            QueueRequest.cleanupReason(n[2], dst.context().settings().snapshot().cleanupSize())
                                    + " (expunged messages carried over by migrate)", dst.context().queuedBy()));
                }
                progress.accept("copied " + info.name() + ": " + n[0] + " messages" + (n[2] > 0 ? ", " + n[2] + " expunged, recoverable" : ""));
                org.mstore.fs.CrashPoint.hit("migrate.after-mailbox");
            }
            // the copies keep their UIDVALIDITY: the target's new mailboxes get values above them
            dst.context().meta().issueUidValidity(boxes.stream().mapToLong(MailboxInfo::uidValidity).max().orElse(0));
            int entries = 0;
            int leftOut = 0;
            List<QueueRequest> requests = new ArrayList<>(dst.backend().features().cleanupStep() ? List.of() : purges);
            List<QueueEntry> waiting = new ArrayList<>();
            src.backend().queue().forEach(waiting::add);
            for (QueueEntry e : waiting) {
                if (e.action().cleanupStep() && !dst.backend().features().cleanupStep()) {
                    leftOut++; // the expunged messages a Clean or Remove waits on were carried as expunged: the target purges them
                } else {
                    requests.add(new QueueRequest(e.mailbox(), e.action(), e.timestamp().toEpochMilli(), e.forced(),
                            (e.reason() != null ? e.reason() : "queued in the source store") + " (carried over by migrate"
                                    + (e.queuedBy() != null ? "; queued there by " + e.queuedBy() : "") + ")", dst.context().queuedBy()));
                }
            }
            if (!requests.isEmpty()) {
                entries = dst.backend().queue().enqueueAll(requests);
            }
            progress.accept("verifying " + messages + " messages");
            List<String> differences = new ArrayList<>();
            long verified = 0;
            for (MailboxInfo info : boxes) {
                verified += verify(src, dst, info, differences);
            }
            if (differences.isEmpty()) {
                dst.finishInit(); // until now every open refused the target: it was not the copy yet
            }
            return new MigrationReport(boxes.size(), messages, bytes, expunged, explicit.size(), entries, leftOut, verified, differences,
                    Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    /**
     * Copies one mailbox, its live messages and its expunged ones still recoverable (as expunged), in UID order; returns
     * its live messages, their bytes, the expunged ones carried, and when the oldest of them was expunged.
     */
    private static long[] copy(Engine src, Engine dst, MailboxInfo info) throws IOException {
        long count = 0;
        long bytes = 0;
        long oldestExpunge = Long.MAX_VALUE;
        long carried;
        MailboxInfo target = MailboxInfo.created(info.name(), dst.backend().storage().partitions().get(0), info.uidValidity(), info.created());
        try (MailboxHandle from = src.backend().storage().open(info, true);
             MailboxHandle to = dst.backend().storage().create(target, dst.context().now())) {
            List<MessageRecord> records = from.records();
            List<Integer> gone = new ArrayList<>();
            for (org.mstore.api.ExpungedMessage m : from.expunged(false)) {
                if (m.recoverable()) {
                    gone.add(m.uid());
                    oldestExpunge = Math.min(oldestExpunge, m.expungedAt() != null ? m.expungedAt().toEpochMilli() : 0);
                }
            }
            gone.sort(null);
            carried = gone.size();
            // one sequence in UID order (restore takes UIDs upwards): live records and the expunged UIDs between them,
            // read a batch at a time
            List<Object> all = new ArrayList<>(records.size() + gone.size());
            int gi = 0;
            for (MessageRecord r : records) {
                while (gi < gone.size() && gone.get(gi) < r.uid()) {
                    all.add(gone.get(gi++));
                }
                all.add(r);
            }
            all.addAll(gone.subList(gi, gone.size()));
            for (int i = 0; i < all.size(); i += BATCH) {
                List<Object> part = all.subList(i, Math.min(all.size(), i + BATCH));
                int[] expungedUids = part.stream().filter(o -> o instanceof Integer).mapToInt(o -> (Integer) o).toArray();
                java.util.Iterator<RestoredMessage> copies = expungedUids.length == 0 ? java.util.Collections.emptyIterator()
                        : from.recoverableExpunged(expungedUids).iterator();
                List<RestoredMessage> batch = new ArrayList<>();
                for (Object o : part) {
                    if (o instanceof MessageRecord r) {
                        byte[] b = from.fetch(r.uid());
                        batch.add(new RestoredMessage(r.uid(), b, r.internalDate(), r.flags()));
                        bytes += b.length;
                        count++;
                    } else {
                        batch.add(copies.next());
                    }
                }
                boolean last = i + BATCH >= all.size();
                to.restore(batch, last ? from.nextUid() : 1);
            }
            if (all.isEmpty()) {
                to.restore(List.of(), from.nextUid());
            }
            MailboxInfo row = target.edit().nextUid(to.nextUid()).messages(to.messageCount(), to.totalSize())
                    .expunged(gone.size()).cache(to.messageCount() + gone.size(), gone.size())
                    .lastExpunge(info.lastExpunge()).lastPurge(info.lastPurge()).lastRepair(info.lastRepair()).build();
            dst.context().meta().transact(tx -> {
                tx.insert(row);
                return null;
            });
        }
        return new long[] {count, bytes, carried, oldestExpunge};
    }

    /**
     * Why a mailbox with messages held back as undecided stops a migration, and the ways on. The classic store keeps such a
     * message until an administrator decides; the target would carry it as expunged, and its Purge deletes expunged mail
     * once store.cleanupage has passed: mail the user may never have expunged, lost without anyone having chosen so.
     */
    private static String refusedUndecided(Path source, String mailbox, int[] uids) {
        String set = org.mstore.api.UidSet.of(uids).toString();
        return mailbox + " holds " + uids.length + " message" + (uids.length == 1 ? "" : "s") + " (UID " + set + ") that a Repair could"
                + " not tell expunged from live, held back and not served; the target would carry them as expunged and purge them"
                + " after store.cleanupage: bring them back first with 'mstore unexpunge " + mailbox + " " + set + " --store " + source
                + "', or give --undecided-as-expunged";
    }

    /** The expunged messages of a mailbox that can still be recovered: UID and size, one string each. */
    private static List<String> recoverable(MailboxHandle h) throws IOException {
        List<String> out = new ArrayList<>();
        for (org.mstore.api.ExpungedMessage m : h.expunged(false)) {
            if (m.recoverable()) {
                out.add(m.uid() + ":" + m.size());
            }
        }
        out.sort(null);
        return out;
    }

    /** Reads every message back from both stores; returns how many were compared. */
    private static long verify(Engine src, Engine dst, MailboxInfo info, List<String> differences) throws IOException {
        MailboxInfo copied = dst.backend().mailboxList().get(info.name()).orElse(null);
        if (copied == null) {
            differences.add(info.name() + ": missing from the target's mailbox list");
            return 0;
        }
        long n = 0;
        try (MailboxHandle a = src.backend().storage().open(info, true); MailboxHandle b = dst.backend().storage().open(copied, true)) {
            if (a.uidValidity() != b.uidValidity() || a.nextUid() != b.nextUid()) {
                differences.add(info.name() + ": UID validity/next UID " + a.uidValidity() + "/" + a.nextUid() + " became " + b.uidValidity() + "/"
                        + b.nextUid());
            }
            List<MessageRecord> ra = a.records();
            List<MessageRecord> rb = b.records();
            if (ra.size() != rb.size()) {
                differences.add(info.name() + ": " + ra.size() + " messages became " + rb.size());
            }
            for (int i = 0; i < Math.min(ra.size(), rb.size()); i++) {
                MessageRecord x = ra.get(i);
                MessageRecord y = rb.get(i);
                if (!x.equals(y)) {
                    differences.add(info.name() + " UID " + x.uid() + ": record " + x + " became " + y);
                    continue;
                }
                if (!Arrays.equals(a.fetch(x.uid()), b.fetch(y.uid()))) {
                    differences.add(info.name() + " UID " + x.uid() + ": its bytes differ");
                }
                n++;
            }
            List<String> ea = recoverable(a);
            List<String> eb = recoverable(b);
            if (!ea.equals(eb)) {
                differences.add(info.name() + ": the expunged messages still recoverable " + ea + " became " + eb);
            }
        }
        return n;
    }
}
