-- Schema version 6: an entry keeps why it was queued (the threshold it crossed with the figures of that moment, a
-- corruption's message, an administrator's action), the process that queued it (name[pid]@host) and when it was first
-- queued. A Repair that self-healing re-stamps moves its ts forward; queued_at stays, so its age is kept. Its history row
-- keeps the three too. Entries queued before this version have none (NULL): the console works the reason out from the
-- mailbox's figures now and says so.
-- Each table gains its three columns in one statement: H2 adds a column by copying the table, so three statements
-- copied it three times (about 10 s for every million entries, each). A statement that adds columns is all or nothing;
-- one whose columns are all there already (a migration cut short by a crash and run again) is skipped
-- (Database.applyMigrations; MigrationsTest).
ALTER TABLE maintenance_queue ADD (reason VARCHAR(1000), queued_by VARCHAR(200), queued_at BIGINT);
ALTER TABLE queue_history ADD (reason VARCHAR(1000), queued_by VARCHAR(200), queued_at BIGINT);
