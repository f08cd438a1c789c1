/**
 * Reference API hardening (issue 11 §3): health checks cannot starve the request pool, and
 * /internal/* exists only with a token and answers only to it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PoolClient } from 'pg';
import { buildApp } from '../../api/app';
import { loadApiConfig } from '../../lib/config';
import { seed } from '../../seed/seed';
import { freshDatabase, tempDir } from '../support/db';

describe('reference API hardening against a real PostgreSQL', () => {
  let url: string;
  let secret: string;

  beforeAll(async () => {
    url = await freshDatabase('it_api_hardening');
    const dir = tempDir('api-hardening');
    await seed({ databaseUrl: url, fixturePath: path.join(dir, 'f.json'), secretPath: path.join(dir, 's'), tokenTtlSeconds: 600 });
    secret = fs.readFileSync(path.join(dir, 's'), 'utf8');
  });

  it('answers 200 to a flood of health checks while every request connection is taken, with one database probe', async () => {
    const { app, pool } = await buildApp(loadApiConfig({ DATABASE_URL: url, JWT_SECRET: secret, API_POOL_MAX: '2', API_POOL_ACQUIRE_TIMEOUT_MS: '300' }));
    const held: PoolClient[] = [await pool.connect(), await pool.connect()];
    try {
      const acquiredBefore = pool.stats().acquired;
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: 200 }, () => app.inject({ method: 'GET', url: '/health' })));
      expect(answers.map((a) => a.statusCode)).toEqual(Array(200).fill(200));
      expect(performance.now() - started).toBeLessThan(2000);
      // Not one request connection was used, and the 200 checks shared a single probe.
      expect(pool.stats().acquired).toBe(acquiredBefore);
      expect(answers[0]!.json()).toMatchObject({ status: 'ok', database: 'ok', pool: { max: 2 } });
    } finally {
      held.forEach((c) => c.release());
      await app.close();
    }
  });

  it('has no /internal/* without API_INTERNAL_TOKEN, and with it answers only the token', async () => {
    const open = await buildApp(loadApiConfig({ DATABASE_URL: url, JWT_SECRET: secret }));
    try {
      expect((await open.app.inject({ method: 'GET', url: '/internal/pool' })).statusCode).toBe(404);
      expect((await open.app.inject({ method: 'POST', url: '/internal/pool/reset' })).statusCode).toBe(404);
    } finally {
      await open.app.close();
    }
    const token = 'i'.repeat(32);
    const guarded = await buildApp(loadApiConfig({ DATABASE_URL: url, JWT_SECRET: secret, API_INTERNAL_TOKEN: token }));
    try {
      const get = (headers: Record<string, string>) => guarded.app.inject({ method: 'GET', url: '/internal/pool', headers });
      expect((await get({})).statusCode).toBe(401);
      expect((await get({})).json()).toMatchObject({ reason: 'internal_token' });
      expect((await get({ 'x-internal-token': 'j'.repeat(32) })).statusCode).toBe(401);
      expect((await get({ 'x-internal-token': token.slice(1) })).statusCode).toBe(401);
      const ok = await get({ 'x-internal-token': token });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ max: 4 });
      expect((await guarded.app.inject({ method: 'POST', url: '/internal/pool/reset', headers: { 'x-internal-token': token } })).statusCode).toBe(200);
    } finally {
      await guarded.app.close();
    }
  });

  it('refuses an internal token shorter than 16 characters at start', () => {
    expect(() => loadApiConfig({ DATABASE_URL: url, JWT_SECRET: secret, API_INTERNAL_TOKEN: 'short' })).toThrow(/API_INTERNAL_TOKEN/);
  });
});
