SELECT g.grant_id AS auth,
       COALESCE(SUM(m.qty) FILTER (WHERE m.kind = 'hold'), 0)
     - COALESCE(SUM(m.qty) FILTER (WHERE m.kind IN ('unhold', 'spend')), 0) AS reserved,
       COALESCE(SUM(m.qty) FILTER (WHERE m.kind = 'spend'), 0) AS consumed
  FROM fa_grants g LEFT JOIN fa_moves m ON m.grant_id = g.grant_id
 GROUP BY g.grant_id;
