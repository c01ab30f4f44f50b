package org.mstore.api;

/** A message as a listing shows it: its record and its envelope summary. */
public record MessageView(MessageRecord record, MessageSummary summary) {
}
