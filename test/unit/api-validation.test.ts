import jwt from 'jsonwebtoken';
import { buildApp } from '../../api/app';
import { loadApiConfig } from '../../lib/config';

// Requests the API must refuse before it touches the database (the pool never connects here).
describe('reference API input validation (inject, no database)', () => {
  const secret = 'u'.repeat(40);
  const config = loadApiConfig({ JWT_SECRET: secret, DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none', API_BODY_LIMIT_BYTES: '256' });
  const id = '0b0e5f0e-0000-4000-8000-000000000001';
  const org = '0b0e5f0e-0000-4000-8000-0000000000aa';
  const sub = '0b0e5f0e-0000-4000-8000-0000000000bb';
  const token = jwt.sign({ sub, org }, secret, { expiresIn: 60 });
  let app: Awaited<ReturnType<typeof buildApp>>['app'];
  beforeAll(async () => ({ app } = await buildApp(config)));
  afterAll(() => app.close());

  const post = (headers: Record<string, string>, payload: string, path = `/api/authorizations/${id}/reserve`) =>
    app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json', ...headers }, payload });

  it.each([
    ['no token', {}, '{"units":1}', 401, 'missing_token'],
    ['a bad token', { authorization: 'Bearer nope' }, '{"units":1}', 401, 'invalid_token'],
    [
      'a token whose sub is not a UUID',
      { authorization: `Bearer ${jwt.sign({ sub: 'p', org }, secret, { expiresIn: 60 })}` },
      '{"units":1}',
      401,
      'invalid_token',
    ],
    [
      'a token whose org is not a UUID',
      { authorization: `Bearer ${jwt.sign({ sub, org: 'o' }, secret, { expiresIn: 60 })}` },
      '{"units":1}',
      401,
      'invalid_token',
    ],
    ['a token without exp', { authorization: `Bearer ${jwt.sign({ sub, org }, secret)}` }, '{"units":1}', 401, 'invalid_token'],
    [
      'a token signed with another key',
      { authorization: `Bearer ${jwt.sign({ sub, org }, 'v'.repeat(40), { expiresIn: 60 })}` },
      '{"units":1}',
      401,
      'invalid_token',
    ],
    ['zero units', { authorization: `Bearer ${token}` }, '{"units":0}', 400, 'invalid_body'],
    ['fractional units', { authorization: `Bearer ${token}` }, '{"units":1.5}', 400, 'invalid_body'],
    ['units as a string', { authorization: `Bearer ${token}` }, '{"units":"5"}', 400, 'invalid_body'],
    ['an unknown field', { authorization: `Bearer ${token}` }, '{"units":1,"x":1}', 400, 'invalid_body'],
    ['malformed JSON', { authorization: `Bearer ${token}` }, '{"units":', 400, 'invalid_json'],
    ['a bad idempotency key', { authorization: `Bearer ${token}`, 'idempotency-key': 'has space' }, '{"units":1}', 400, 'invalid_idempotency_key'],
    ['a body over the limit', { authorization: `Bearer ${token}` }, JSON.stringify({ units: 1, pad: 'x'.repeat(400) }), 413, 'body_too_large'],
  ])('refuses %s with a precise status and reason', async (_what, headers, payload, status, reason) => {
    const res = await post(headers as Record<string, string>, payload);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ reason });
  });

  it('answers 404 for an id that cannot exist and for unknown routes', async () => {
    expect((await post({ authorization: `Bearer ${token}` }, '{"units":1}', '/api/authorizations/not-a-uuid/reserve')).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });

  it('remembers a verified token only while it is valid: expired later, it is refused as expired; a changed token is verified in full', async () => {
    const now = Date.now();
    jest.useFakeTimers({
      now,
      doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask'],
    });
    try {
      const short = jwt.sign({ sub, org, exp: Math.floor(now / 1000) + 5 }, secret);
      // Past authentication (a 400 for the body, which comes after it): verified, and remembered.
      expect((await post({ authorization: `Bearer ${short}` }, '{"units":0}')).json()).toMatchObject({ reason: 'invalid_body' });
      expect((await post({ authorization: `Bearer ${short}` }, '{"units":0}')).json()).toMatchObject({ reason: 'invalid_body' });
      const [head, payload, signature] = short.split('.');
      const forged = [head, payload, `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`].join('.');
      expect((await post({ authorization: `Bearer ${forged}` }, '{"units":0}')).json()).toMatchObject({ reason: 'invalid_token' });
      jest.setSystemTime(now + 6_000);
      expect((await post({ authorization: `Bearer ${short}` }, '{"units":0}')).json()).toMatchObject({ reason: 'token_expired' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('rejects an expired token as expired', async () => {
    const old = jwt.sign({ sub, org, exp: Math.floor(Date.now() / 1000) - 10 }, secret);
    const res = await post({ authorization: `Bearer ${old}` }, '{"units":1}');
    expect(res.json()).toMatchObject({ reason: 'token_expired' });
  });
});
