package org.mstore.imap;

/** A command that cannot be done: answered with {@code NO}, an optional response code and the reason. */
final class ImapNo extends RuntimeException {
    final String code;

    ImapNo(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    ImapNo(String message) {
        this(null, message);
    }
}
