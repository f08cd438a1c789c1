import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HistoryWriter, endsClosed, waitForClosedHistories } from '../../plugin/src/history';
import {
  COUNTERS,
  CompiledContract,
  IsolationRecorder,
  contractProblems,
  METRICS,
  Plugin,
  answerCounters,
  errorOutcome,
  heldAcquisitions,
  namePackRequests,
  readConfig,
} from 'artillery-plugin-isolation';
import { BOOKING_CONTRACT, referenceContract, referenceWire } from '../support/contracts';

class StubEE {
  readonly counters: Record<string, number> = {};
  readonly histograms: Record<string, number[]> = {};
  emit(event: string, name: string, value: number): boolean {
    if (event === 'counter') this.counters[name] = (this.counters[name] ?? 0) + value;
    if (event === 'histogram') (this.histograms[name] ??= []).push(value);
    return true;
  }
}

/** The events of the one history file a recorder wrote into `dir`. */
function historyEvents(
  dir: string,
): { type: string; key?: string; op?: string; units?: number; time?: number; lines?: number; ref?: string; digest?: string; probe?: string }[] {
  const [file] = fs.readdirSync(dir);
  return fs
    .readFileSync(path.join(dir, file!), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const AUTH = '0b0e5f0e-0000-4000-8000-000000000001';
const url = `http://127.0.0.1:3300/api/authorizations/${AUTH}/reserve`;
/** A hand-written request (the YAML spells the path): the contract's route tells it is a reserve. */
const req = (key = 'k-1') => ({ url, method: 'POST', json: { units: 10 }, headers: { 'Idempotency-Key': key } });
const balance = { capacityUnits: 50, reservedUnits: 10, consumedUnits: 0, availableUnits: 40 };
const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  statusCode: status,
  headers,
  body: JSON.stringify(body),
  timings: { phases: { firstByte: 12 } },
});
const config = (extra: Record<string, unknown> = {}) => readConfig({ contract: referenceWire(), ...extra }, {});

