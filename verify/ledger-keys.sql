-- Reconciliation input 1: the idempotency key of every ledger row, with the request it applied.
-- Columns: key, auth, op (reserve | release | consume), units (per row), rows (how many ledger
-- rows the line stands for). The verifier adds up a key's rows as they arrive, so a line may
-- stand for one row (rows = 1, as here: no grouping for PostgreSQL to do, which at a million rows
-- costs it more than the scan) or for several (GROUP BY 1, 2, 3, 4 with COUNT(*) AS rows). A key
-- applied twice adds up to rows > 1; a key whose rows carry another authorization, operation or
-- units than the request is reported as `mismatched`. Adapt the lines marked ADAPT to your
-- schema; keep the columns.
SELECT idempotency_key            AS key,     -- ADAPT
       authorization_id::text     AS auth,    -- ADAPT
       operation::text            AS op,      -- ADAPT: reserve | release | consume
       units                      AS units,   -- ADAPT
       1                          AS rows
  FROM unit_ledger;                           -- ADAPT
