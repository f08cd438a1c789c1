-- A booking API's own schema: events with a number of seats, bookings of some seats, and their
-- cancellations. Nothing in common with the pack's reference schema; no idempotency keys.
CREATE SEQUENCE bk_seq;
CREATE TABLE bk_events (
  id     text PRIMARY KEY,
  org    text NOT NULL,
  seats  integer NOT NULL CHECK (seats > 0),
  tier   text NOT NULL
);
CREATE TABLE bk_bookings (
  id         bigserial PRIMARY KEY,
  event_id   text NOT NULL REFERENCES bk_events(id),
  seats      integer NOT NULL CHECK (seats > 0),
  -- Drawn while the event's row lock is held: the order in which bookings of one event commit.
  seq        bigint NOT NULL
);
CREATE INDEX bk_bookings_event_idx ON bk_bookings (event_id);
CREATE TABLE bk_cancellations (
  booking_id  bigint PRIMARY KEY REFERENCES bk_bookings(id),
  seq         bigint NOT NULL
);