describe('classification through the contract', () => {
  const reserve = referenceContract().op('reserve');

  it('splits refusals by what the contract says they mean, and counts retries from its header', () => {
    const j = reserve.judge(409, { 'x-serialization-attempts': '3' }, { reason: 'serialization_conflict' });
    expect([j.outcome, j.means, j.attempts, j.violation]).toEqual(['fail', 'contention', 3, null]);
    expect(answerCounters('reserve', 409, j, 10)).toMatchObject({ [METRICS.conflictSerialization]: 1, [METRICS.conflicts.reserve]: 1, [METRICS.retries]: 2 });
    const k = reserve.judge(409, {}, '{"reason":"insufficient_units"}');
    expect(answerCounters('reserve', 409, k, 10)[METRICS.conflictInsufficient]).toBe(1);
  });

  it('treats 5xx and resets as unknown outcomes, other statuses as refusals the contract does not describe, refused connections as failures', () => {
    expect(reserve.judge(503, {}, '').outcome).toBe('info');
    expect(reserve.judge(503, {}, '').violation).toBeNull(); // the contract allows a 503: the API may be down
    const bad = reserve.judge(400, {}, '{"reason":"invalid_body"}');
    expect([bad.outcome, bad.violation?.type]).toEqual(['fail', 'status']);
    expect(errorOutcome('ETIMEDOUT').outcome).toBe('info');
    expect(errorOutcome('ECONNREFUSED').outcome).toBe('fail');
  });

  it('names an answer off the contract: an undocumented reason, a missing balance field, a balance that breaks an invariant', () => {
    expect(reserve.judge(409, {}, { reason: 'teapot' }).violation?.type).toBe('reason');
    expect(reserve.judge(200, {}, { operationId: 'op-1', units: 10, balance: { ...balance, reservedUnits: undefined } }).violation?.type).toBe('balance');
    expect(reserve.judge(200, {}, 'not json').violation?.type).toBe('not_json');
    // Reserved units below zero: acknowledged, yet a balance no correct API can hold.
    const negative = reserve.judge(
      200,
      {},
      { operationId: 'op-1', units: 3, balance: { capacityUnits: 50, reservedUnits: -3, consumedUnits: 3, availableUnits: 50 } },
    );
    expect([negative.outcome, negative.violation?.type, negative.violation?.detail]).toEqual([
      'ok',
      'invariant',
      'a 200 whose balance breaks an invariant: reserved is -3 (below 0)',
    ]);
    const over = reserve.judge(
      200,
      {},
      { operationId: 'op-1', units: 10, balance: { capacityUnits: 50, reservedUnits: 60, consumedUnits: 0, availableUnits: -10 } },
    );
    expect(over.violation?.type).toBe('invariant');
    expect(reserve.judge(200, {}, { operationId: 'op-1', units: 10, balance }).violation).toBeNull();
  });

  it('a refusal on an ok status (a 201 whose body says FAILED) is a refusal by its own field; without its reason it is an acknowledgement', () => {
    const spec = {
      operations: {
        reserve: {
          request: { method: 'POST', path: '/api/bookings', body: { slot_id: '{resource}', num_seats: '{units}' } },
          ok: { status: 201, id: 'id', units: 'num_seats' },
          refused: [
            { status: 201, field: 'status', reason: 'FAILED', means: 'capacity' },
            { status: 404, reason: 'NOT_FOUND', means: 'other' },
          ],
        },
      },
      answers: { reason: 'error.code' },
    } as const;
    const op = new CompiledContract(spec, {}).op('reserve');
    const failed = op.judge(201, {}, { id: 'b1', num_seats: 2, status: 'FAILED' });
    expect([failed.outcome, failed.means, failed.reason, failed.ref]).toEqual(['fail', 'capacity', 'FAILED', null]);
    const ok = op.judge(201, {}, { id: 'b2', num_seats: 2, status: 'CONFIRMED' });
    expect([ok.outcome, ok.ref, ok.units, ok.violation]).toEqual(['ok', 'b2', 2, null]);
    expect(op.judge(404, {}, { error: { code: 'NOT_FOUND' } }).means).toBe('other');
    // Negative control: a refusal on an ok status that names no reason would swallow every acknowledgement.
    expect(contractProblems({ ...spec, operations: { reserve: { ...spec.operations.reserve, refused: [{ status: 201, means: 'capacity' }] } } })).toEqual([
      'api.operations.reserve.refused[0]: 201 is also an ok status, so this refusal must name its reason (and its field)',
    ]);
  });
});

