/**
 * One unit operation = one database transaction.
 *
 * In the default (`safe`) mode the transaction is SERIALIZABLE and is retried from the start on
 * 40001/40P01. The other modes are negative controls: each breaks exactly one guarantee so that
 * the verifier can be shown to catch it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { ApiMode } from '../lib/config';
import { Balance, Operation, decide } from './rules';
import { RetriesExhausted, withRetries } from './retry';
import { Batcher, createBatcher } from './batcher';
import type { InstrumentedPool } from './pool';

export interface UnitRequest {
  readonly authorizationId: string;
  readonly operation: Operation;
  readonly units: number;
  /** Client key, or null: the API then makes one up and the request cannot be replayed. */
  readonly idempotencyKey: string | null;
  readonly organizationId: string;
  readonly practitionerId: string | null;
}

export type UnitOutcome =
  | { readonly kind: 'applied' | 'rejected' | 'replayed'; readonly status: number; readonly body: Record<string, unknown> }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'key_reused' };

export interface LedgerOptions {
  readonly mode: ApiMode;
  readonly maxAttempts: number;
  readonly unsafeRaceWindowMs: number;
  readonly faultEvery: number;
  readonly slowAckMs: number;
  /** Ledger rows after an authorization's checkpoint before they are folded into it (safe mode). */
  readonly foldAfter: number;
  /** Safe mode: the most operations on one authorization applied as one statement (api/batcher.ts); 1: no batching. */
  readonly batchMax?: number;
}

type RunResult = { outcome: UnitOutcome; attempts: number; times: ServerTimes };

const UNIQUE_VIOLATION = '23505';

/** Where a request's time went on the server, ms (sent as Server-Timing). */
export interface ServerTimes {
  /** Waiting for a pooled connection. */
  readonly pool: number;
  /** In the database: the attempts' round trips. */
  readonly db: number;
  /** Backing off between attempts. */
  readonly retry: number;
}

export function requestHash(r: Pick<UnitRequest, 'authorizationId' | 'operation' | 'units'>): string {
  return createHash('sha256').update(`${r.operation}:${r.authorizationId}:${r.units}`).digest('hex').slice(0, 32);
}

function balanceBody(b: Balance): Record<string, number> {
  return { capacityUnits: b.capacity, reservedUnits: b.reserved, consumedUnits: b.consumed, availableUnits: b.available };
}

export class LedgerService {
  /** Successful operations seen, to pick which ones a fault mode breaks. */
  private successes = 0;

  /** Safe mode's per-authorization batching, or null (the negative-control modes, API_BATCH_MAX=1). */
  private readonly batcher: Batcher<UnitRequest, RunResult> | null;

  constructor(
    private readonly pool: InstrumentedPool,
    private readonly opts: LedgerOptions,
  ) {
    const max = opts.batchMax ?? 1;
    this.batcher =
      opts.mode === 'safe' && max > 1
        ? createBatcher(
            (r) => this.runAlone(r),
            (rs) => this.runBatch(rs),
            max,
          )
        : null;
  }

  private isolationLevel(): string {
    return this.opts.mode === 'unsafe-read-committed' ? 'READ COMMITTED' : 'SERIALIZABLE';
  }

  /** Schema changes a fault mode needs (double-apply needs duplicates to be storable). */
  async prepareMode(): Promise<void> {
    if (this.opts.mode !== 'unsafe-read-committed' && this.opts.mode !== 'double-apply' && this.opts.mode !== 'unchecked-consume') return;
    const client = await this.pool.connect();
    try {
      // A mode that must corrupt the data for the verifier to catch it cannot have the database
      // refuse the corruption: the capacity CHECK goes (db/migrations/004; setup restores it).
      await client.query('ALTER TABLE authorizations DROP CONSTRAINT IF EXISTS authorizations_within_capacity');
      if (this.opts.mode === 'double-apply') await client.query('ALTER TABLE unit_ledger DROP CONSTRAINT IF EXISTS unit_ledger_idempotency_key_unique');
    } finally {
      client.release();
    }
  }

  async run(req: UnitRequest): Promise<RunResult> {
    return this.batcher ? this.batcher.submit(`${req.authorizationId}|${req.organizationId}`, req) : this.runAlone(req);
  }

