package org.mstore.classic;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.mstore.api.ExpungeResult;
import org.mstore.api.FlagMode;
import org.mstore.api.Flags;
import org.mstore.api.MailboxName;
import org.mstore.api.MessageRecord;
import org.mstore.api.MessageView;
import org.mstore.api.NewMessage;
import org.mstore.api.UidSet;
import org.mstore.backend.CacheCounts;
import org.mstore.backend.FlagChange;
import org.mstore.backend.MailboxHandle;
import org.mstore.backend.PurgeResult;
import org.mstore.backend.RemoveResult;
import org.mstore.store.IndexRecord;
import org.mstore.store.Mailbox;
import org.mstore.store.MailboxIndex;

/** A classic mailbox directory, open and locked: {@link Mailbox} seen through the backend SPI. */
final class ClassicMailbox implements MailboxHandle {
    private final Mailbox mb;

    ClassicMailbox(Mailbox mb) {
        this.mb = mb;
    }

    Mailbox mailbox() {
        return mb;
    }

    static MessageRecord record(IndexRecord r) {
        return new MessageRecord(r.uid(), r.flags(), r.internalDate(), r.size());
    }

    @Override
    public MailboxName name() {
        return mb.name();
    }

    @Override
    public long uidValidity() {
        return mb.index().header().uidValidity() & 0xffffffffL;
    }

    @Override
    public long nextUid() {
        return mb.index().header().nextUid() & 0xffffffffL;
    }

    @Override
    public int messageCount() {
        return mb.index().header().recordCount();
    }

    @Override
    public long totalSize() {
        return mb.index().header().totalSize();
    }

    @Override
    public List<MessageRecord> records() throws IOException {
        List<IndexRecord> all = mb.index().records();
        List<MessageRecord> out = new ArrayList<>(all.size());
        for (IndexRecord r : all) {
            out.add(record(r));
        }
        return out;
    }

    @Override
    public List<MessageRecord> records(UidSet uids) throws IOException {
        MailboxIndex index = mb.index();
        int[] positions = index.positions(uids);
        List<MessageRecord> out = new ArrayList<>(positions.length);
        for (int p : positions) {
            out.add(record(index.get(p)));
        }
        return out;
    }

    @Override
    public List<MessageView> views(int offset, int limit) throws IOException {
        List<IndexRecord> records = mb.index().records();
        List<MessageView> out = new ArrayList<>();
        for (int i = Math.max(0, offset); i < records.size() && out.size() < limit; i++) {
            IndexRecord r = records.get(i);
            out.add(new MessageView(record(r), mb.summary(r)));
        }
        return out;
    }

    @Override
    public byte[] fetch(int uid) throws IOException {
        return mb.fetch(uid);
    }

    @Override
    public int[] append(List<NewMessage> messages, boolean sync) throws IOException {
        List<Mailbox.NewMessage> msgs = new ArrayList<>(messages.size());
        for (NewMessage m : messages) {
            msgs.add(new Mailbox.NewMessage(m.content(), m.internalDate(), m.flags()));
        }
        return mb.append(msgs, sync);
    }

    @Override
    public FlagChange setFlags(UidSet uids, int flags, FlagMode mode) throws IOException {
        MailboxIndex index = mb.index();
        int[] positions = index.positions(uids);
        int f = flags & Flags.ALL;
        int[] before = new int[positions.length];
        for (int i = 0; i < positions.length; i++) {
            before[i] = index.get(positions[i]).flags();
        }
        if (mode == FlagMode.ADD || mode == FlagMode.REPLACE) {
            mb.setFlag(positions, f, true);
        }
        if (mode == FlagMode.REMOVE) {
            mb.setFlag(positions, f, false);
        } else if (mode == FlagMode.REPLACE) {
            mb.setFlag(positions, Flags.ALL & ~f, false);
        }
        List<MessageRecord> was = new ArrayList<>();
        List<MessageRecord> changed = new ArrayList<>();
        for (int i = 0; i < positions.length; i++) {
            IndexRecord r = index.get(positions[i]);
            if (r.flags() != before[i]) {
                MessageRecord now = record(r);
                was.add(now.withFlags(before[i]));
                changed.add(now);
            }
        }
        return new FlagChange(was, changed);
    }

