-- 004: idempotency keys scoped per organization, and the invariants the database holds by itself.
--
-- Keys per organization. An Idempotency-Key names a request within the organization that sent
-- it: two organizations may use the same key for their own requests, and neither ever learns of
-- the other's (before this, organization B reusing A's key got a 422 "used for a different
-- request": an oracle on A's keys, and a refusal B had done nothing to earn). Both tables carry
-- the organization; the ledger's unique key keeps its name (the double-apply negative control
-- drops it by that name, and db/migrate.ts ensureInvariants restores it).
ALTER TABLE idempotency_keys ADD COLUMN organization_id uuid;
UPDATE idempotency_keys k SET organization_id = a.organization_id FROM authorizations a WHERE a.id = k.authorization_id;
-- The API stores no outcome for an authorization that does not exist (it answers 404 first).
DELETE FROM idempotency_keys WHERE organization_id IS NULL;
ALTER TABLE idempotency_keys ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (organization_id, idempotency_key);

ALTER TABLE unit_ledger ADD COLUMN organization_id uuid;
UPDATE unit_ledger l SET organization_id = a.organization_id FROM authorizations a WHERE a.id = l.authorization_id;
-- Rows written without it (the seeder, tests, a hand-written row) take their authorization's.
CREATE FUNCTION unit_ledger_organization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.organization_id IS NULL THEN
    SELECT a.organization_id INTO NEW.organization_id FROM authorizations a WHERE a.id = NEW.authorization_id;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER unit_ledger_organization BEFORE INSERT ON unit_ledger FOR EACH ROW EXECUTE FUNCTION unit_ledger_organization();
ALTER TABLE unit_ledger DROP CONSTRAINT IF EXISTS unit_ledger_idempotency_key_unique;
ALTER TABLE unit_ledger ADD CONSTRAINT unit_ledger_idempotency_key_unique UNIQUE (organization_id, idempotency_key);

-- Invariants the database can hold without the API. NOT VALID: rows a negative control left
-- behind are not re-checked (a reseed clears them); every write from now on is. The capacity
-- check makes the stored balance itself refuse to overbook, so the negative-control modes that
-- must overbook to be caught drop it (api/ledger.ts prepareMode) and setup restores it.
ALTER TABLE authorizations ADD CONSTRAINT authorizations_within_capacity
  CHECK (reserved_units >= 0 AND consumed_units >= 0 AND reserved_units::bigint + consumed_units <= capacity_units) NOT VALID;
ALTER TABLE authorizations ADD CONSTRAINT authorizations_checkpoint_sane
  CHECK (checkpoint_ledger_id >= 0 AND checkpoint_reserved >= 0 AND checkpoint_consumed >= 0) NOT VALID;
ALTER TABLE unit_ledger ADD CONSTRAINT unit_ledger_units_at_most_max CHECK (units <= 100000) NOT VALID;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_status_is_http CHECK (status_code BETWEEN 100 AND 599) NOT VALID;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_key_shape CHECK (length(idempotency_key) BETWEEN 1 AND 200) NOT VALID;

-- apply_unit_operation (003) writes the organization with the key: the same function otherwise.
CREATE OR REPLACE FUNCTION apply_unit_operation(
  p_authorization_id text, p_organization_id uuid, p_operation unit_operation, p_units integer,
  p_idempotency_key text, p_practitioner_id uuid, p_request_hash text, p_fold_after integer)
