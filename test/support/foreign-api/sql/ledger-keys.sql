SELECT request_key AS key, grant_id AS auth,
       CASE kind WHEN 'hold' THEN 'reserve' WHEN 'unhold' THEN 'release' ELSE 'consume' END AS op,
       qty AS units, COUNT(*) AS rows
  FROM fa_moves
 GROUP BY 1, 2, 3, 4;
