-- apply_unit_operation: one unit operation, whole, in one statement (the reference API's safe mode,
-- api/ledger.ts attemptInOneTrip; its batches call it once per operation, migration 006).
--
-- Defined here once, and applied after the migrations whenever this file changes (db/migrate.ts
-- applyFunctions): migrations 003 and 004 created and re-created it, and 007 altered it.
--
-- Authorization and organization check, capacity check, ledger row, stored balances, checkpoint
-- fold and idempotency record. Run as a single statement in a SERIALIZABLE transaction; a
-- 40001/40P01 or a 23505 (repeated key) aborts it and the API retries or replays. The rules are
-- api/rules.ts's `decide` (a test keeps the two in step). The capacity check is an AGGREGATE over
-- the ledger rows after the authorization's checkpoint (003): only SERIALIZABLE makes it safe.
--   outcome: applied | rejected | not_found | forbidden
CREATE OR REPLACE FUNCTION apply_unit_operation(
  p_authorization_id text, p_organization_id uuid, p_operation unit_operation, p_units integer,
  p_idempotency_key text, p_practitioner_id uuid, p_request_hash text, p_fold_after integer)
RETURNS TABLE (outcome text, status_code integer, response_body jsonb)
LANGUAGE plpgsql
-- Read the authorization by index, never by a sequential scan: under SERIALIZABLE a sequential
-- scan takes a predicate lock on the whole table, so every operation on any other authorization
-- conflicts with it (measured in scenario 2, 300 s: once autovacuum had analyzed the small
-- authorizations table mid-run, the first answers were retried 25 % of the time, against 0.45 %).
SET enable_seqscan = off
AS $$
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
  -- The id of the operation's ledger row: the answer names what it did (and a replay of it names the same).
  body := common || jsonb_build_object('status', 'applied', 'operationId', new_id, 'balance', unit_balance_body(a.capacity_units, reserved, consumed));
  INSERT INTO idempotency_keys (organization_id, idempotency_key, authorization_id, operation, request_hash, status_code, response_body)
  VALUES (a.organization_id, p_idempotency_key, p_authorization_id::uuid, p_operation, p_request_hash, 200, body);
  RETURN QUERY SELECT 'applied'::text, 200, body;
END
$$;
