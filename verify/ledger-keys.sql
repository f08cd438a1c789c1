-- Reconciliation input 1: the ledger rows of each idempotency key, grouped by the whole request.
-- Columns: key, auth, op (reserve | release | consume), units (per row), rows (how many rows
-- carry this key with this authorization, operation and units). A key applied twice shows
-- rows > 1; a key whose rows carry another authorization, operation or units than the request
-- is reported as `mismatched`. Adapt the lines marked ADAPT to your schema; keep the columns.
SELECT idempotency_key            AS key,     -- ADAPT
       authorization_id::text     AS auth,    -- ADAPT
       operation::text            AS op,      -- ADAPT: reserve | release | consume
       units                      AS units,   -- ADAPT
       COUNT(*)                   AS rows
  FROM unit_ledger                            -- ADAPT
 GROUP BY 1, 2, 3, 4;
