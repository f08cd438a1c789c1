-- === Authorization Unit Integrity Check ===
--
-- Returns one row per violation; ZERO ROWS IS THE PASS.
-- Adapt the three CTE lines marked "ADAPT" to your own schema and keep the output columns:
--   authorization_id, violation, capacity_units, ledger_reserved, ledger_consumed,
--   stored_reserved, stored_consumed, excess_units
--
-- violation is one of:
--   overbooked             reserved + consumed (from the ledger) exceeds the capacity
--   negative_balance       the ledger's reserved or consumed units are below zero
--   counter_mismatch       stored balance columns disagree with the ledger sums
--   duplicate_key          one idempotency key applied more than once (excess_units: the extra rows' units)
--   ack_without_ledger_row an idempotency outcome records a success, but the ledger has no row for it
--   orphan_ledger_row      ledger rows for an authorization that does not exist
--   checkpoint_mismatch    (reference schema only: delete for yours) the balance stored at an
--                          authorization's checkpoint disagrees with its ledger rows up to it
-- (Overbooking that a later release hid is found by replaying ledger-order.sql.)
WITH ledger AS (
  SELECT authorization_id,                                                            -- ADAPT
         COALESCE(SUM(units) FILTER (WHERE operation = 'reserve'), 0)
       - COALESCE(SUM(units) FILTER (WHERE operation = 'release'), 0)
       - COALESCE(SUM(units) FILTER (WHERE operation = 'consume'), 0) AS reserved,
         COALESCE(SUM(units) FILTER (WHERE operation = 'consume'), 0) AS consumed,
         SUM(units) AS units
    FROM unit_ledger                                                                  -- ADAPT
   GROUP BY authorization_id
),
balances AS (
  SELECT a.id AS authorization_id,
         a.capacity_units,
         COALESCE(l.reserved, 0) AS ledger_reserved,
         COALESCE(l.consumed, 0) AS ledger_consumed,
         a.reserved_units AS stored_reserved,                                         -- ADAPT (NULL if none)
         a.consumed_units AS stored_consumed
    FROM authorizations a
    LEFT JOIN ledger l ON l.authorization_id = a.id
)
SELECT authorization_id, violation, capacity_units, ledger_reserved, ledger_consumed,
       stored_reserved, stored_consumed, excess_units
  FROM (
    SELECT b.*, 'overbooked' AS violation,
           (ledger_reserved + ledger_consumed - capacity_units) AS excess_units
      FROM balances b
     WHERE ledger_reserved + ledger_consumed > capacity_units
    UNION ALL
    SELECT b.*, 'negative_balance', LEAST(ledger_reserved, ledger_consumed)
      FROM balances b
     WHERE ledger_reserved < 0 OR ledger_consumed < 0
    UNION ALL
    SELECT b.*, 'counter_mismatch',
           COALESCE(stored_reserved - ledger_reserved, 0) + COALESCE(stored_consumed - ledger_consumed, 0)
      FROM balances b
     WHERE (stored_reserved IS NOT NULL AND stored_reserved <> ledger_reserved)
        OR (stored_consumed IS NOT NULL AND stored_consumed <> ledger_consumed)
  ) v
UNION ALL
-- ADAPT the checks below to your ledger, idempotency and authorization tables.
SELECT d.authorization_id, 'duplicate_key', NULL, NULL, NULL, NULL, NULL, d.extra_units
  FROM (SELECT authorization_id, idempotency_key, SUM(units) - MIN(units) AS extra_units
          FROM unit_ledger GROUP BY authorization_id, idempotency_key HAVING COUNT(*) > 1) d
UNION ALL
SELECT k.authorization_id, 'ack_without_ledger_row', NULL, NULL, NULL, NULL, NULL,
       COALESCE((k.response_body ->> 'units')::int, 0)
  FROM idempotency_keys k
 WHERE k.status_code BETWEEN 200 AND 299
   AND NOT EXISTS (SELECT 1 FROM unit_ledger l WHERE l.idempotency_key = k.idempotency_key AND l.authorization_id = k.authorization_id)
UNION ALL
SELECT c.id, 'checkpoint_mismatch', c.capacity_units, c.ledger_reserved, c.ledger_consumed,
       c.checkpoint_reserved, c.checkpoint_consumed,
       (c.checkpoint_reserved - c.ledger_reserved) + (c.checkpoint_consumed - c.ledger_consumed)
  FROM (SELECT a.id, a.capacity_units, a.checkpoint_reserved, a.checkpoint_consumed,
               COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'reserve'), 0)
             - COALESCE(SUM(l.units) FILTER (WHERE l.operation <> 'reserve'), 0) AS ledger_reserved,
               COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'consume'), 0) AS ledger_consumed
          FROM authorizations a
          LEFT JOIN unit_ledger l ON l.authorization_id = a.id AND l.id <= a.checkpoint_ledger_id
         GROUP BY a.id) c
 WHERE c.checkpoint_reserved <> c.ledger_reserved OR c.checkpoint_consumed <> c.ledger_consumed
UNION ALL
SELECT l.authorization_id, 'orphan_ledger_row', NULL, NULL, NULL, NULL, NULL, l.units
  FROM ledger l     -- the ledger's sums per authorization (above), not a second pass over it
 WHERE NOT EXISTS (SELECT 1 FROM authorizations a WHERE a.id = l.authorization_id)
 ORDER BY violation, authorization_id;