RETURNS TABLE (outcome text, status_code integer, response_body jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  a          record;
  t          record;
  reserved   bigint;
  consumed   bigint;
  have       bigint;
  d_reserved integer := 0;
  d_consumed integer := 0;
  new_id     bigint;
  common     jsonb;
  body       jsonb;
BEGIN
  -- Run outside SERIALIZABLE, this function overbooks (measured: 7 of 10 targets in scenario 1).
  IF current_setting('transaction_isolation') <> 'serializable' THEN
    RAISE EXCEPTION 'apply_unit_operation must run in a SERIALIZABLE transaction, not %', current_setting('transaction_isolation')
      USING ERRCODE = '25001';
  END IF;
  SELECT au.organization_id, au.capacity_units, au.checkpoint_ledger_id, au.checkpoint_reserved, au.checkpoint_consumed
    INTO a FROM authorizations au WHERE au.id = p_authorization_id::uuid;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, 404, NULL::jsonb;
    RETURN;
  END IF;
  IF a.organization_id <> p_organization_id THEN
    RETURN QUERY SELECT 'forbidden'::text, 403, NULL::jsonb;
    RETURN;
  END IF;

  -- The capacity check: an aggregate over the ledger rows after the checkpoint.
  SELECT COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'reserve'), 0) AS rsv,
         COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'release'), 0) AS rel,
         COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'consume'), 0) AS con,
         COUNT(*) AS n
    INTO t FROM unit_ledger l
   WHERE l.authorization_id = p_authorization_id::uuid AND l.id > a.checkpoint_ledger_id;
  reserved := a.checkpoint_reserved + t.rsv - t.rel - t.con;
  consumed := a.checkpoint_consumed + t.con;
  have := CASE WHEN p_operation = 'reserve' THEN a.capacity_units - reserved - consumed ELSE reserved END;
  common := jsonb_build_object('authorizationId', p_authorization_id, 'operation', p_operation, 'units', p_units,
                               'idempotencyKey', p_idempotency_key);

  IF have < p_units THEN
    body := common || jsonb_build_object(
      'error', 'conflict', 'reason', 'insufficient_units',
      'message', format('%s of %s units needs %s, only %s %s', p_operation, p_units, p_units, have,
                        CASE WHEN p_operation = 'reserve' THEN 'available' ELSE 'reserved' END),
      'balance', unit_balance_body(a.capacity_units, reserved, consumed));
    INSERT INTO idempotency_keys (organization_id, idempotency_key, authorization_id, operation, request_hash, status_code, response_body)
    VALUES (a.organization_id, p_idempotency_key, p_authorization_id::uuid, p_operation, p_request_hash, 409, body);
    RETURN QUERY SELECT 'rejected'::text, 409, body;
    RETURN;
  END IF;

  IF p_operation = 'reserve' THEN d_reserved := p_units;
  ELSIF p_operation = 'release' THEN d_reserved := -p_units;
  ELSE d_reserved := -p_units; d_consumed := p_units;
  END IF;
  reserved := reserved + d_reserved;
  consumed := consumed + d_consumed;

  INSERT INTO unit_ledger (authorization_id, organization_id, operation, units, idempotency_key, practitioner_id)
  VALUES (p_authorization_id::uuid, a.organization_id, p_operation, p_units, p_idempotency_key, p_practitioner_id)
  RETURNING id INTO new_id;
  UPDATE authorizations au
     SET reserved_units = au.reserved_units + d_reserved,
         consumed_units = au.consumed_units + d_consumed,
         checkpoint_ledger_id = CASE WHEN t.n + 1 >= p_fold_after THEN new_id ELSE au.checkpoint_ledger_id END,
         checkpoint_reserved  = CASE WHEN t.n + 1 >= p_fold_after THEN reserved ELSE au.checkpoint_reserved END,
         checkpoint_consumed  = CASE WHEN t.n + 1 >= p_fold_after THEN consumed ELSE au.checkpoint_consumed END
   WHERE au.id = p_authorization_id::uuid;
  body := common || jsonb_build_object('status', 'applied', 'balance', unit_balance_body(a.capacity_units, reserved, consumed));
  INSERT INTO idempotency_keys (organization_id, idempotency_key, authorization_id, operation, request_hash, status_code, response_body)
  VALUES (a.organization_id, p_idempotency_key, p_authorization_id::uuid, p_operation, p_request_hash, 200, body);
  RETURN QUERY SELECT 'applied'::text, 200, body;
END
$$;
