package org.mstore.api;

/** There is no such mail user. */
public class NoSuchUserException extends IllegalArgumentException {
    public NoSuchUserException(String user) {
        super("no such user: " + user);
    }
}
