-- Reconciliation input 2: the final balance of every authorization, as the API reports it.
-- Columns: auth, reserved, consumed. Adapt to your schema.
SELECT id::text        AS auth,
       reserved_units  AS reserved,
       consumed_units  AS consumed
  FROM authorizations;