describe('IsolationRecorder (worker role, stub event emitter)', () => {
  it('seeds every counter with 0 before the first response', () => {
    const ee = new StubEE();
    const r = new IsolationRecorder(config());
    r.beforeRequest(req(), ee);
    for (const name of COUNTERS) expect(ee.counters[name]).toBe(0);
  });

  it('emits ok, units, attempts and per-operation latency; failed for answers the contract does not describe as refusals', () => {
    const ee = new StubEE();
    const r = new IsolationRecorder(config());
    r.afterResponse(req(), res(200, { operationId: 'op-1', units: 10, balance }, { 'x-serialization-attempts': '2' }), ee);
    r.afterResponse(req(), res(409, { reason: 'insufficient_units' }), ee);
    r.afterResponse(req(), res(500, { reason: 'internal_error' }), ee);
    r.onError({ code: 'ECONNRESET' }, req(), ee);
    expect(ee.counters).toMatchObject({
      [METRICS.requests]: 4,
      [METRICS.ok.reserve]: 1,
      [METRICS.units.reserve]: 10,
      [METRICS.conflictInsufficient]: 1,
      [METRICS.status5xx]: 1,
      [METRICS.networkErrors]: 1,
      [METRICS.failed]: 2,
      [METRICS.retries]: 1,
    });
    expect(ee.histograms[METRICS.attempts]).toEqual([2]);
    expect(ee.histograms[METRICS.responseTime.reserve]).toEqual([12, 12, 12]);
  });

  it('counts answers off the contract, by way, and prints the first examples', () => {
    const ee = new StubEE();
    const lines: string[] = [];
    const r = new IsolationRecorder(config(), [], (l) => lines.push(l));
    r.afterResponse(req('a'), res(200, { operationId: 'op-1', units: 10 }), ee, {});
    r.afterResponse(req('b'), res(418, {}), ee, {});
    r.afterResponse(req('c'), res(200, { operationId: 'op-1', units: 10, balance }), ee, {});
    expect([ee.counters[METRICS.contract.violations], ee.counters[METRICS.contract.balance], ee.counters[METRICS.contract.status]]).toEqual([2, 1, 1]);
    expect(lines[0]).toMatch(/^isolation CONTRACT balance: reserve POST .*: a 200 whose balance has no number at balance\.capacityUnits/);
  });

  it('times every unit operation as a write, and GETs as reads: counted, failed when not 2xx or unanswered; other methods are neither', () => {
    const ee = new StubEE();
    const r = new IsolationRecorder(config());
    r.afterResponse(req(), res(200, { operationId: 'op-1', units: 10, balance }), ee);
    r.afterResponse(req(), res(409, { reason: 'insufficient_units' }), ee);
    const get = { url: 'http://x/api/organizations/o/balances', method: 'GET' };
    r.afterResponse(get, res(200, {}), ee);
    r.afterResponse(get, res(503, {}), ee);
    r.onError({ code: 'ETIMEDOUT' }, get, ee);
    r.afterResponse({ url: 'http://x/other', method: 'POST' }, res(500, {}), ee);
    expect(ee.histograms[METRICS.writeTime]).toEqual([12, 12]);
    expect(ee.counters[METRICS.reads]).toBe(3);
    expect(ee.counters[METRICS.readsFailed]).toBe(2);
    // An unanswered read has no time; a 503 has one.
    expect(ee.histograms[METRICS.readTime]).toEqual([12, 12]);
    // Reads are not unit requests: the error rate's denominator is unchanged.
    expect(ee.counters[METRICS.requests]).toBe(2);
  });

  it('appends invoke and completion events to its history file, templating a hand-written request first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const r = new IsolationRecorder(config({ historyDir: dir }));
    const ee = new StubEE();
    // beforeRequest sees the request before Artillery renders its templates.
    r.beforeRequest(
      {
        url: 'http://127.0.0.1:3300/api/authorizations/{{ authorizationId }}/{{ operation }}',
        method: 'POST',
        json: { units: 10 },
        headers: { 'Idempotency-Key': '{{ key }}' },
      },
      ee,
      { authorizationId: AUTH, operation: 'reserve', key: 'key-a' },
    );
    r.afterResponse(req('key-a'), res(200, { operationId: 'op-1', units: 10, balance }), ee);
    r.close();
    const events = historyEvents(dir);
    expect(events.map((e) => [e.type, e.key, e.op, e.units])).toEqual([
      ['invoke', 'key-a', 'reserve', 10],
      ['ok', 'key-a', 'reserve', 10],
      // A clean stop ends the file with a close line counting the lines before it.
      ['close', undefined, undefined, undefined],
    ]);
    expect(events[2].lines).toBe(2);
    // The answer's digest: status, reason, id and acknowledged units (no balance).
    expect(events[1].digest).toMatch(/^[0-9a-f]{8}$/);
  });

  it('counts a resend of a key in the same virtual user once, in isolation.resends, not again as ok or conflict; and a request without a key in isolation.unkeyed', () => {
    const r = new IsolationRecorder(config());
    const ee = new StubEE();
    const vars: Record<string, unknown> = {};
    const ok = res(200, { operationId: 'op-1', units: 10, balance });
    r.afterResponse(req('key-a'), ok, ee, vars);
    r.afterResponse(req('key-a'), res(200, { operationId: 'op-1', units: 10, balance }, { 'idempotent-replayed': 'true' }), ee, vars);
    r.afterResponse(req('key-b'), res(409, { reason: 'insufficient_units' }), ee, vars);
    r.afterResponse(req('key-b'), res(409, { reason: 'insufficient_units' }), ee, vars);
    r.afterResponse({ ...req('x'), headers: {} }, ok, ee, vars);
    const c = ee.counters;
    expect([
      c['isolation.reserve.ok'],
      c['isolation.reserve.conflict'],
      c['isolation.requests'],
      c['isolation.resends'],
      c['isolation.replays'],
      c['isolation.unkeyed'],
    ]).toEqual([2, 1, 3, 2, 1, 1]);
    // Another virtual user (another context) sending the same key is not a resend of this one's.
    r.afterResponse(req('key-a'), ok, ee, {});
    expect(ee.counters['isolation.reserve.ok']).toBe(3);
  });
});

