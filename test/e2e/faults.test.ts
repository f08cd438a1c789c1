/**
 * `load-test:faults` end to end (issue 11 §2): scenario 3's workload while PostgreSQL is stopped,
 * the API is SIGKILLed, and the fault proxy adds latency, resets and partitions, on the embedded
 * PostgreSQL (the pg-stop fault needs the pack's own server). Against the safe API: GO, each
 * fault with its rows. Negative control: hang-on-db-loss (no circuit breaker, no query timeout)
 * lets requests hang through the partition, and its row fails. Nothing is left running.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { RunSummary } from '../../formats/summary';
import { embeddedEnv, newestSummary } from '../support/db';
import { runCli } from '../support/cli';

jest.setTimeout(600_000);

const env = embeddedEnv('e2e-faults', 25978, 3409);
const newest = (): RunSummary => newestSummary(env.REPORTS_DIR);

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function leftovers(): Promise<string[]> {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(env.EMBEDDED_PG_DIR) && !l.includes('ps -eo'));
  return [...ps, ...((await listening(3409)) ? ['something still listens on the API port 3409'] : [])];
}

describe('load-test:faults, quick profile, embedded PostgreSQL, real Artillery', () => {
  it('the safe reference API goes through every fault: GO, a 503 within 2 s while the database is out of reach, recovery within 5 s', async () => {
    const r = await runCli('run', ['faults', '--profile', 'quick'], env, { timeoutMs: 400_000 });
    if (r.code !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}`);
    expect(r.code).toBe(0);
    for (const f of ['pg-stop', 'api-kill', 'latency', 'reset', 'partition']) expect(r.stdout).toContain(`fault ${f}: on`);
    const s = newest();
    expect(s.decision).toBe('GO');
    const outcome = s.scenarios[0]!;
    expect(outcome.faults!.timeline.map((f) => [f.fault, f.skipped, f.error])).toEqual(
      ['pg-stop', 'api-kill', 'latency', 'reset', 'partition'].map((f) => [f, null, null]),
    );
    const rows = outcome.rows.map((x) => x.name);
    for (const f of ['pg-stop', 'reset', 'partition'])
      expect(rows).toContain(`${f}: every unit request answered within 2 s while the database was out of reach (a 503, never a hang)`);
    for (const f of ['pg-stop', 'api-kill', 'latency', 'reset', 'partition']) expect(rows).toContain(`${f}: requests succeed again within 5 s of its end`);
    for (const finding of outcome.faults!.findings.filter((x) => x.unreachable)) expect(finding.answered503).toBeGreaterThan(0);
    expect(outcome.reconciliation.counts.lost).toBe(0);
    expect(outcome.reconciliation.counts.duplicated).toBe(0);
    // The report names the faults and shades them on the charts.
    const html = fs.readFileSync(path.join(path.dirname(outcome.reportFile), 'faults.html'), 'utf8');
    expect(html).toContain('<section id="faults">');
    expect(html).toContain('"bands":[{"label":"pg-stop"');
    // The sampler lost the database while it was stopped, counted it, and sampled on after it.
    expect(outcome.database!.failedSamples).toBeGreaterThan(0);
    expect(outcome.database!.headline.samples).toBeGreaterThan(10);
    expect(await leftovers()).toEqual([]);
  });

  it('negative control: an API that waits for a lost database (hang-on-db-loss) fails the partition row', async () => {
    const r = await runCli('run', ['faults', '--profile', 'quick', '--api-mode', 'hang-on-db-loss'], env, { timeoutMs: 400_000 });
    let s: RunSummary | undefined;
    try {
      s = newest();
    } finally {
      if (r.code !== 1 || s === undefined) process.stderr.write(`${r.stdout}\n${r.stderr}`);
    }
    expect(r.code).toBe(1);
    expect(s.decision).toBe('NO-GO');
    const partition = s.scenarios[0]!.rows.find((x) => x.name.startsWith('partition: every unit request answered within 2 s'))!;
    expect(partition.pass).toBe(false);
    expect(partition.measure!.value).toBeGreaterThan(2000);
    expect(await leftovers()).toEqual([]);
  });
});
