package org.mstore.mailbox;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import org.mstore.backend.Backend;
import org.mstore.backend.MailboxDirectory;
import org.mstore.backend.MessageStorage;
import org.mstore.backend.Metadata;
import org.mstore.backend.QueueStore;
import org.mstore.backend.SettingsStore;
import org.mstore.log.StoreLog;

/**
 * The parts of one open store that the rules share: the backend (mailbox list, queue, settings, messages), the default
 * log, the clock, the name this process logs under, and whether the store was opened read-only.
 */
public record StoreContext(Backend backend, StoreLog log, Clock clock, String processName, boolean readOnly) {
    /** The format of cleanup stamps: {@code yyyyMMddHHmmss}. */
    public static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

    public MailboxDirectory mboxlist() {
        return backend.mailboxList();
    }

    public QueueStore queue() {
        return backend.queue();
    }

    public SettingsStore settings() {
        return backend.settings();
    }

    public MessageStorage storage() {
        return backend.storage();
    }

    public Metadata meta() {
        return backend.metadata();
    }

    public long now() {
        return clock.millis();
    }

    /** The name an entry this process queues records as its {@code queued_by}: {@code name[pid]@host}. */
    public String queuedBy() {
        return org.mstore.api.QueueRequest.process(processName);
    }

    public Instant instant() {
        return clock.instant();
    }

    /** A cleanup stamp ({@code yyyyMMddHHmmss}) for {@code millis}, in the clock's zone. */
    public String stamp(long millis) {
        return ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), clock.getZone()).format(STAMP);
    }

    /** The instant a cleanup stamp stands for, in the clock's zone. */
    public Instant stampInstant(String stamp) {
        return LocalDateTime.parse(stamp, STAMP).atZone(clock.getZone()).toInstant();
    }
}
