/**
 * The bad-input catalog of load-test:edge (edge/classes.ts), its raw sender (edge/send.ts) and
 * its counters (edge/metrics.ts).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { EDGE_CLASSES, GROUPS, EdgeContext, claimsOf, describeExpected, judgeAnswer, jwtOf, rawRequest, reasonOf } from '../../edge/classes';
import { gotMetric, tallyClasses } from '../../edge/metrics';
import { parseResponse, sendRaw } from '../../edge/send';
import { requestShape } from '../../edge/shape';
import { referenceContract } from '../support/contracts';

const token = jwtOf({ alg: 'HS256', typ: 'JWT' }, { org: '11111111-1111-4111-8111-111111111111', exp: 2_000_000_000 }, 's3cret');
const ctx: EdgeContext = {
  host: '127.0.0.1:1',
  shape: requestShape(referenceContract(), { reference: true }),
  authorizationId: '22222222-2222-4222-8222-222222222222',
  sameOrgAuthorizationId: '33333333-3333-4333-8333-333333333333',
  token,
  otherOrgToken: token,
  secret: 's3cret',
  primedKey: 'lt-primed',
  primedUnits: 1,
  bodyLimitBytes: 4096,
};

describe('the bad-input catalog', () => {
  it('has at least 40 classes, unique names, every group, and each builds a request', () => {
    expect(EDGE_CLASSES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(EDGE_CLASSES.map((c) => c.name)).size).toBe(EDGE_CLASSES.length);
    for (const g of GROUPS) expect(EDGE_CLASSES.some((c) => c.group === g)).toBe(true);
    for (const c of EDGE_CLASSES) {
      expect(c.name).toMatch(/^[a-z0-9_]+$/);
      const bytes = c.build(ctx);
      expect(bytes.toString('latin1').split('\r\n')[0]).toMatch(/^[A-Z]+ \S+ HTTP\/1\.1$/);
      for (const s of c.expect.status) expect(s >= 400 && s < 500).toBe(true);
    }
  });

  it('sends the bytes it is given: two Content-Length headers stay two, a body gets its length', () => {
    const two = EDGE_CLASSES.find((c) => c.name === 'http_two_content_lengths')!
      .build(ctx)
      .toString('latin1');
    expect(two.match(/Content-Length:/g)).toHaveLength(2);
    expect(rawRequest('h', { path: '/x', body: 'abc' }).toString()).toBe('POST /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc');
  });

  it('forges tokens from the valid one: alg none has no signature, a signed variant verifies with the secret only', () => {
    const none = EDGE_CLASSES.find((c) => c.name === 'token_alg_none')!
      .build(ctx)
      .toString();
    expect(none).toMatch(/Authorization: Bearer [\w-]+\.[\w-]+\.\r\n/);
    expect(claimsOf(token)).toMatchObject({ org: '11111111-1111-4111-8111-111111111111' });
    expect(EDGE_CLASSES.filter((c) => c.needsSecret).map((c) => c.name)).toEqual(
      expect.arrayContaining(['token_expired', 'token_without_exp', 'token_not_yet_valid', 'token_sub_not_an_id']),
    );
  });

  it('judges an answer by status and reason; a 5xx, a drop and a wrong reason are each named', () => {
    const c = EDGE_CLASSES.find((x) => x.name === 'token_expired')!;
    expect(describeExpected(c.expect)).toBe('401 token_expired');
    expect(judgeAnswer(c, { status: 401, reason: 'token_expired', dropped: false, timedOut: false })).toBe('expected');
    expect(judgeAnswer(c, { status: 401, reason: 'invalid_token', dropped: false, timedOut: false })).toBe('off_contract');
    expect(judgeAnswer(c, { status: 200, reason: null, dropped: false, timedOut: false })).toBe('off_contract');
    expect(judgeAnswer(c, { status: 500, reason: 'internal_error', dropped: false, timedOut: false })).toBe('server_error');
    expect(judgeAnswer(c, { status: null, reason: null, dropped: true, timedOut: false })).toBe('dropped');
    const transport = EDGE_CLASSES.find((x) => x.name === 'http_bad_chunked_encoding')!;
    expect(judgeAnswer(transport, { status: 400, reason: null, dropped: false, timedOut: false })).toBe('expected');
    expect(reasonOf('{"reason":"x"}')).toBe('x');
    expect(reasonOf('<html>')).toBeNull();
  });

  it('tallies per class what came back, from the counters', () => {
    const counters = {
      'edge.class.units_string.expected': 3,
      'edge.class.units_string.off': 2,
      [gotMetric('units_string', 200, null)]: 2,
      [gotMetric('token_missing', null, null)]: 1,
      'edge.class.token_missing.off': 1,
    };
    const t = tallyClasses(counters, ['units_string', 'token_missing']);
    expect(t.get('units_string')).toEqual({ expected: 3, off: 2, skipped: 0, got: { '200': 2 } });
    expect(t.get('token_missing')!.got).toEqual({ 'no answer': 1 });
  });

  it('the manual lists every class with its expected answer', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'guides', 'bad-input-and-faults.md'), 'utf8');
    for (const c of EDGE_CLASSES) expect(readme).toContain(`| \`${c.name}\` | ${c.group} | ${c.what} | ${describeExpected(c.expect)} |`);
  });
});

describe('the raw sender', () => {
  let server: net.Server;
  let port = 0;
  let behaviour: 'answer' | 'reset' | 'silent' = 'answer';
  beforeAll(async () => {
    server = net.createServer((s) => {
      s.once('data', () => {
        if (behaviour === 'answer') s.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 19\r\n\r\n{"reason":"nope!!"}');
        else if (behaviour === 'reset') s.resetAndDestroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads an answer, and tells a reset and a silence from it (negative controls of the drop count)', async () => {
    const url = new URL(`http://127.0.0.1:${port}`);
    const req = rawRequest(url.host, { path: '/', body: '{}' });
    behaviour = 'answer';
    const a = await sendRaw(url, req, { timeoutMs: 2000 });
    expect(a).toMatchObject({ status: 400, dropped: false, timedOut: false });
    expect(reasonOf(a.body)).toBe('nope!!');
    behaviour = 'reset';
    expect(await sendRaw(url, req, { timeoutMs: 2000 })).toMatchObject({ status: null, dropped: true });
    behaviour = 'silent';
    expect(await sendRaw(url, req, { timeoutMs: 300 })).toMatchObject({ status: null, dropped: false, timedOut: true });
  });

  it('parses lengths, chunks and bodies that end with the connection', () => {
    expect(parseResponse(Buffer.from('HTTP/1.1 413 X\r\nContent-Length: 2\r\n\r\nab'), false)).toMatchObject({ status: 413, body: 'ab' });
    expect(parseResponse(Buffer.from('HTTP/1.1 413 X\r\nContent-Length: 5\r\n\r\nab'), false)).toBeNull();
    expect(parseResponse(Buffer.from('HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n'), false)).toMatchObject({ body: 'ab' });
    expect(parseResponse(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), true)).toMatchObject({ status: 400, body: '' });
  });
});
