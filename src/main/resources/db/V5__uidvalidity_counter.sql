-- Schema version 5: the last UIDVALIDITY the store issued (RFC 3501 section 2.3.1.1). A new mailbox gets
-- GREATEST(last + 1, the time in seconds) in one UPDATE of the one row, which every process of the store shares: a
-- mailbox deleted (or renamed away) and created again in the same second gets a new UIDVALIDITY, never one that named
-- other messages before. The row starts above every mailbox the store lists (H2Metadata.issueUidValidity).
-- Every statement may run twice: H2 commits each DDL statement on its own, so a migration cut short by a crash is
-- run again whole at the next open (Database.applyMigrations; MigrationsTest).
CREATE TABLE IF NOT EXISTS uidvalidity_counter (
  id           INT PRIMARY KEY,
  last_issued  BIGINT NOT NULL
);
INSERT INTO uidvalidity_counter(id, last_issued) SELECT 1, COALESCE((SELECT MAX(uidvalidity) FROM mailbox), 0) FROM DUAL
  WHERE NOT EXISTS (SELECT 1 FROM uidvalidity_counter);
