import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setupDatabase } from '../../db/migrate';
import { withDatabase } from '../../db/connect';
import { VerifySql, sqlFromFolder } from '../../verify/sql-source';

/** The reference schema's verifier SQL (verify/*.sql, matched by idempotency key): what a run on the reference API uses. */
export const REFERENCE_SQL: VerifySql = sqlFromFolder(path.resolve(__dirname, '..', '..', 'verify', 'verify-integrity.sql'), 'key');

export function testServerUrl(): string {
  const url = process.env.TEST_PG_URL;
  if (!url) throw new Error('TEST_PG_URL is not set: the integration tests need jest globalSetup');
  return url;
}

/** A fresh database with every migration applied, named after the test file. */
export async function freshDatabase(name: string): Promise<string> {
  const url = withDatabase(testServerUrl(), name);
  await setupDatabase(url, name, { recreate: true });
  return url;
}

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o755); // the embedded PostgreSQL runs as the postgres user when we are root
  return dir;
}

/** Environment for one CLI run on its own database, port, reports and fixture folders. */
export function runEnv(
  name: string,
  port: number,
  extra: Record<string, string> = {},
): Record<string, string> & { DATABASE_URL: string; REPORTS_DIR: string; FIXTURE_PATH: string } {
  const dir = tempDir(name.replace(/_/g, '-'));
  return {
    DATABASE_URL: withDatabase(testServerUrl(), name),
    // The tests' databases are scratch databases the pack creates: it owns them.
    LOADTEST_DB_OWNED: 'true',
    API_PORT: String(port),
    REPORTS_DIR: path.join(dir, 'reports'),
    FIXTURE_PATH: path.join(dir, 'fixtures', 'test-data.json'),
    JWT_SECRET_FILE: path.join(dir, 'fixtures', '.jwt-secret'),
    ...extra,
  };
}

/** One statement on its own connection (tests only). */
export async function query(url: string, sql: string, params: unknown[] = []): Promise<import('pg').QueryResult> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

/** The environment of a run on its own embedded PostgreSQL (no DATABASE_URL): what pg-stop and process hygiene need. */
export function embeddedEnv(
  name: string,
  pgPort: number,
  apiPort: number,
): Record<string, string | undefined> & { EMBEDDED_PG_DIR: string; REPORTS_DIR: string } {
  const dir = tempDir(name);
  return {
    DATABASE_URL: undefined,
    PGHOST: undefined,
    PGPORT: undefined,
    PGUSER: undefined,
    PGDATABASE: undefined,
    EMBEDDED_PG_DIR: path.join(dir, 'pg'),
    EMBEDDED_PG_PORT: String(pgPort),
    API_PORT: String(apiPort),
    REPORTS_DIR: path.join(dir, 'reports'),
    FIXTURE_PATH: path.join(dir, 'fixtures', 'test-data.json'),
    JWT_SECRET_FILE: path.join(dir, 'fixtures', '.jwt-secret'),
  };
}

/** The summary.json of the newest run in a reports folder. */
export function newestSummary(reportsDir: string): import('../../formats/summary').RunSummary {
  const runs = fs
    .readdirSync(reportsDir)
    .filter((d) => d !== 'latest')
    .sort();
  return JSON.parse(fs.readFileSync(path.join(reportsDir, runs[runs.length - 1]!, 'summary.json'), 'utf8')) as import('../../formats/summary').RunSummary;
}
