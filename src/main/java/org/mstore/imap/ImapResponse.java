package org.mstore.imap;

import java.nio.charset.StandardCharsets;

/** Bytes of one or more complete server responses, written in one piece (an encoder turns them into a buffer). */
record ImapResponse(byte[] bytes) {
    static ImapResponse of(String text) {
        return new ImapResponse(text.getBytes(StandardCharsets.UTF_8));
    }

    static ImapResponse continuation(String text) {
        return of("+ " + text + "\r\n");
    }
}
