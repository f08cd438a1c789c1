-- Overbooking at any moment: every ledger row in the order the database applied it, with its
-- effect on reserved and consumed units and the capacity of its authorization. The verifier
-- replays it and reports every authorization whose reserved + consumed exceeded its capacity at
-- any point, even if a later release brought it back (a final-state check cannot see that).
-- Columns: auth, capacity, reserved (delta), consumed (delta), at (the position, for the report).
-- Rows MUST come in ledger order. Adapt the lines marked ADAPT; remove this file if your ledger
-- has no order (the check is then reported as not made).
SELECT l.authorization_id::text                                        AS auth,      -- ADAPT
       a.capacity_units                                                AS capacity,  -- ADAPT
       CASE l.operation WHEN 'reserve' THEN l.units ELSE -l.units END  AS reserved,  -- ADAPT
       CASE l.operation WHEN 'consume' THEN l.units ELSE 0 END         AS consumed,  -- ADAPT
       l.id::text                                                      AS at         -- ADAPT: the order column
  FROM unit_ledger l                                                                 -- ADAPT
  JOIN authorizations a ON a.id = l.authorization_id                                 -- ADAPT
 ORDER BY l.id;                                                                      -- ADAPT: the order column
