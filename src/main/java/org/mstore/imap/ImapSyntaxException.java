package org.mstore.imap;

/** A command that does not follow the grammar: answered with {@code BAD} and the reason. */
final class ImapSyntaxException extends RuntimeException {
    ImapSyntaxException(String message) {
        super(message, null, false, false);
    }
}
