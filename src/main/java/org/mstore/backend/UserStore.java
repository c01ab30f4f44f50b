package org.mstore.backend;

import java.util.List;
import java.util.Optional;

/**
 * Where the mail users and their IMAP subscriptions are kept, shared by every process (and every host) of the store.
 *
 * <p>Contract for a backend: a credential is an opaque string that the rules make and check (a salted slow hash; the
 * backend never sees a password); every change is durable when the method returns; readable and writable by the
 * store's owner only; a user's name is a valid mailbox user ({@code user/NAME} is their INBOX). Subscriptions are store
 * mailbox names, and need not name an existing mailbox.
 */
public interface UserStore {
    /** A user as stored: name, credential, when added and when the credential last changed (epoch ms). */
    record StoredUser(String name, String credential, long created, long passwordChanged) {
    }

    /** Every user, by name. */
    List<StoredUser> list();

    Optional<StoredUser> get(String name);

    /** Adds a user; false (and nothing changed) if the name is taken. */
    boolean insert(StoredUser user);

    /** Replaces a user's credential; false if there is no such user. */
    boolean updateCredential(String name, String credential, long when);

    /** Removes a user and their subscriptions; false if there is no such user. */
    boolean delete(String name);

    /** The user's subscriptions, by name. */
    List<String> subscriptions(String user);

    /** Adds a subscription (idempotent). */
    void subscribe(String user, String mailbox);

    /** Removes a subscription (idempotent). */
    void unsubscribe(String user, String mailbox);
}
