-- Reconciliation input 1: one row per idempotency key in the ledger.
-- Columns: key, auth, op (reserve | release | consume), units (per row), rows (how many rows
-- carry this key; more than 1 means a request was applied twice). Adapt to your schema.
SELECT idempotency_key            AS key,
       authorization_id::text     AS auth,
       operation::text            AS op,
       MAX(units)                 AS units,
       COUNT(*)                   AS rows
  FROM unit_ledger
 GROUP BY idempotency_key, authorization_id, operation;
