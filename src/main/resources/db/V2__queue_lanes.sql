-- Schema version 2: a queue that drains fast at any depth, parked (failed) entries, and a change log written in
-- commit order. Existing entries are kept (see docs/queue.md).
-- Every statement may run twice: H2 commits each DDL statement on its own, so a migration cut short by a crash is
-- run again whole at the next open (Database.applyMigrations; MigrationsTest).

-- Where a queue entry is in its life. lane is the state machine:
--   0 Repair, waiting (picked first, by RecNo)
--   1 Clean, Purge and forced entries, waiting (by RecNo)
--   2 Remove, waiting (by timestamp: due at ts + the current store.cleanupage)
--   3 back-off after a failure, waiting (by not_before; moved back to its lane once due)
--   8 running (claimed by an impurge)
--   9 failed: parked after too many failed attempts, until an administrator retries or discards it
-- pick_key is the order within a lane, so that a pick is one seek of (lane, pick_key) whatever the depth.
ALTER TABLE maintenance_queue ADD COLUMN IF NOT EXISTS lane TINYINT;
UPDATE maintenance_queue SET lane = CASE
    WHEN picked_by IS NOT NULL THEN 8
    WHEN not_before IS NOT NULL THEN 3
    WHEN action = 'Repair' THEN 0
    WHEN action = 'Remove' AND forced = FALSE THEN 2
    ELSE 1 END;
ALTER TABLE maintenance_queue ALTER COLUMN lane SET NOT NULL;
ALTER TABLE maintenance_queue ADD COLUMN IF NOT EXISTS pick_key BIGINT GENERATED ALWAYS AS (
    CASE lane WHEN 2 THEN ts WHEN 3 THEN not_before ELSE recno END);
ALTER TABLE maintenance_queue ADD COLUMN IF NOT EXISTS state VARCHAR(8) GENERATED ALWAYS AS (
    CASE lane WHEN 8 THEN 'running' WHEN 9 THEN 'failed' ELSE 'waiting' END);
-- TRUE while waiting, NULL otherwise: a unique index holds any number of NULLs, so (mailbox, action) is unique among
-- waiting entries only (one running and one waiting may coexist).
ALTER TABLE maintenance_queue ADD COLUMN IF NOT EXISTS waiting BOOLEAN GENERATED ALWAYS AS (CASE WHEN lane < 8 THEN TRUE END);
ALTER TABLE maintenance_queue DROP CONSTRAINT IF EXISTS mq_pending;
CREATE UNIQUE INDEX IF NOT EXISTS mq_waiting ON maintenance_queue(mailbox, action, waiting);
DROP INDEX IF EXISTS mq_action_ts;
CREATE INDEX IF NOT EXISTS mq_lane ON maintenance_queue(lane, pick_key);

-- The history keeps how many attempts an entry took and its last error; it is read by RecNo and paged by outcome.
ALTER TABLE queue_history ADD COLUMN IF NOT EXISTS attempts INT NOT NULL DEFAULT 0;
ALTER TABLE queue_history ADD COLUMN IF NOT EXISTS last_error VARCHAR(1000);
CREATE INDEX IF NOT EXISTS qh_recno ON queue_history(recno);
CREATE INDEX IF NOT EXISTS qh_outcome ON queue_history(outcome, seq);

-- The change log: every writing transaction records its changes last, after taking the lock of the one counter row,
-- which it holds until it commits; so log rows are numbered in commit order. Queue changes are ranges of RecNos
-- (added, changed) or of history sequences (done) in first_id..last_id.
CREATE TABLE IF NOT EXISTS change_counter (
  id       INT PRIMARY KEY,
  last_tx  BIGINT NOT NULL
);
INSERT INTO change_counter(id, last_tx) SELECT 1, 0 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM change_counter);
ALTER TABLE change_log ALTER COLUMN subject SET NULL;
ALTER TABLE change_log ADD COLUMN IF NOT EXISTS first_id BIGINT;
ALTER TABLE change_log ADD COLUMN IF NOT EXISTS last_id BIGINT;
