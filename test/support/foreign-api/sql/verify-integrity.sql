-- The pack's integrity check, adapted to the foreign schema (grants, moves of hold/unhold/spend).
WITH ledger AS (
  SELECT grant_id AS authorization_id,
         COALESCE(SUM(qty) FILTER (WHERE kind = 'hold'), 0)
       - COALESCE(SUM(qty) FILTER (WHERE kind = 'unhold'), 0)
       - COALESCE(SUM(qty) FILTER (WHERE kind = 'spend'), 0) AS reserved,
         COALESCE(SUM(qty) FILTER (WHERE kind = 'spend'), 0) AS consumed
    FROM fa_moves GROUP BY grant_id
),
balances AS (
  SELECT g.grant_id AS authorization_id, g.quota AS capacity_units,
         COALESCE(l.reserved, 0) AS ledger_reserved, COALESCE(l.consumed, 0) AS ledger_consumed,
         NULL::bigint AS stored_reserved, NULL::bigint AS stored_consumed
    FROM fa_grants g LEFT JOIN ledger l ON l.authorization_id = g.grant_id
)
SELECT authorization_id, violation, capacity_units, ledger_reserved, ledger_consumed,
       stored_reserved, stored_consumed, excess_units
  FROM (
    SELECT b.*, 'overbooked' AS violation, (ledger_reserved + ledger_consumed - capacity_units) AS excess_units
      FROM balances b WHERE ledger_reserved + ledger_consumed > capacity_units
    UNION ALL
    SELECT b.*, 'negative_balance', LEAST(ledger_reserved, ledger_consumed)
      FROM balances b WHERE ledger_reserved < 0 OR ledger_consumed < 0
  ) v
 ORDER BY violation, authorization_id;
