package org.mstore.api;

import java.io.IOException;
import java.nio.file.Path;

/** The administrator's maintenance commands: repair, check, rebuild the mailbox list, expire. */
public interface Maintenance {
    /** {@code reconstruct MAILBOX}: repairs now, outside the queue; returns what the repair did. */
    String reconstruct(String mailbox) throws IOException;

    /** The full sanity check; problems are logged and a Repair queued (unless the store is read-only). */
    CheckReport check(String mailbox) throws IOException;

    /** The full sanity check, changing nothing ({@code reconstruct -n}). */
    CheckReport inspect(String mailbox) throws IOException;

    /**
     * {@code reconstruct --mboxlist}: rebuilds the mailbox list from the mailboxes in storage and queues again what
     * their state calls for; returns the number of mailboxes listed.
     */
    int rebuildMailboxList() throws IOException;

    /**
     * What the last {@link #rebuildMailboxList} did besides listing the mailboxes, one line each: a damaged database
     * set aside, settings restored from their mirror.
     */
    default java.util.List<String> rebuildNotes() {
        return java.util.List.of();
    }

    /**
     * The bytes of expunged messages still on disk in {@code mailbox}, read from its expunge lists without taking its
     * lock (a snapshot: a Clean or Remove running meanwhile may make it a moment out of date).
     */
    default ReclaimableSpace reclaimable(String mailbox) throws IOException {
        return ReclaimableSpace.unknown(mailbox);
    }

    /** The disk of the store's files, with impurge's reserve on it; empty for a store whose files are not on this host. */
    default java.util.Optional<DiskSpace> disk() {
        return java.util.Optional.empty();
    }

    /** {@code imexpire}: applies the rules of a rule file ({@link RuleFileException} if it cannot be used). */
    ExpireReport expire(Path ruleFile, boolean dryRun) throws IOException;
}
