package org.mstore.api;

/** A mailbox name that fails validation; the message names the input and what is wrong with it. */
public class InvalidMailboxNameException extends IllegalArgumentException {
    private final String input;

    public InvalidMailboxNameException(String input, String reason) {
        super("invalid mailbox name '" + input + "': " + reason);
        this.input = input;
    }

    public String input() {
        return input;
    }
}
