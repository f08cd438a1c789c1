/** The contracts the unit tests judge answers with: the reference API's, and a booking API's (release by id, no keys). */
import { CompiledContract, ContractSpec } from 'artillery-plugin-isolation';
import { REFERENCE_TARGET, loadTarget } from '../../target/load';

/** The reference API's contract as the plugin receives it (target/reference.yml, authentication added). */
export function referenceWire(): ContractSpec {
  return loadTarget(REFERENCE_TARGET).wire;
}

export function referenceContract(): CompiledContract {
  return new CompiledContract(referenceWire(), {});
}

/** A booking API's: POST /events/{resource}/bookings {seats} → 201 {id, seats}; DELETE /bookings/{acquisition} → 204; no keys. */
export const BOOKING_CONTRACT: ContractSpec = {
  operations: {
    reserve: {
      request: { method: 'POST', path: '/events/{resource}/bookings', body: { seats: '{units}' } },
      ok: { status: 201, id: 'id', units: 'seats' },
      refused: [{ status: 409, reason: 'sold_out', means: 'capacity' }],
    },
    release: {
      by: 'acquisition',
      request: { method: 'DELETE', path: '/bookings/{acquisition}' },
      ok: { status: 204 },
    },
    read: { request: { method: 'GET', path: '/events/{resource}' }, ok: { status: 200, balance: true } },
  },
  balance: { capacity: 'capacity', reserved: 'booked', available: 'available' },
  answers: { reason: 'error.code' },
  idempotency: null,
  headers: { 'X-Api-Key': '${BOOKING_KEY}' },
};
