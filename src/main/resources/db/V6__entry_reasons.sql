-- Schema version 6: an entry keeps why it was queued (the threshold it crossed with the figures of that moment, a
-- corruption's message, an administrator's action), the process that queued it (name[pid]@host) and when it was first
-- queued. A Repair that self-healing re-stamps moves its ts forward; queued_at stays, so its age is kept. Its history row
-- keeps the three too. Entries queued before this version have none (NULL): the console works the reason out from the
-- mailbox's figures now and says so.
-- Every statement may run twice: H2 commits each DDL statement on its own, so a migration cut short by a crash is
-- run again whole at the next open (Database.applyMigrations; MigrationsTest).
ALTER TABLE maintenance_queue ADD COLUMN IF NOT EXISTS reason VARCHAR(1000);
ALTER TABLE maintenance_queue ADD COLUMN IF NOT EXISTS queued_by VARCHAR(200);
ALTER TABLE maintenance_queue ADD COLUMN IF NOT EXISTS queued_at BIGINT;
ALTER TABLE queue_history ADD COLUMN IF NOT EXISTS reason VARCHAR(1000);
ALTER TABLE queue_history ADD COLUMN IF NOT EXISTS queued_by VARCHAR(200);
ALTER TABLE queue_history ADD COLUMN IF NOT EXISTS queued_at BIGINT;