describe('operations named in the YAML (isolation: on a request), rendered with the contract', () => {
  it('renders the method, path, body and headers of the API under test, and remembers a reservation for a release by its id', () => {
    const r = new IsolationRecorder(readConfig({ contract: BOOKING_CONTRACT }, { BOOKING_KEY: 'secret-key' }));
    const ee = new StubEE();
    const vars: Record<string, unknown> = { resource: 'evt 1', units: 3, $uuid: 'vu-1' };
    const reserve: Record<string, unknown> = { url: '/', method: 'POST', isolation: { op: 'reserve' } };
    r.beforeRequest(reserve as never, ee, vars);
    expect([reserve.method, reserve.url, reserve.json, reserve.headers]).toEqual([
      'POST',
      '/events/evt%201/bookings',
      { seats: 3 },
      { 'X-Api-Key': 'secret-key' },
    ]);
    r.afterResponse(reserve as never, res(201, { id: 'b-7', seats: 3 }), ee, vars);
    expect(heldAcquisitions(vars)).toEqual([{ ref: 'b-7', resource: 'evt 1', units: 3 }]);
    // release: by the id the API returned, the units and resource of that reservation.
    const release: Record<string, unknown> = { url: '/', method: 'POST', isolation: { op: 'release' } };
    r.beforeRequest(release as never, ee, vars);
    expect([release.method, release.url, release.json]).toEqual(['DELETE', '/bookings/b-7', undefined]);
    r.afterResponse(release as never, { statusCode: 204, headers: {}, body: '' } as never, ee, vars);
    expect(heldAcquisitions(vars)).toEqual([]);
    expect([
      ee.counters[METRICS.ok.reserve],
      ee.counters[METRICS.ok.release],
      ee.counters[METRICS.units.release],
      ee.counters[METRICS.contract.violations],
    ]).toEqual([1, 1, 3, 0]);
  });

  it("is named by its operation, so that Artillery's metrics-by-endpoint keeps one histogram per operation, not one per resource", () => {
    const r = new IsolationRecorder(readConfig({ contract: BOOKING_CONTRACT }, { BOOKING_KEY: 'k' }));
    const named = (resource: string, name?: string): unknown => {
      const step: Record<string, unknown> = { url: '/', method: 'POST', isolation: { op: 'reserve' }, ...(name ? { name } : {}) };
      r.beforeRequest(step as never, new StubEE(), { resource, units: 1, $uuid: 'vu' });
      return step.name;
    };
    expect([named('evt-1'), named('evt-2'), named('evt-3', 'my own name')]).toEqual(['reserve', 'reserve', 'my own name']);
    // Artillery's default block is told to use the names; a block that says otherwise is the user's choice.
    const script = (mbe: Record<string, unknown>) => ({ config: { plugins: { 'metrics-by-endpoint': mbe } }, scenarios: [] });
    const byDefault = script({ suppressOutput: true, stripQueryString: true });
    namePackRequests(byDefault as never);
    expect(byDefault.config.plugins['metrics-by-endpoint']).toEqual({ suppressOutput: true, stripQueryString: true, useOnlyRequestNames: true });
    const theirs = script({ useOnlyRequestNames: false });
    namePackRequests(theirs as never);
    expect(theirs.config.plugins['metrics-by-endpoint']).toEqual({ useOnlyRequestNames: false });
  });

  it('a key reused for another request is a probe: counted refused or not, nothing else; a resend repeats the last request and key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const r = new IsolationRecorder(config({ historyDir: dir }));
    const ee = new StubEE();
    const vars: Record<string, unknown> = { resource: AUTH, units: 10, token: 't' };
    const first: Record<string, unknown> = { url: '/', isolation: { op: 'reserve' } };
    r.beforeRequest(first as never, ee, vars);
    const key = (first.headers as Record<string, string>)['Idempotency-Key'];
    expect(key).toMatch(/^lt-/);
    r.afterResponse(first as never, res(200, { operationId: 'op-1', units: 10, balance }), ee, vars);
    const resend: Record<string, unknown> = { url: '/', isolation: { resend: true } };
    r.beforeRequest(resend as never, ee, vars);
    expect([(resend.headers as Record<string, string>)['Idempotency-Key'], resend.json]).toEqual([key, { units: 10 }]);
    vars.probe = { op: 'reserve', units: 11 };
    const probe: Record<string, unknown> = { url: '/', isolation: { probe: 'reuse' } };
    r.beforeRequest(probe as never, ee, vars);
    expect([(probe.headers as Record<string, string>)['Idempotency-Key'], probe.json]).toEqual([key, { units: 11 }]);
    r.afterResponse(probe as never, res(422, { reason: 'idempotency_key_reused' }), ee, vars);
    r.beforeRequest(probe as never, ee, vars);
    r.afterResponse(probe as never, res(200, { operationId: 'op-1', units: 10, balance }), ee, vars); // the old outcome replayed
    r.close();
    expect([
      ee.counters[METRICS.keyReuse.sent],
      ee.counters[METRICS.keyReuse.refused],
      ee.counters[METRICS.keyReuse.notRefused],
      ee.counters[METRICS.requests],
    ]).toEqual([2, 1, 1, 1]);
    expect(
      historyEvents(dir)
        .filter((e) => e.probe === 'reuse')
        .map((e) => e.type),
    ).toEqual(['invoke', 'fail', 'invoke', 'ok']);
  });

  it('refuses a contract that names no reserve, an unknown placeholder, or a release by id without the reservation id, naming each at load', () => {
    expect(() => readConfig({ contract: { operations: { read: BOOKING_CONTRACT.operations.read } } }, {})).toThrow(/operations\.reserve is missing/);
    const bad = {
      ...BOOKING_CONTRACT,
      operations: {
        reserve: {
          ...BOOKING_CONTRACT.operations.reserve!,
          request: { method: 'POST', path: '/e/{resourse}/b', body: { seats: '{units}' } },
          ok: { status: 201 },
        },
        release: BOOKING_CONTRACT.operations.release!,
      },
    };
    expect(() => readConfig({ contract: bad }, { BOOKING_KEY: 'k' })).toThrow(
      /\{resourse\} is not a placeholder.*names no \{resource\}.*by is acquisition, but operations\.reserve\.ok\.id does not say/,
    );
    expect(() => readConfig({ contract: BOOKING_CONTRACT }, {})).toThrow(/environment variables that are not set: \$\{BOOKING_KEY\}/);
    expect(() => readConfig({ route: '/x' }, {})).toThrow(/route is gone/);
  });
});

