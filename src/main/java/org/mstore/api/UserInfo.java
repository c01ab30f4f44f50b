package org.mstore.api;

import java.time.Instant;

/** A mail user: the name (their INBOX is {@code user/NAME}), when they were added and when their password last changed. */
public record UserInfo(String name, Instant created, Instant passwordChanged) {
}
