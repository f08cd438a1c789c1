-- A flash-sale API's own schema: coupons with a stock, claims of one unit per user, their
-- redemptions, and the first answer to every X-Request-Id (replayed for a repeated id).
CREATE SEQUENCE fs_seq;
CREATE TABLE fs_coupons (
  code   text PRIMARY KEY,
  org    text NOT NULL,
  stock  integer NOT NULL CHECK (stock > 0),
  tier   text NOT NULL
);
CREATE TABLE fs_claims (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code        text NOT NULL REFERENCES fs_coupons(code),
  user_id     text NOT NULL,
  request_id  text NOT NULL UNIQUE,
  seq         bigint NOT NULL,
  UNIQUE (code, user_id)
);
CREATE INDEX fs_claims_code_idx ON fs_claims (code);
CREATE TABLE fs_redemptions (
  claim_id    uuid PRIMARY KEY REFERENCES fs_claims(id),
  request_id  text NOT NULL UNIQUE,
  seq         bigint NOT NULL
);
CREATE TABLE fs_requests (
  request_id   text PRIMARY KEY,
  fingerprint  text NOT NULL,
  status       integer NOT NULL,
  body         jsonb NOT NULL
);