describe('history batching (off the request path)', () => {
  it('buffers lines and appends them in a batch after the flush interval; close writes the rest and the close line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const w = new HistoryWriter(dir, 50, 1000);
    const e = { type: 'invoke' as const, time: 1, key: 'k', op: 'reserve' as const, auth: 'a', units: 1 };
    w.write(e);
    w.write({ ...e, type: 'ok' });
    const lines = () => fs.readFileSync(w.file, 'utf8').split('\n').filter(Boolean);
    expect(lines()).toEqual([]); // nothing on disk yet: no write per request
    // Then the timer's batch lands (polled: a loaded machine may run the 50-ms timer late).
    for (const until = Date.now() + 5000; lines().length < 2 && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
    expect(lines()).toHaveLength(2);
    w.write({ ...e, key: 'k2' });
    w.close();
    expect(lines().map((l) => JSON.parse(l).type)).toEqual(['invoke', 'ok', 'invoke', 'close']);
    expect(JSON.parse(lines()[3]!).lines).toBe(3);
  });

  it('a batch that cannot be written is counted, never thrown, and surfaces as isolation.plugin_errors on the next hook', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const r = new IsolationRecorder(config({ historyDir: dir }));
    const ee = new StubEE();
    r.beforeRequest(req('key-x'), ee, {});
    // The descriptor goes bad under the writer (as a full or vanished disk would make it).
    const writer = (r as unknown as { history: HistoryWriter }).history;
    fs.closeSync((writer as unknown as { fd: number }).fd);
    writer.flush();
    expect(writer.failures).toBe(1);
    r.afterResponse(req('key-x'), res(200, { operationId: 'op-1', units: 10, balance }), ee, {});
    expect(ee.counters[METRICS.pluginErrors]).toBe(1);
  });
});

