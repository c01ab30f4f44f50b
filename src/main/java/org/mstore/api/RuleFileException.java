package org.mstore.api;

/** A rule file that cannot be used; the message names the file and line. */
public class RuleFileException extends IllegalArgumentException {
    public RuleFileException(String message) {
        super(message);
    }
}
