package org.mstore.imap;

/**
 * What the decoder refused, for the session to answer in turn: a line or literal over the limit, or a literal it
 * could not read. {@code tag} is the command's tag when it could be read ({@code *} otherwise); {@code close}: the
 * connection cannot go on (a non-synchronizing literal too big to skip).
 */
record DecodeError(String tag, String status, String text, boolean close) {
}
