-- 001: the authorization-units data model.
--
-- Capacity is checked against an AGGREGATE over the ledger (unit_ledger), not against a single
-- counter row. With this design only SERIALIZABLE isolation (or explicit locking) prevents
-- overbooking: two READ COMMITTED transactions can both read the same sum and both insert.

CREATE TABLE organizations (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  code        text NOT NULL UNIQUE
);

CREATE TABLE patients (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  full_name        text NOT NULL
);

CREATE TABLE practitioners (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  full_name        text NOT NULL,
  email            text NOT NULL UNIQUE
);

CREATE TABLE authorizations (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  patient_id       uuid NOT NULL REFERENCES patients(id),
  service_code     text NOT NULL,
  capacity_units   integer NOT NULL CHECK (capacity_units > 0),
  -- Denormalised balances, kept in the same transaction as the ledger row. The verifier checks
  -- that they agree with the ledger sums.
  reserved_units   integer NOT NULL DEFAULT 0,
  consumed_units   integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX authorizations_organization_idx ON authorizations (organization_id);

CREATE TYPE unit_operation AS ENUM ('reserve', 'release', 'consume');

-- One row per applied unit operation.
--   reserve n : reserved += n            (needs capacity - reserved - consumed >= n)
--   release n : reserved -= n            (needs reserved >= n)
--   consume n : reserved -= n, consumed += n (needs reserved >= n)
CREATE TABLE unit_ledger (
  id                bigserial PRIMARY KEY,
  authorization_id  uuid NOT NULL REFERENCES authorizations(id),
  operation         unit_operation NOT NULL,
  units             integer NOT NULL CHECK (units > 0),
  idempotency_key   text NOT NULL,
  practitioner_id   uuid REFERENCES practitioners(id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT unit_ledger_idempotency_key_unique UNIQUE (idempotency_key)
);
CREATE INDEX unit_ledger_authorization_idx ON unit_ledger (authorization_id);

-- The first outcome of every keyed request (2xx and 409), replayed for a repeated key.
CREATE TABLE idempotency_keys (
  idempotency_key   text PRIMARY KEY,
  authorization_id  uuid NOT NULL,
  operation         unit_operation NOT NULL,
  request_hash      text NOT NULL,
  status_code       integer NOT NULL,
  response_body     jsonb NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);
