/**
 * `load-test:edge` end to end (issue 11 §1): every bad-input class against the reference API
 * under load, through the real Artillery CLI. Against the safe API: GO, every class answered as
 * the contract says, nothing written by a bad request. Negative control: the lax-input mode
 * (tokens without exp accepted, "5" coerced to 5) is NO-GO, names the classes with what came
 * back, and its writes from bad requests show in the reconciliation as writes no history explains.
 */
import * as fs from 'node:fs';
import type { RunSummary } from '../../formats/summary';
import { EDGE_CLASSES } from '../../edge/classes';
import { newestSummary, runEnv } from '../support/db';
import { runCli } from '../support/cli';

jest.setTimeout(600_000);

const row = (s: RunSummary, name: string) => s.scenarios[0]!.rows.find((r) => r.name === name)!;

describe('load-test:edge, quick profile, real Artillery', () => {
  const env = runEnv('e2e_edge', 3408);

  it('the safe reference API answers every class as the contract says: GO, nothing written by a bad request', async () => {
    const r = await runCli('run', ['edge', '--profile', 'quick'], env, { timeoutMs: 300_000 });
    if (r.code !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}`);
    expect(r.code).toBe(0);
    const s = newestSummary(env.REPORTS_DIR);
    expect(s.decision).toBe('GO');
    expect(row(s, 'every bad-input class gets its expected 4xx').measured).toMatch(new RegExp(`^${EDGE_CLASSES.length} of ${EDGE_CLASSES.length} classes`));
    const counters = JSON.parse(fs.readFileSync(s.scenarios[0]!.reportFile, 'utf8')).aggregate.counters as Record<string, number>;
    expect(counters['edge.sent']).toBe(20 * EDGE_CLASSES.length);
    expect(counters['edge.skipped']).toBe(0);
    expect(s.scenarios[0]!.reconciliation.counts.unattributed).toBe(0);
    expect(s.scenarios[0]!.reconciliation.counts.ok).toBe(20);
    // What PostgreSQL did meanwhile: sampled every second, in the report's Database section.
    const db = s.scenarios[0]!.database!;
    expect(db.headline.samples).toBeGreaterThanOrEqual(5);
    expect(db.headline.commits).toBeGreaterThan(0);
    const html = fs.readFileSync(s.scenarios[0]!.reportFile.replace(/\.json$/, '.html'), 'utf8');
    expect(html).toContain('<section id="database">');
    expect(html).toContain('"id":"db-locks"');
  });

  it('negative control: the lax-input API is NO-GO; the classes it got wrong are named with what came back, and its writes are unattributed', async () => {
    const r = await runCli('run', ['edge', '--profile', 'quick', '--api-mode', 'lax-input'], env, { timeoutMs: 300_000 });
    expect(r.code).toBe(1);
    const s = newestSummary(env.REPORTS_DIR);
    expect(s.decision).toBe('NO-GO');
    const classes = row(s, 'every bad-input class gets its expected 4xx');
    expect(classes.pass).toBe(false);
    expect(classes.measured).toContain('token_without_exp: expected 401 invalid_token, got 200');
    expect(classes.measured).toContain('units_string: expected 400 invalid_body, got 200');
    expect(s.scenarios[0]!.reconciliation.counts.unattributed).toBeGreaterThan(0);
  });
});
