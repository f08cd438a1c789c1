-- 003: one database round trip per unit operation, and a capacity check whose cost does not grow
-- with the ledger.
-- supersedes d15e562811294668be41a3a99b36bf0708fd05c960622d2d7832bcb1b74104e6 (with the function inline)
--
-- The capacity check is still an AGGREGATE over unit_ledger, read under SERIALIZABLE (that is what
-- the pack tests). It no longer sums the authorization's whole history: each authorization
-- carries a checkpoint (the balance up to ledger row checkpoint_ledger_id), and an operation sums
-- only the rows after it. When that tail reaches p_fold_after rows, the operation that adds the
-- next row folds the tail into the checkpoint, in the same UPDATE that already moves the stored
-- balances. So the rows read per operation stay below p_fold_after, whatever the run length.
--
-- Why folding is safe: every applied operation UPDATEs its authorization row. Under SERIALIZABLE
-- two concurrent writers of the same authorization cannot both commit (the second fails with
-- 40001), so when an operation folds up to its own row id, no other writer of that
-- authorization with a smaller id can still commit.
--
-- The balances are bigint: cumulative reserve/release sums are never stored, only the balance,
-- which is bounded by the capacity, so nothing here can overflow.
ALTER TABLE authorizations
  ADD COLUMN checkpoint_ledger_id bigint NOT NULL DEFAULT 0,
  ADD COLUMN checkpoint_reserved  bigint NOT NULL DEFAULT 0,
  ADD COLUMN checkpoint_consumed  bigint NOT NULL DEFAULT 0;

-- The tail scan: this authorization's rows after the checkpoint, index-only (see 002).
DROP INDEX IF EXISTS unit_ledger_authorization_covering_idx;
CREATE INDEX unit_ledger_authorization_tail_idx ON unit_ledger (authorization_id, id) INCLUDE (operation, units);

-- The balance body the API answers with (and stores for idempotent replay).
CREATE FUNCTION unit_balance_body(p_capacity integer, p_reserved bigint, p_consumed bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('capacityUnits', p_capacity, 'reservedUnits', p_reserved, 'consumedUnits', p_consumed,
                            'availableUnits', p_capacity - p_reserved - p_consumed)
$$;

-- The function that makes one unit operation in one round trip, apply_unit_operation, is defined
-- in db/functions/apply_unit_operation.sql (applied after the migrations whenever it changes).
