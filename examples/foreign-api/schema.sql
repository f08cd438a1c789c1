-- A foreign API's own schema: nothing in common with the reference API's but the contract.
-- Grants (authorizations) with a quota; moves (the ledger) of kind hold / unhold / spend; the
-- first answer to every request key, replayed for a repeated key.
CREATE TABLE fa_tenants (tenant_id text PRIMARY KEY, label text NOT NULL);
CREATE TABLE fa_grants (
  grant_id   text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES fa_tenants(tenant_id),
  quota      integer NOT NULL CHECK (quota > 0)
);
CREATE TABLE fa_moves (
  seq          bigserial PRIMARY KEY,
  grant_id     text NOT NULL REFERENCES fa_grants(grant_id),
  kind         text NOT NULL CHECK (kind IN ('hold', 'unhold', 'spend')),
  qty          integer NOT NULL CHECK (qty > 0),
  request_key  text NOT NULL,
  CONSTRAINT fa_moves_request_key_unique UNIQUE (request_key)
);
CREATE INDEX fa_moves_grant_idx ON fa_moves (grant_id);
CREATE TABLE fa_requests (
  request_key  text PRIMARY KEY,
  fingerprint  text NOT NULL,
  status       integer NOT NULL,
  body         jsonb NOT NULL
);
