package org.mstore.api;

/**
 * The envelope summary of a message: what a client listing needs without reading the message itself.
 * Header values are raw (as they appear in the message, unfolded).
 */
public record MessageSummary(long internalDate, int size, String date, String from, String to, String cc,
                             String subject, String messageId, String inReplyTo, String contentType) {
    public static final MessageSummary EMPTY = new MessageSummary(0, 0, "", "", "", "", "", "", "", "");
}
