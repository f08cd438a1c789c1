import { loadApiConfig, loadPackConfig } from '../../lib/config';
import { PackError } from '../../lib/errors';

describe('config', () => {
  it('defaults to the embedded PostgreSQL and the reference API', () => {
    const c = loadPackConfig({});
    expect(c.db.mode).toBe('embedded');
    expect(c.db.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:25432\/authz_load_test$/);
    expect(c.db.displayUrl).not.toContain('loadtest@');
    expect(c.target).toBeNull();
  });

  it('profiles the generator only when LOADTEST_PROFILE_GENERATOR says so, and refuses a value that is not a boolean', () => {
    expect(loadPackConfig({}).profileGenerator).toBe(false);
    expect(loadPackConfig({ LOADTEST_PROFILE_GENERATOR: 'true' }).profileGenerator).toBe(true);
    expect(() => loadPackConfig({ LOADTEST_PROFILE_GENERATOR: 'sometimes' })).toThrow(/LOADTEST_PROFILE_GENERATOR="sometimes" is not valid/);
  });

  it('checks ISOLATION_RESPONSE_FIRST (read by the plugin inside Artillery) before anything starts', () => {
    expect(() => loadPackConfig({ ISOLATION_RESPONSE_FIRST: 'false' })).not.toThrow();
    expect(() => loadPackConfig({ ISOLATION_RESPONSE_FIRST: 'off' })).toThrow(/ISOLATION_RESPONSE_FIRST="off" is not valid/);
  });

  it('prefers DATABASE_URL over PG* and masks its password', () => {
    const c = loadPackConfig({ DATABASE_URL: 'postgres://u:secret@db:5433/mine', PGHOST: 'other' });
    expect(c.db).toMatchObject({ mode: 'external', database: 'mine' });
    expect(c.db.displayUrl).toBe('postgres://u:***@db:5433/mine');
  });

  it('builds the URL from PG* variables', () => {
    const c = loadPackConfig({ PGHOST: 'h', PGPORT: '6543', PGUSER: 'me', PGPASSWORD: 'pw' });
    expect(c.db.url).toBe('postgres://me:pw@h:6543/authz_load_test');
  });

  it('reports every bad variable at once, naming value and what is accepted', () => {
    let err: unknown;
    try {
      loadPackConfig({ EMBEDDED_PG_PORT: 'x', LOADTEST_TARGET: 'ftp://nope', API_PORT: '70000' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PackError);
    const e = err as PackError;
    expect(e.code).toBe('LT_CONFIG_INVALID');
    expect(e.exitCode).toBe(254);
    expect(e.message).toContain('EMBEDDED_PG_PORT="x" is not valid (expected an integer from 1024 to 65535)');
    expect(e.message).toContain('LOADTEST_TARGET="ftp://nope"');
    expect(e.message).toContain('API_PORT="70000"');
  });

  it('refuses an API without a signing secret or with an unknown mode', () => {
    expect(() => loadApiConfig({ API_MODE: 'yolo' })).toThrow(/API_MODE="yolo" is not valid.*JWT_SECRET is missing/);
    expect(loadApiConfig({ JWT_SECRET: 'k'.repeat(32) }).mode).toBe('safe');
  });
});