  /**
   * Operations on one authorization of one organization, as one statement in one SERIALIZABLE
   * transaction, retried whole on 40001/40P01. Any other failure but a broken connection (a
   * repeated key, a schema without migration 006) sends them one by one, in order.
   */
  private async runBatch(reqs: readonly UnitRequest[]): Promise<RunResult[]> {
    const first = reqs[0]!;
    const keys = reqs.map((r) => r.idempotencyKey ?? `server-${randomUUID()}`);
    const started = performance.now();
    const client = await this.pool.connect();
    const pool = performance.now() - started;
    let db = 0;
    let broken = false;
    let answer: {
      rows: { ord: number; outcome: 'applied' | 'rejected' | 'not_found' | 'forbidden'; status_code: number; response_body: Record<string, unknown> }[];
      attempts: number;
    } | null = null;
    try {
      const { value, attempts } = await withRetries(
        async () => {
          const t = performance.now();
          try {
            return await client.query<{
              ord: number;
              outcome: 'applied' | 'rejected' | 'not_found' | 'forbidden';
              status_code: number;
              response_body: Record<string, unknown>;
            }>(
              'SELECT ord, outcome, status_code, response_body FROM apply_unit_operations($1, $2, $3::unit_operation[], $4::int[], $5::text[], $6::uuid[], $7::text[], $8)',
              [
                first.authorizationId,
                first.organizationId,
                reqs.map((r) => r.operation),
                reqs.map((r) => r.units),
                keys,
                reqs.map((r) => r.practitionerId),
                reqs.map((r) => requestHash(r)),
                this.opts.foldAfter,
              ],
            );
          } finally {
            db += performance.now() - t;
          }
        },
        { maxAttempts: this.opts.maxAttempts },
      );
      answer = { rows: value.rows, attempts };
    } catch (err) {
      broken = isConnectionBroken(err);
      if (broken || err instanceof RetriesExhausted || (err as { code?: string }).code === '25001') throw err;
    } finally {
      client.release(broken ? true : undefined);
    }
    if (answer === null) {
      // The batch rolled back: one by one, in order (a repeated key is then replayed).
      const out: RunResult[] = [];
      for (const r of reqs) out.push(await this.runAlone(r));
      return out;
    }
    // Committed: every operation is answered from the batch, never applied again.
    const times = { pool, db, retry: performance.now() - started - pool - db };
    const { attempts } = answer;
    const rows = [...answer.rows].sort((a, b) => a.ord - b.ord);
    if (rows.length !== reqs.length) throw new Error(`apply_unit_operations answered ${rows.length} rows for ${reqs.length} operations`);
    return rows.map((row) => ({
      outcome:
        row.outcome === 'not_found' || row.outcome === 'forbidden'
          ? { kind: row.outcome }
          : { kind: row.outcome, status: row.status_code, body: row.response_body },
      attempts,
      times,
    }));
  }

