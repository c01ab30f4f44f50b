package org.mstore.api;

/**
 * A user name that fails validation ({@code mstore user add}): the message names the user name and what is wrong with
 * it. A user name is its INBOX's second component, so it is also an {@link InvalidMailboxNameException}.
 */
public class InvalidUserNameException extends InvalidMailboxNameException {
    public InvalidUserNameException(String user, String reason) {
        super(user, "invalid user name '" + user + "': " + reason, true);
    }
}
