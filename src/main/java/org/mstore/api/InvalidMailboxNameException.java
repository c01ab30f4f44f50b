package org.mstore.api;

/** A mailbox name that fails validation; the message names the input and what is wrong with it. */
public class InvalidMailboxNameException extends IllegalArgumentException {
    private final String input;

    public InvalidMailboxNameException(String input, String reason) {
        super("invalid mailbox name '" + input + "': " + reason);
        this.input = input;
    }

    /** For a subclass that words its message itself. */
    protected InvalidMailboxNameException(String input, String message, boolean worded) {
        super(message);
        this.input = input;
    }

    public String input() {
        return input;
    }
}
