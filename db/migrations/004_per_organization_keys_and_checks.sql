-- 004: idempotency keys scoped per organization, and the invariants the database holds by itself.
-- supersedes 3b57f4f80fbb1f612a2112952852cf122d88fb60aad49aaef95f1987ac25455e (with the function inline)
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

-- apply_unit_operation writes the organization with the key (db/functions/apply_unit_operation.sql).
