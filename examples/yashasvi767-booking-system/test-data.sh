#!/bin/sh
# Test data for the pack, made through the API's own admin endpoint (the pack never writes to the
# API's database). Run it on an empty database before each run: scenario 1 leaves its targets full.
#   ten 50-seat slots (scenario 1's contention targets), twenty of 200 and forty of 3000 (the
#   spread load of scenarios 2 and 3), one 4000-seat slot with 3950 booked (scenario 3's hot spot)
#   and six full 1000-seat slots (waitlisted: scenario 3's steady refusals).
set -e
API=${API:-http://127.0.0.1:3000}
slot() { curl -sf -X POST "$API/api/admin/slots" -H 'content-type: application/json' \
  -d "{\"doctor_name\":\"load test $1\",\"start_time\":\"2027-01-05T10:00:00Z\",\"total_capacity\":$2}"; }
id() { sed -E 's/.*"id":"([^"]+)".*/\1/'; }
book() { curl -sf -X POST "$API/api/bookings" -H 'content-type: application/json' \
  -d "{\"slot_id\":\"$1\",\"user_id\":\"setup\",\"num_seats\":$2}" >/dev/null; }
for i in $(seq 1 10); do slot "contention $i" 50 >/dev/null; done
for i in $(seq 1 20); do slot "standard $i" 200 >/dev/null; done
for i in $(seq 1 40); do slot "bulk $i" 3000 >/dev/null; done
book "$(slot shared 4000 | id)" 3950
for i in $(seq 1 6); do book "$(slot "full $i" 1000 | id)" 1000; done
echo "77 slots made on $API"
