-- Schema version 3 of the mboxlist database: what the protocol servers share with other processes.
-- (Version 2 is another change's; migrations are applied by their number, whichever arrives first.)
-- Every statement may run twice: H2 commits each DDL statement on its own, so a migration cut short by a crash is
-- run again whole at the next open (Database.applyMigrations; MigrationsTest).

-- IMAP subscriptions (SUBSCRIBE, LSUB): store mailbox names, which need not exist.
CREATE TABLE IF NOT EXISTS subscription (
  user_name VARCHAR(64)  NOT NULL,
  mailbox   VARCHAR(600) NOT NULL,
  PRIMARY KEY (user_name, mailbox)
);

-- The protocol servers' connected sessions, published by each server process about once a second (its heartbeat),
-- so that a console in another process can list them. Rows of a dead process are removed by whoever lists them.
CREATE TABLE IF NOT EXISTS server_session (
  id          VARCHAR(100) PRIMARY KEY,
  owner       VARCHAR(200) NOT NULL,
  process     VARCHAR(100) NOT NULL,
  host        VARCHAR(200) NOT NULL,
  protocol    VARCHAR(8)   NOT NULL,
  user_name   VARCHAR(64),
  remote      VARCHAR(100) NOT NULL,
  mailbox     VARCHAR(600),
  since       BIGINT       NOT NULL,
  last_command VARCHAR(40),
  last_active BIGINT       NOT NULL,
  idle        BOOLEAN      NOT NULL DEFAULT FALSE,
  heartbeat   BIGINT       NOT NULL
);
CREATE INDEX IF NOT EXISTS server_session_owner ON server_session(owner);