  private async runAlone(req: UnitRequest): Promise<RunResult> {
    const key = req.idempotencyKey ?? `server-${randomUUID()}`;
    const hash = requestHash(req);
    const started = performance.now();
    const client = await this.pool.connect();
    const pool = performance.now() - started;
    let db = 0;
    let broken = false;
    try {
      let afterDuplicate = false;
      const attempt = this.opts.mode === 'safe' ? this.attemptInOneTrip.bind(this) : this.attempt.bind(this);
      const { value, attempts } = await withRetries(
        async () => {
          const t = performance.now();
          try {
            return await attempt(client, req, key, hash, afterDuplicate);
          } finally {
            db += performance.now() - t;
          }
        },
        {
          maxAttempts: this.opts.maxAttempts,
          // The key was used before (or by a concurrent request): the next attempt replays it.
          again: (err) => (afterDuplicate = (err as { code?: string }).code === UNIQUE_VIOLATION && req.idempotencyKey !== null),
        },
      );
      return { outcome: value, attempts, times: { pool, db, retry: performance.now() - started - pool - db } };
    } catch (err) {
      broken = isConnectionBroken(err);
      throw err;
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  /** The stored outcome of a key, within the organization that sent it (keys are scoped per organization). */
  private async lookupReplay(client: PoolClient, organizationId: string, key: string, hash: string): Promise<UnitOutcome | null> {
    const prior = await client.query<{ request_hash: string; status_code: number; response_body: Record<string, unknown> }>(
      'SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE organization_id = $1 AND idempotency_key = $2',
      [organizationId, key],
    );
    const row = prior.rows[0];
    if (!row) return null;
    // Negative control: a key reused for another request is answered with the first request's outcome.
    if (row.request_hash !== hash && this.opts.mode !== 'reuse-replays-old') return { kind: 'key_reused' };
    if (this.opts.mode === 'replay-other-body') {
      // Negative control: a replay answered from the outcome stored last for the authorization
      // (another request's), with the status of its own: a cache keyed by the wrong thing.
      const other = await client.query<{ response_body: Record<string, unknown> }>(
        `SELECT response_body FROM idempotency_keys
          WHERE organization_id = $1 AND authorization_id = (SELECT authorization_id FROM idempotency_keys WHERE organization_id = $1 AND idempotency_key = $2)
            AND idempotency_key <> $2 AND status_code = $3
          ORDER BY response_body->>'operationId' DESC NULLS LAST LIMIT 1`,
        [organizationId, key, row.status_code],
      );
      if (other.rows[0]) return { kind: 'replayed', status: row.status_code, body: other.rows[0].response_body };
    }
    return { kind: 'replayed', status: row.status_code, body: row.response_body };
  }

  /**
   * Safe mode: the whole operation is one statement (db/migrations/003's apply_unit_operation),
   * so one round trip, in a SERIALIZABLE transaction of its own.
   */
  private async attemptInOneTrip(client: PoolClient, req: UnitRequest, key: string, hash: string, afterDuplicate: boolean): Promise<UnitOutcome> {
    if (afterDuplicate) {
      const replay = await this.lookupReplay(client, req.organizationId, key, hash);
      if (replay) return replay;
    }
    const res = await client.query<{
      outcome: 'applied' | 'rejected' | 'not_found' | 'forbidden';
      status_code: number;
      response_body: Record<string, unknown>;
    }>('SELECT outcome, status_code, response_body FROM apply_unit_operation($1, $2, $3, $4, $5, $6, $7, $8)', [
      req.authorizationId,
      req.organizationId,
      req.operation,
      req.units,
      key,
      req.practitionerId,
      hash,
      this.opts.foldAfter,
    ]);
    const row = res.rows[0]!;
    if (row.outcome === 'not_found' || row.outcome === 'forbidden') return { kind: row.outcome };
    return { kind: row.outcome, status: row.status_code, body: row.response_body };
  }

  /**
   * The negative-control modes: the same operation as an explicit transaction of several round
   * trips, so that each mode can break exactly one guarantee between the read and the commit.
   */
  private async attempt(client: PoolClient, req: UnitRequest, key: string, hash: string, afterDuplicate: boolean): Promise<UnitOutcome> {
    const mode = this.opts.mode;
    // A repeated key is detected by the unique constraints at INSERT (23505), not by a lookup
    // inside the SERIALIZABLE transaction: a lookup there would take a predicate lock on
    // idempotency_keys, which every request writes. After a 23505 the next attempt replays
    // the stored outcome of the request that won.
    if (afterDuplicate) {
      const replay = await this.lookupReplay(client, req.organizationId, key, hash);
      if (replay) return replay;
    }

    await client.query(`BEGIN ISOLATION LEVEL ${this.isolationLevel()}`);
    let open = true;
    const finish = async (sql: 'COMMIT' | 'ROLLBACK'): Promise<void> => {
      open = false;
      await client.query(sql);
    };
    try {
      // The capacity check reads an aggregate over the ledger (the rows after the checkpoint, as
      // apply_unit_operation does, without folding): only SERIALIZABLE makes it safe.
      const res = await client.query<{ organization_id: string; capacity_units: number; reserved: number; consumed: number }>(
        `SELECT a.organization_id, a.capacity_units,
                (a.checkpoint_reserved + COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'reserve'), 0)
                  - COALESCE(SUM(l.units) FILTER (WHERE l.operation <> 'reserve'), 0))::float8 AS reserved,
                (a.checkpoint_consumed + COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'consume'), 0))::float8 AS consumed
           FROM authorizations a
           LEFT JOIN unit_ledger l ON l.authorization_id = a.id AND l.id > a.checkpoint_ledger_id
          WHERE a.id = $1
          GROUP BY a.id`,
        [req.authorizationId],
      );
      const row = res.rows[0];
      if (!row) {
        await finish('ROLLBACK');
        return { kind: 'not_found' };
      }
      if (row.organization_id !== req.organizationId) {
        await finish('ROLLBACK');
        return { kind: 'forbidden' };
      }
      const balance: Balance = {
        capacity: row.capacity_units,
        reserved: row.reserved,
        consumed: row.consumed,
        available: row.capacity_units - row.reserved - row.consumed,
      };
      if (mode === 'unsafe-read-committed' && this.opts.unsafeRaceWindowMs > 0) {
        // Negative control only: widen the read-then-write window so the race shows reliably.
        await new Promise((r) => setTimeout(r, this.opts.unsafeRaceWindowMs));
      }
      // Negative control: a consume that does not check the reserved units (reserved can go below zero).
      const decision =
        mode === 'unchecked-consume' && req.operation === 'consume'
          ? decide(req.operation, req.units, { ...balance, reserved: Math.max(balance.reserved, req.units) }, balance)
          : decide(req.operation, req.units, balance);
      const common = { authorizationId: req.authorizationId, operation: req.operation, units: req.units, idempotencyKey: key };
      const onConflict = mode === 'double-apply' ? ' ON CONFLICT (organization_id, idempotency_key) DO NOTHING' : '';
      let status: number;
      let body: Record<string, unknown>;
      if (decision.ok) {
        status = 200;
        body = { ...common, status: 'applied', balance: balanceBody(decision.next) };
        // One round trip for the three writes of an applied operation; the answer names its ledger row.
        const written = await client.query<{ operation_id: string }>(
          `WITH ledger AS (
             INSERT INTO unit_ledger (authorization_id, organization_id, operation, units, idempotency_key, practitioner_id)
             VALUES ($1, $11, $2, $3, $4, $5) RETURNING id),
           balances AS (
             UPDATE authorizations SET reserved_units = reserved_units + $6, consumed_units = consumed_units + $7 WHERE id = $1),
           outcome AS (
             INSERT INTO idempotency_keys (organization_id, idempotency_key, authorization_id, operation, request_hash, status_code, response_body)
             SELECT $11, $4, $1, $2, $8, $9, $10::jsonb || jsonb_build_object('operationId', ledger.id) FROM ledger${onConflict})
           SELECT id::text AS operation_id FROM ledger`,
          [
            req.authorizationId,
            req.operation,
            req.units,
            key,
            req.practitionerId,
            decision.delta.reserved,
            decision.delta.consumed,
            hash,
            status,
            body,
            req.organizationId,
          ],
        );
        body = { ...body, operationId: Number(written.rows[0]!.operation_id) };
      } else {
        status = 409;
        body = {
          ...common,
          error: 'conflict',
          reason: decision.reason,
          message: `${req.operation} of ${req.units} units needs ${decision.needed}, only ${decision.have} ${req.operation === 'reserve' ? 'available' : 'reserved'}`,
          balance: balanceBody(balance),
        };
        await client.query(
          `INSERT INTO idempotency_keys (organization_id, idempotency_key, authorization_id, operation, request_hash, status_code, response_body)
           VALUES ($7, $1, $2, $3, $4, $5, $6)${onConflict}`,
          [key, req.authorizationId, req.operation, hash, status, body, req.organizationId],
        );
      }

      const faultNo = decision.ok && (mode === 'lost-ack' || mode === 'phantom-409' || mode === 'slow-ack' || mode === 'off-contract') ? ++this.successes : 0;
      const injectFault = faultNo > 0 && faultNo % this.opts.faultEvery === 0;
      if (injectFault && mode === 'slow-ack') {
        // Negative control: answer so late that the client gives up (an `info` outcome); every
        // other such write is then committed (recovered), the rest rolled back (not applied).
        await new Promise((r) => setTimeout(r, this.opts.slowAckMs));
        const commit = (faultNo / this.opts.faultEvery) % 2 === 0;
        await finish(commit ? 'COMMIT' : 'ROLLBACK');
        return commit
          ? { kind: 'applied', status, body }
          : { kind: 'rejected', status: 503, body: { error: 'unavailable', reason: 'slow_ack_rolled_back', message: 'rolled back (slow-ack fault mode)' } };
      }
      if (injectFault && mode === 'lost-ack') {
        // Negative control: acknowledge a write that is then rolled back.
        await finish('ROLLBACK');
        return { kind: 'applied', status, body };
      }
      await finish('COMMIT');
      if (injectFault && mode === 'off-contract') {
        // Negative control: the write is right, the answer is not the contract's (no balance; its id is there).
        return { kind: 'applied', status, body: { ...common, status: 'applied', operationId: body.operationId } };
      }
      if (injectFault && mode === 'phantom-409') {
        // Negative control: the write committed, but the client is told it was rejected.
        return {
          kind: 'rejected',
          status: 409,
          body: { ...common, error: 'conflict', reason: 'insufficient_units', message: 'rejected (phantom-409 fault mode)', balance: balanceBody(balance) },
        };
      }
      return { kind: decision.ok ? 'applied' : 'rejected', status, body };
    } catch (err) {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async read(authorizationId: string, organizationId: string): Promise<UnitOutcome> {
    const client = await this.pool.connect();
    try {
      const res = await client.query<{ organization_id: string; capacity_units: number; reserved_units: number; consumed_units: number }>(
        'SELECT organization_id, capacity_units, reserved_units, consumed_units FROM authorizations WHERE id = $1',
        [authorizationId],
      );
      const row = res.rows[0];
      if (!row) return { kind: 'not_found' };
      if (row.organization_id !== organizationId) return { kind: 'forbidden' };
      const b = {
        capacity: row.capacity_units,
        reserved: row.reserved_units,
        consumed: row.consumed_units,
        available: row.capacity_units - row.reserved_units - row.consumed_units,
      };
      return { kind: 'applied', status: 200, body: { authorizationId, organizationId: row.organization_id, balance: balanceBody(b) } };
    } finally {
      client.release();
    }
  }
}

export function isConnectionBroken(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e?.code !== undefined && /^(57P0[1-3]|08\d\d\d|ECONNRESET|ECONNREFUSED|EPIPE)$/.test(e.code)) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|Query read timeout/i.test(e?.message ?? '')
  );
}
