/**
 * The integration tests' reference API: a fresh database (every migration applied), seeded, with
 * its fixture and JWT secret, and the API built on it for `inject()` with the API's own variables.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildApp, type App } from '../../api/app';
import { loadApiConfig } from '../../lib/config';
import type { Fixture } from '../../seed/fixture';
import type { SeedProfile } from '../../seed/plan';
import { seed } from '../../seed/seed';
import { freshDatabase, tempDir } from './db';

export interface SeededDatabase {
  readonly url: string;
  /** The folder of its fixture (f.json) and secret (s); the test's own scratch space. */
  readonly dir: string;
  readonly secret: string;
  readonly fixture: Fixture;
}

/** Seed `url` (again, from scratch) into `dir`: the fixture and the secret it signs with. */
export async function seedInto(url: string, dir: string, profile?: SeedProfile): Promise<SeededDatabase> {
  const { fixture } = await seed({
    databaseUrl: url,
    fixturePath: path.join(dir, 'f.json'),
    secretPath: path.join(dir, 's'),
    tokenTtlSeconds: 600,
    ...(profile ? { profile } : {}),
  });
  return { url, dir, fixture, secret: fs.readFileSync(path.join(dir, 's'), 'utf8') };
}

/** A fresh database named `name`, migrated and seeded (the default plan profile unless given). */
export async function seededDatabase(name: string, profile?: SeedProfile): Promise<SeededDatabase> {
  const url = await freshDatabase(name);
  return seedInto(url, tempDir(name.replace(/^it_/, '').replace(/_/g, '-')), profile);
}

/** The reference API on that database, built without a socket; `env` as API_* variables. */
export function referenceApi(db: { readonly url: string; readonly secret: string }, env: Record<string, string> = {}): Promise<App> {
  return buildApp(loadApiConfig({ DATABASE_URL: db.url, JWT_SECRET: db.secret, ...env }));
}
