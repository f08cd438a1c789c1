import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HistoryWriter, endsClosed, waitForClosedHistories } from '../../plugin/src/history';
import { COUNTERS, IsolationRecorder, METRICS, Plugin, classifyError, classifyResponse, parseRequest, readConfig } from 'artillery-plugin-isolation';

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
function historyEvents(dir: string): { type: string; key?: string; op?: string; units?: number; time?: number; lines?: number }[] {
  const [file] = fs.readdirSync(dir);
  return fs
    .readFileSync(path.join(dir, file!), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const url = 'http://127.0.0.1:3300/api/authorizations/0b0e5f0e-0000-4000-8000-000000000001/reserve';
const req = (key = 'k-1') => ({ url, json: { units: 10 }, headers: { 'Idempotency-Key': key } });
const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  statusCode: status,
  headers,
  body: JSON.stringify(body),
  timings: { phases: { firstByte: 12 } },
});

describe('classification', () => {
  it('parses the contract route, units and key', () => {
    expect(parseRequest(url, { units: 10 }, { 'idempotency-key': 'a' })).toEqual({
      operation: 'reserve',
      authorizationId: '0b0e5f0e-0000-4000-8000-000000000001',
      units: 10,
      idempotencyKey: 'a',
    });
    expect(parseRequest('http://x/health', undefined, {})).toBeNull();
  });

  it('splits 409s by reason and counts retries from the header', () => {
    const info = parseRequest(url, { units: 10 }, {})!;
    const c = classifyResponse(info, 409, { 'x-serialization-attempts': '3' }, { reason: 'serialization_conflict' });
    expect(c.outcome).toBe('fail');
    expect(c.counters).toMatchObject({ [METRICS.conflictSerialization]: 1, [METRICS.conflicts.reserve]: 1, [METRICS.retries]: 2 });
    expect(classifyResponse(info, 409, {}, '{"reason":"insufficient_units"}').counters[METRICS.conflictInsufficient]).toBe(1);
  });

  it('treats 5xx and resets as unknown outcomes, refused connections as failures', () => {
    const info = parseRequest(url, { units: 10 }, {})!;
    expect(classifyResponse(info, 503, {}, '').outcome).toBe('info');
    expect(classifyResponse(info, 400, {}, '').outcome).toBe('fail');
    expect(classifyError('ETIMEDOUT').outcome).toBe('info');
    expect(classifyError('ECONNREFUSED').outcome).toBe('fail');
  });
});

describe('IsolationRecorder (worker role, stub event emitter)', () => {
  it('seeds every counter with 0 before the first response', () => {
    const ee = new StubEE();
    const r = new IsolationRecorder(readConfig({}, {}));
    r.beforeRequest(req(), ee);
    for (const name of COUNTERS) expect(ee.counters[name]).toBe(0);
  });

  it('emits ok, units, attempts and per-operation latency; failed for non-409 errors', () => {
    const ee = new StubEE();
    const r = new IsolationRecorder(readConfig({}, {}));
    r.afterResponse(req(), res(200, { status: 'applied' }, { 'x-serialization-attempts': '2' }), ee);
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

  it('times every unit operation as a write, and GETs as reads: counted, failed when not 2xx or unanswered; other methods are neither', () => {
    const ee = new StubEE();
    const r = new IsolationRecorder(readConfig({}, {}));
    r.afterResponse(req(), res(200, { status: 'applied' }), ee);
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

  it('appends invoke and completion events to its history file, templating the request first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const r = new IsolationRecorder(readConfig({ historyDir: dir }, {}));
    const ee = new StubEE();
    // beforeRequest sees the request before Artillery renders its templates.
    r.beforeRequest(
      {
        url: 'http://127.0.0.1:3300/api/authorizations/{{ authorizationId }}/{{ operation }}',
        json: { units: 10 },
        headers: { 'Idempotency-Key': '{{ key }}' },
      },
      ee,
      { authorizationId: '0b0e5f0e-0000-4000-8000-000000000001', operation: 'reserve', key: 'key-a' },
    );
    r.afterResponse(req('key-a'), res(200, {}), ee);
    r.close();
    const events = historyEvents(dir);
    expect(events.map((e) => [e.type, e.key, e.op, e.units])).toEqual([
      ['invoke', 'key-a', 'reserve', 10],
      ['ok', 'key-a', 'reserve', 10],
      // A clean stop ends the file with a close line counting the lines before it.
      ['close', undefined, undefined, undefined],
    ]);
    expect(events[2].lines).toBe(2);
  });

  it('counts a resend of a key in the same virtual user once, in isolation.resends, not again as ok or conflict; and a request without a key in isolation.unkeyed', () => {
    const r = new IsolationRecorder(readConfig({}, {}));
    const ee = new StubEE();
    const vars: Record<string, unknown> = {};
    r.afterResponse(req('key-a'), res(200, {}), ee, vars);
    r.afterResponse(req('key-a'), res(200, {}, { 'idempotent-replayed': 'true' }), ee, vars);
    r.afterResponse(req('key-b'), res(409, { reason: 'insufficient_units' }), ee, vars);
    r.afterResponse(req('key-b'), res(409, { reason: 'insufficient_units' }), ee, vars);
    r.afterResponse({ ...req('x'), headers: {} }, res(200, {}), ee, vars);
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
    r.afterResponse(req('key-a'), res(200, {}), ee, {});
    expect(ee.counters['isolation.reserve.ok']).toBe(3);
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
    const r = new IsolationRecorder(readConfig({ historyDir: dir }, {}));
    const ee = new StubEE();
    r.beforeRequest(req('key-x'), ee, {});
    // The descriptor goes bad under the writer (as a full or vanished disk would make it).
    const writer = (r as unknown as { history: HistoryWriter }).history;
    fs.closeSync((writer as unknown as { fd: number }).fd);
    writer.flush();
    expect(writer.failures).toBe(1);
    r.afterResponse(req('key-x'), res(200, {}), ee, {});
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
        config: { plugins: { isolation: { historyDir: '/dev/null/not-a-dir' } } } as Record<string, unknown> & { processor?: Record<string, unknown> },
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
      (script.config.processor!.isolation_afterResponse as (...a: unknown[]) => void)(req(), res(200, {}), { vars: {} }, ee, next);
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
    const r = new IsolationRecorder(readConfig({ historyDir: dir }, {}));
    const ee = new StubEE();
    r.beforeRequest(req('key-t'), ee);
    const arrived = Date.now() - 5;
    r.afterResponse(req('key-t'), { ...res(200, {}), timings: { response: arrived, phases: { firstByte: 3 } } }, ee);
    r.afterResponse(req('key-u'), res(200, {}), ee); // no timings: the time it is processed
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
