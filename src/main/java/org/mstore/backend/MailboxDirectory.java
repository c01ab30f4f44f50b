package org.mstore.backend;

import java.util.List;
import java.util.Optional;

import org.mstore.api.MailboxInfo;

/** The mailbox list (SPEC §2), read outside a transaction. Changes go through {@link Metadata}. */
public interface MailboxDirectory {
    Optional<MailboxInfo> get(String name);

    default boolean exists(String name) {
        return get(name).isPresent();
    }

    /** Every mailbox, by name. */
    List<MailboxInfo> list();

    /** The mailbox {@code name} and every mailbox below it, by name. */
    List<MailboxInfo> subtree(String name);
}
