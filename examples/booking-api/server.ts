/**
 * A booking API, written apart from the pack, to aim it at as a user would (target.yml beside it):
 *
 *   POST   /events/:id/bookings  {seats}   201 {id, eventId, seats}; 409 {error: {code: sold_out}}
 *   DELETE /bookings/:id                   204; 409 {error: {code: already_cancelled}}; 404
 *   GET    /events/:id                     200 {id, capacity, booked, available}
 *   GET    /healthz
 *
 * Every request but /healthz needs X-Api-Key. No idempotency keys. Modes:
 *   correct  the event's row is locked (SELECT ... FOR UPDATE) while the seats are counted
 *   racy     no lock, and a pause between the count and the insert: it overbooks under contention
 *   lost     every 4th booking is answered 201 with its id, then rolled back: an acknowledged
 *            booking that was never made
 */
import type * as http from 'node:http';
import { Pool, PoolClient } from 'pg';
import { Answer, Served, insertColumns, readJson, serve, withDb } from '../http';
import type { SeedData } from '../../seed/plan';

export type BookingMode = 'correct' | 'racy' | 'lost';
export const BOOKING_API_KEY = 'booking-test-key-0123456789';

const refuse = (status: number, code: string, message = code): Answer => new Answer(status, { error: { code, message } });

/** The plan's data set as events and bookings (units already reserved are bookings of that many seats). */
export async function loadBookingData(url: string, data: SeedData): Promise<void> {
  await withDb(url, async (c) => {
    await insertColumns(
      c,
      'bk_events',
      [
        ['id', 'text'],
        ['org', 'text'],
        ['seats', 'int'],
        ['tier', 'text'],
      ],
      data.authorizations.map((a) => [a.id, a.organizationId, a.capacityUnits, a.tier]),
    );
    for (const r of data.preReserved)
      await c.query("INSERT INTO bk_bookings (event_id, seats, seq) VALUES ($1, $2, nextval('bk_seq'))", [r.authorizationId, r.units]);
  });
}

export async function startBookingApi(opts: { databaseUrl: string; port: number; mode: BookingMode }): Promise<Served> {
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 8 });
  pool.on('error', () => undefined);
  let booked = 0;

  const inTransaction = async <T>(fn: (c: PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      try {
        const r = await fn(c);
        await c.query('COMMIT');
        return r;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      c.release();
    }
  };

  const seatsTaken = async (c: PoolClient, event: string): Promise<number> =>
    Number(
      (
        await c.query<{ n: string }>(
          'SELECT COALESCE(SUM(b.seats), 0) AS n FROM bk_bookings b WHERE b.event_id = $1 AND NOT EXISTS (SELECT 1 FROM bk_cancellations c WHERE c.booking_id = b.id)',
          [event],
        )
      ).rows[0]!.n,
    );

  const book = async (event: string, seats: number): Promise<Answer> => {
    let lost = false;
    const answer = await inTransaction(async (c) => {
      const e = await c.query<{ seats: number }>(`SELECT seats FROM bk_events WHERE id = $1${opts.mode === 'racy' ? '' : ' FOR UPDATE'}`, [event]);
      if (!e.rows[0]) throw refuse(404, 'event_not_found');
      const taken = await seatsTaken(c, event);
      if (opts.mode === 'racy') await new Promise((r) => setTimeout(r, 5));
      if (taken + seats > e.rows[0].seats) return refuse(409, 'sold_out', `${seats} seats asked, ${e.rows[0].seats - taken} left`);
      const row = await c.query<{ id: string }>("INSERT INTO bk_bookings (event_id, seats, seq) VALUES ($1, $2, nextval('bk_seq')) RETURNING id", [
        event,
        seats,
      ]);
      const a = new Answer(201, { id: row.rows[0]!.id, eventId: event, seats });
      if (opts.mode === 'lost' && ++booked % 4 === 0) {
        lost = true;
        throw a; // rolled back, yet answered as booked
      }
      return a;
    }).catch((err: unknown) => {
      if (lost && err instanceof Answer) return err;
      throw err;
    });
    return answer;
  };

  const cancel = async (booking: string): Promise<Answer> => {
    if (!/^\d{1,18}$/.test(booking)) return refuse(404, 'booking_not_found');
    return inTransaction(async (c) => {
      const b = await c.query<{ event_id: string }>('SELECT event_id FROM bk_bookings WHERE id = $1', [booking]);
      if (!b.rows[0]) return refuse(404, 'booking_not_found');
      // The event's lock orders a cancellation among the event's bookings.
      await c.query('SELECT 1 FROM bk_events WHERE id = $1 FOR UPDATE', [b.rows[0].event_id]);
      const done = await c.query('SELECT 1 FROM bk_cancellations WHERE booking_id = $1', [booking]);
      if (done.rows.length > 0) return refuse(409, 'already_cancelled');
      await c.query("INSERT INTO bk_cancellations (booking_id, seq) VALUES ($1, nextval('bk_seq'))", [booking]);
      return new Answer(204, null);
    });
  };

  const route = async (req: http.IncomingMessage, url: URL): Promise<Answer> => {
    if (req.method === 'GET' && url.pathname === '/healthz') {
      await pool.query('SELECT 1');
      return new Answer(200, { ok: true });
    }
    if (req.headers['x-api-key'] !== BOOKING_API_KEY) return refuse(401, 'unauthorized');
    let m = /^\/events\/([^/]+)\/bookings$/.exec(url.pathname);
    if (m && req.method === 'POST') {
      const body = (await readJson(req)) as { seats?: unknown } | null;
      if (typeof body !== 'object' || body === null || !Number.isInteger(body.seats) || (body.seats as number) < 1) return refuse(400, 'invalid_seats');
      return book(decodeURIComponent(m[1]!), body.seats as number);
    }
    m = /^\/bookings\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'DELETE') return cancel(decodeURIComponent(m[1]!));
    m = /^\/events\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      const event = decodeURIComponent(m[1]!);
      return inTransaction(async (c) => {
        const e = await c.query<{ seats: number }>('SELECT seats FROM bk_events WHERE id = $1', [event]);
        if (!e.rows[0]) return refuse(404, 'event_not_found');
        const taken = await seatsTaken(c, event);
        return new Answer(200, { id: event, capacity: e.rows[0].seats, booked: taken, available: e.rows[0].seats - taken });
      });
    }
    return refuse(404, 'not_found');
  };

  return serve(opts.port, route, () => pool.end());
}
