-- Schema version 4: every action has lanes of its own, so that impurge can leave one action's entries waiting
-- (store.purge.paused) without reading past them. Lane 1 held Clean, Purge and every forced entry; now
--   1 Clean, waiting (by RecNo)
--   4 Purge, waiting (by RecNo)
--   5 Remove, forced, waiting (by RecNo)
-- and lanes 0 (Repair), 2 (Remove, by timestamp), 3 (back-off), 8 (running) and 9 (parked) are as they were. pick_key
-- is RecNo in the new lanes, as H2 already computes it for every lane but 2 and 3.
-- Every statement may run twice: H2 commits each DDL statement on its own, so a migration cut short by a crash is
-- run again whole at the next open (Database.applyMigrations; MigrationsTest).
UPDATE maintenance_queue SET lane = 4 WHERE lane = 1 AND action = 'Purge';
UPDATE maintenance_queue SET lane = 5 WHERE lane = 1 AND action = 'Remove';