describe('main role at exit: waiting for the workers to close their histories', () => {
  it('returns as soon as every file ends with its close line, and names the files still open at the deadline', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const line = JSON.stringify({ type: 'ok', time: 1, key: 'k', op: 'reserve', auth: 'a', units: 1, worker: 'w' });
    fs.writeFileSync(path.join(dir, 'history-1-1.ndjson'), `${line}\n`);
    fs.writeFileSync(path.join(dir, 'history-1-2.ndjson'), `${line}\n${JSON.stringify({ type: 'close', time: 2, worker: 'w', lines: 1 })}\n`);
    expect(endsClosed(path.join(dir, 'history-1-1.ndjson'))).toBe(false);
    expect(endsClosed(path.join(dir, 'history-1-2.ndjson'))).toBe(true);
    // Never closed: the wait gives up at its deadline and says which file.
    expect(await waitForClosedHistories(dir, 300)).toEqual(['history-1-1.ndjson']);
    // Closed while we wait (as a worker's cleanup does, late): the wait returns without the deadline.
    setTimeout(() => fs.appendFileSync(path.join(dir, 'history-1-1.ndjson'), `${JSON.stringify({ type: 'close', time: 3, worker: 'w', lines: 1 })}\n`), 200);
    const t0 = Date.now();
    expect(await waitForClosedHistories(dir, 10_000)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await waitForClosedHistories(path.join(dir, 'none'), 1000)).toEqual([]);
  });
});

describe('worker role hooks', () => {
  it('never throw: a history that cannot be written is counted in isolation.plugin_errors and the VU goes on', () => {
    const g = global as unknown as { artillery?: Record<string, unknown> };
    g.artillery = { version: '2.0.21', log: () => undefined, ext: () => undefined };
    process.env.LOCAL_WORKER_ID = 'test';
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const script = {
        config: { plugins: { isolation: { contract: referenceWire(), historyDir: '/dev/null/not-a-dir' } } } as Record<string, unknown> & {
          processor?: Record<string, unknown>;
        },
        scenarios: [{}] as Record<string, unknown>[],
      };
      new Plugin(script as never, null);
      expect(script.scenarios[0]).toMatchObject({
        beforeRequest: ['isolation_beforeRequest'],
        afterResponse: ['isolation_responseFirst', 'isolation_afterResponse'],
        onError: ['isolation_onError'],
      });
      const ee = new StubEE();
      const next = jest.fn();
      (script.config.processor!.isolation_afterResponse as (...a: unknown[]) => void)(
        req(),
        res(200, { operationId: 'op-1', units: 10, balance }),
        { vars: {} },
        ee,
        next,
      );
      expect(next).toHaveBeenCalledTimes(1);
      expect(ee.counters[METRICS.pluginErrors]).toBe(1);
      expect(ee.counters[METRICS.ok.reserve]).toBe(1);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
      delete process.env.LOCAL_WORKER_ID;
      delete g.artillery;
    }
  });
});

