-- 007: apply_unit_operation reads its authorization by index, never by a sequential scan.
-- Under SERIALIZABLE a sequential scan takes a predicate lock on the whole table (PostgreSQL
-- docs, "Serializable Isolation Level"), so every concurrent operation that updates any other
-- authorization becomes a read/write conflict, and one of the two is retried. The authorizations
-- table is small; once autovacuum has analyzed it mid-run, the planner prefers a sequential
-- scan for `WHERE id = $1`. Measured in scenario 2 (300 s): from that analyze on, the scans of
-- authorizations went from index to sequential (about 4,500 a 10-s period, none by index) and
-- the rollbacks from 20-66 to 229-500 a period; the first answers were retried 25 % of the
-- time against 0.45 % in the 30-s run, which ends before that analyze (issue 10, B7).
ALTER FUNCTION apply_unit_operation(text, uuid, unit_operation, integer, text, uuid, text, integer)
  SET enable_seqscan = off;
