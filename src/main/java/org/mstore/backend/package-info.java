/**
 * The backend SPI: what a message store's backend implements so that the rules of the seed ({@code mailbox},
 * {@code purge}, {@code expire}) run on it unchanged — the mailbox list ({@link org.mstore.backend.MailboxDirectory}),
 * the maintenance queue ({@link org.mstore.backend.QueueStore}), the settings, the messages
 * ({@link org.mstore.backend.MessageStorage}), and transactions over the metadata ({@link org.mstore.backend.Metadata}).
 * The classic store implements it in {@code org.mstore.classic}; the Cassandra store in {@code org.mstore.cassandra}.
 */
package org.mstore.backend;
