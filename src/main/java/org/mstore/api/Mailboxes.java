package org.mstore.api;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Mailboxes and their messages, as a mail server's processes use them. A mailbox that fails a sanity check on the way
 * throws {@link RepairRequestedException}: the failure was logged and a Repair queued, as the seed's self-healing does.
 */
public interface Mailboxes {
    /** The default partition of new mailboxes. */
    String DEFAULT_PARTITION = "primary";

    /** The partitions a new mailbox can go to. */
    List<String> partitions() throws IOException;

    /** Every mailbox, by name. */
    List<MailboxInfo> list();

    /** The mailbox {@code name} and every mailbox below it ({@code name/...}), by name. */
    List<MailboxInfo> subtree(String name);

    Optional<MailboxInfo> find(String name);

    /** The mailbox's metadata; {@link NoSuchMailboxException} if there is none. */
    MailboxInfo get(String name);

    default boolean exists(String name) {
        return find(name).isPresent();
    }

    /** Creates a mailbox in the default partition; a folder needs its user's INBOX. */
    default MailboxInfo create(String name) throws IOException {
        return create(name, DEFAULT_PARTITION);
    }

    MailboxInfo create(String name, String partition) throws IOException;

    /** Deletes a mailbox and every mailbox below it, with their pending queue entries; returns their names. */
    List<String> delete(String name) throws IOException;

    /**
     * Renames a mailbox and every mailbox below it, within one user: their messages, UIDs and UID validity go along,
     * and so do their pending queue entries. An INBOX cannot be renamed this way (IMAP's RENAME of INBOX moves its
     * messages instead: {@link #copy} then {@link #expunge}). Returns the new names, in order.
     */
    List<String> rename(String from, String to) throws IOException;

    /**
     * Copies the messages of a UID set to another mailbox of the same store, keeping their flags and internal dates;
     * all of them are appended at once (forced to disk) or none.
     */
    CopyResult copy(String from, UidSet uids, String to) throws IOException;

    /** Appends messages, each forced to disk before this returns. */
    default AppendResult append(String mailbox, List<NewMessage> messages) throws IOException {
        return append(mailbox, messages, true);
    }

    /** Appends messages; {@code sync} false skips forcing each message (bulk generation of test data). */
    AppendResult append(String mailbox, List<NewMessage> messages, boolean sync) throws IOException;

    /**
     * Why the store would refuse {@code message} (empty, over {@code store.message.maxsize}, not an RFC 5322 message),
     * in words that follow "the message ...", or empty when it would take it.
     */
    Optional<String> checkMessage(byte[] message);

    /** The largest message the store accepts ({@code store.message.maxsize}), in bytes. */
    long maxMessageSize();

    /** Sets, clears or replaces flags on the messages of a UID set; returns the records that changed, with their new flags. */
    List<MessageRecord> setFlags(String mailbox, UidSet uids, int flags, FlagMode mode) throws IOException;

    /** Sets ({@code on}) or clears {@code \Deleted}; returns how many messages changed. */
    default int setDeleted(String mailbox, UidSet uids, boolean on) throws IOException {
        return setFlags(mailbox, uids, Flags.DELETED, on ? FlagMode.ADD : FlagMode.REMOVE).size();
    }

    /**
     * Expunges the {@code \Deleted} messages: they leave the mailbox, its Expunged count grows, and the store's
     * maintenance is queued past {@code store.cleanupsize}.
     */
    ExpungeResult expunge(String mailbox) throws IOException;

    /** Expunges the {@code \Deleted} messages among {@code uids} only (UID EXPUNGE). */
    ExpungeResult expunge(String mailbox, UidSet uids) throws IOException;

    /** A message's bytes, exactly as appended; never altered bytes (a damaged message is a format error). */
    byte[] fetch(String mailbox, int uid) throws IOException;

    /** Reads one message after another: what {@link #fetch(String, UidSet, MessageReader)} hands over. */
    @FunctionalInterface
    interface MessageReader {
        void read(MessageRecord record, byte[] content) throws IOException;
    }

    /**
     * Reads the messages of a UID set that are in the mailbox, in UID order, with one opening of it (a client's FETCH
     * of many messages). The mailbox stays locked while {@code reader} runs: it must not call the store, and should
     * only copy or parse what it is given. A damaged message is a format error, as for {@link #fetch(String, int)}.
     */
    void fetch(String mailbox, UidSet uids, MessageReader reader) throws IOException;

    /** The live messages with their envelope summaries, at most {@code limit} from position {@code offset}. */
    List<MessageView> messages(String mailbox, int offset, int limit) throws IOException;

    /** The mailbox's UID validity, next UID and every live message's record. */
    MailboxSnapshot snapshot(String mailbox) throws IOException;

    /** The records of the messages of a UID set that are in the mailbox. */
    List<MessageRecord> records(String mailbox, UidSet uids) throws IOException;

    /** Metadata and what waits for maintenance (expunge lists awaiting Remove, quarantined messages). */
    MailboxDetails details(String mailbox) throws IOException;

    /**
     * The mailbox's expunged messages that the store still knows of, by old UID: those waiting for their Clean and
     * those a Clean set aside for Remove ({@code store.cleanupage}), each with whether it can still be recovered (its
     * file still there, not recovered yet). Date, From and Subject are read from the start of each file only.
     */
    List<ExpungedMessage> expunged(String mailbox) throws IOException;

    /**
     * Recovers expunged messages (Cyrus's {@code unexpunge}): each one's file, still there until Remove deletes it, is
     * appended again as a NEW message (a new UID, as IMAP requires), with exactly its bytes (checked against its size
     * and, while its cache record is there, its checksum) and its original internal date. Flags: a recovered message comes
     * back with the flags it had when it was expunged (kept in its expunge record), less {@code \Deleted}, so that the
     * next EXPUNGE does not take it again; one expunged by an older release (whose expunge lists kept no flags) comes
     * back with none. Keywords are not kept by the store at all.
     * Every message of {@code uids} that is expunged is recovered, or none is: one whose file was removed, or that was
     * recovered already, fails the whole call with a one-line reason ({@link IllegalArgumentException}). A message is
     * never recovered twice. The mailbox's counts are updated and its Expunged count goes down.
     * {@link ReadOnlyStoreException} on a read-only store.
     */
    UnexpungeResult unexpunge(String mailbox, UidSet uids) throws IOException;
}
