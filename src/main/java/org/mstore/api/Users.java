package org.mstore.api;

import java.util.List;
import java.util.Optional;

/**
 * The store's mail users: who may log in to the protocol servers, and their IMAP subscriptions. Passwords are kept
 * only as slow salted hashes (PBKDF2-HMAC-SHA256); a password given to these calls is never stored or logged, and the
 * caller should clear its array afterwards.
 */
public interface Users {
    /** Every user, by name. */
    List<UserInfo> list();

    Optional<UserInfo> find(String user);

    /**
     * Adds a user with a password and creates their INBOX ({@code user/NAME}) if it is not there yet. Refuses a name
     * that cannot be a mailbox user ({@link InvalidMailboxNameException}) and one that exists already.
     */
    UserInfo add(String user, char[] password) throws java.io.IOException;

    /** Changes a user's password; {@link NoSuchUserException} if there is no such user. */
    void setPassword(String user, char[] password);

    /** Removes a user's login and subscriptions (never their mail); {@link NoSuchUserException} if there is none. */
    void delete(String user);

    /**
     * True when {@code password} is the user's. Takes as long for an unknown user as for a wrong password, so that
     * the answer's timing tells nothing.
     */
    boolean authenticate(String user, char[] password);

    /** The user's subscribed mailboxes (store names, {@code user/NAME[/FOLDER]}), by name. */
    List<String> subscriptions(String user);

    /** Subscribes a user to a mailbox of their own (it need not exist: RFC 3501 allows it). */
    void subscribe(String user, String mailbox);

    void unsubscribe(String user, String mailbox);
}
