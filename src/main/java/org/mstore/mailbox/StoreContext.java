package org.mstore.mailbox;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;

import org.mstore.config.StoreSettings;
import org.mstore.db.Database;
import org.mstore.log.StoreLog;
import org.mstore.mboxlist.MailboxList;
import org.mstore.queue.MaintenanceQueue;
import org.mstore.store.ClassicStore;
import org.mstore.store.Mailbox;

/**
 * The parts of one open store that the services share: the layout on disk, the database with its
 * mailbox list, queue and settings, the default log, the clock, and the name this process logs under.
 */
public record StoreContext(ClassicStore layout, Database db, MailboxList mboxlist, MaintenanceQueue queue,
                           StoreSettings settings, StoreLog log, Clock clock, String processName) {

    public long now() {
        return clock.millis();
    }

    public Instant instant() {
        return clock.instant();
    }

    /** A cleanup stamp ({@code yyyyMMddHHmmss}) for {@code millis}, in the clock's zone. */
    public String stamp(long millis) {
        return ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), clock.getZone()).format(Mailbox.STAMP);
    }

    /** The instant a cleanup stamp stands for, in the clock's zone. */
    public Instant stampInstant(String stamp) {
        return LocalDateTime.parse(stamp, Mailbox.STAMP).atZone(clock.getZone()).toInstant();
    }
}