    @Override
    public ExpungeResult expunge(Predicate<MessageRecord> which, long now) throws IOException {
        Mailbox.ExpungeResult r = mb.expunge(ir -> which.test(record(ir)), now);
        return r.messages() == 0 ? ExpungeResult.NONE : new ExpungeResult(r.messages(), r.bytes(), r.uids());
    }

    @Override
    public long pendingExpunged() throws IOException {
        return mb.pendingExpunged();
    }

    @Override
    public String clean(String stamp) throws IOException {
        return mb.clean(stamp);
    }

    @Override
    public List<String> cleanupStamps() throws IOException {
        return mb.cleanupStamps();
    }

    @Override
    public RemoveResult remove(Predicate<String> isDue) throws IOException {
        Mailbox.RemoveResult r = mb.remove(isDue);
        return new RemoveResult(r.files(), r.bytes(), r.earlierFiles(), r.earlierBytes(), r.removedStamps(), r.remainingStamps(),
                new CacheCounts(r.counts().records(), r.counts().expunged()));
    }

    @Override
    public PurgeResult purge() throws IOException {
        return result(mb.purge());
    }

    @Override
    public java.util.Optional<PurgeResult> upgrade() throws IOException {
        return java.util.Optional.ofNullable(mb.upgrade()).map(ClassicMailbox::result);
    }

    private static PurgeResult result(Mailbox.PurgeResult r) {
        return new PurgeResult(r.recordsBefore(), r.recordsAfter(), r.bytesBefore(), r.bytesAfter());
    }

    @Override
    public List<org.mstore.api.ExpungedMessage> expunged(boolean headers) throws IOException {
        List<org.mstore.api.ExpungedMessage> out = new ArrayList<>();
        for (Mailbox.Expunged x : mb.expunged()) {
            org.mstore.api.MessageSummary s = headers && x.filePresent() ? mb.expungedSummary(x.uid()) : null;
            org.mstore.api.ExpungedMessage.State state = x.recoveredAs() != 0 ? org.mstore.api.ExpungedMessage.State.RECOVERED
                    : x.filePresent() ? org.mstore.api.ExpungedMessage.State.RECOVERABLE : org.mstore.api.ExpungedMessage.State.REMOVED;
            out.add(new org.mstore.api.ExpungedMessage(x.uid(), x.size(), java.time.Instant.ofEpochMilli(x.expungedAt()),
                    s == null ? null : java.time.Instant.ofEpochMilli(s.internalDate()), s == null ? "" : s.date(), s == null ? "" : s.from(),
                    s == null ? "" : s.subject(), state, x.recoveredAs(),
                    x.recoveredAs() == 0 ? null : java.time.Instant.ofEpochMilli(x.recoveredAt())));
        }
        return out;
    }

    @Override
    public int[] heldUndecided() throws IOException {
        return mb.expunged().stream().filter(x -> x.recoverable() && Mailbox.QUARANTINE.equals(x.list()))
                .mapToInt(Mailbox.Expunged::uid).toArray();
    }

    @Override
    public List<org.mstore.backend.RestoredMessage> recoverableExpunged(int[] uids) throws IOException {
        return mb.recoverableExpunged(uids).stream()
                .map(c -> new org.mstore.backend.RestoredMessage(c.uid(), c.content(), c.internalDate(), c.flags(), c.expungedAt())).toList();
    }

    @Override
    public int[] unexpunge(int[] oldUids, long now) throws IOException {
        return mb.unexpunge(oldUids, now);
    }

    @Override
    public CacheCounts cacheCounts() throws IOException {
        var c = mb.cacheCounts();
        return new CacheCounts(c.records(), c.expunged());
    }

    @Override
    public List<String> verify() throws IOException {
        return mb.verify();
    }

    @Override
    public void close() throws IOException {
        mb.close();
    }
}