describe('response-first scheduling (worker role)', () => {
  function workerPlugin(isolation: Record<string, unknown>, scenario: Record<string, unknown> = {}) {
    const g = global as unknown as { artillery?: Record<string, unknown> };
    g.artillery = { version: '2.0.21', log: () => undefined, ext: () => undefined };
    process.env.LOCAL_WORKER_ID = 'test';
    try {
      const script = {
        config: { plugins: { isolation } } as Record<string, unknown> & { processor?: Record<string, (...a: unknown[]) => void> },
        scenarios: [scenario] as Record<string, unknown>[],
      };
      new Plugin(script as never, null);
      return { scenario: script.scenarios[0]!, processor: script.config.processor! };
    } finally {
      delete process.env.LOCAL_WORKER_ID;
      delete g.artillery;
    }
  }

  it("is the first afterResponse hook, before the script's own and other plugins", () => {
    const { scenario } = workerPlugin({}, { afterResponse: 'mine' });
    expect(scenario.afterResponse).toEqual(['isolation_responseFirst', 'mine', 'isolation_afterResponse']);
  });

  it("hands the rest of an answer's processing to a later turn, in arrival order", async () => {
    const { processor } = workerPlugin({});
    const order: string[] = [];
    for (const name of ['a', 'b']) processor.isolation_responseFirst!(req(), res(200, {}), { vars: {} }, new StubEE(), () => order.push(name));
    expect(order).toEqual([]); // not in the turn that read the answer
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b']);
  });

  it('is off with responseFirst: false (or ISOLATION_RESPONSE_FIRST=false), and anything but a boolean is rejected at load', () => {
    const { scenario, processor } = workerPlugin({ responseFirst: false });
    expect(scenario.afterResponse).toEqual(['isolation_afterResponse']);
    expect(processor.isolation_responseFirst).toBeDefined(); // defined, but in no scenario
    expect(() => readConfig({ responseFirst: 'yes' }, {})).toThrow('plugins.isolation.responseFirst must be true or false');
    // ISOLATION_RESPONSE_FIRST when the script does not say; the script wins when it does.
    expect(readConfig({}, {}).responseFirst).toBe(true);
    expect(readConfig({}, { ISOLATION_RESPONSE_FIRST: 'false' }).responseFirst).toBe(false);
    expect(readConfig({}, { ISOLATION_RESPONSE_FIRST: '0' }).responseFirst).toBe(false);
    expect(readConfig({ responseFirst: true }, { ISOLATION_RESPONSE_FIRST: 'false' }).responseFirst).toBe(true);
    expect(() => readConfig({}, { ISOLATION_RESPONSE_FIRST: 'off' })).toThrow('ISOLATION_RESPONSE_FIRST must be true or false (got "off")');
  });

  it("dates an answer in the history when it arrived (got's timings.response), not when it was processed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const r = new IsolationRecorder(config({ historyDir: dir }));
    const ee = new StubEE();
    r.beforeRequest(req('key-t'), ee);
    const arrived = Date.now() - 5;
    r.afterResponse(req('key-t'), { ...res(200, { operationId: 'op-1', units: 10, balance }), timings: { response: arrived, phases: { firstByte: 3 } } }, ee);
    r.afterResponse(req('key-u'), res(200, { operationId: 'op-1', units: 10, balance }), ee); // no timings: the time it is processed
    r.close();
    const events = historyEvents(dir);
    expect(events.find((e) => e.type === 'ok' && e.key === 'key-t')!.time).toBe(arrived);
    expect(events.find((e) => e.type === 'ok' && e.key === 'key-u')!.time).toBeGreaterThanOrEqual(arrived + 5);
  });
});

describe('configuration and expectations (main role)', () => {
  it('rejects invalid expectations at load, naming each problem', () => {
    expect(() => readConfig({ expect: [{ metric: 'isolation.reserve.ok' }, { name: 'x' }] }, {})).toThrow(
      /expect\[0\] needs exactly one of equals.*expect\[1\] needs metric/,
    );
  });

  it('sets the exit code when an exact expectation is missed, and names limit and measured value', async () => {
    const logs: string[] = [];
    let beforeExit: ((e: { report: unknown }) => Promise<void>) | undefined;
    const g = global as unknown as { artillery: Record<string, unknown> };
    g.artillery = { version: '2.0.21', log: (m: string) => logs.push(m), ext: (e: { method: typeof beforeExit }) => (beforeExit = e.method) };
    const saved = process.env.LOCAL_WORKER_ID;
    delete process.env.LOCAL_WORKER_ID;
    try {
      new Plugin({ config: { plugins: { isolation: { expect: [{ name: 'exactly 50', metric: 'isolation.reserve.ok', equals: 50 }] } } }, scenarios: [] }, null);
      await beforeExit!({ report: { counters: { 'isolation.reserve.ok': 51 } } });
      expect(g.artillery.suggestedExitCode).toBe(1);
      expect(logs).toEqual(['isolation FAIL exactly 50: limit = 50, measured 51']);
      g.artillery.suggestedExitCode = undefined;
      await beforeExit!({ report: { counters: { 'isolation.reserve.ok': 50 } } });
      expect(g.artillery.suggestedExitCode).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env.LOCAL_WORKER_ID = saved;
      delete (global as { artillery?: unknown }).artillery;
    }
  });
});
