SELECT m.grant_id AS auth, g.quota AS capacity,
       CASE m.kind WHEN 'hold' THEN m.qty ELSE -m.qty END AS reserved,
       CASE m.kind WHEN 'spend' THEN m.qty ELSE 0 END AS consumed,
       m.seq::text AS at
  FROM fa_moves m JOIN fa_grants g ON g.grant_id = m.grant_id
 ORDER BY m.seq;
