/**
 * Every expectation a scenario gives the isolation plugin is also an `ensure` condition, so that
 * a runner which re-evaluates `ensure` on the combined report (run-fargate, run-lambda) judges
 * it too; and each such condition, run by Artillery's own ensure plugin, agrees with the plugin.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { ensureExpression, evaluate, parseCriteria } from 'artillery-plugin-isolation';
import { fillExpected, placeholderValues } from '../../runner/expected';

// Artillery's ensure plugin, as Artillery runs it (CommonJS, no types).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Plugin: Ensure } = require('artillery-plugin-ensure') as {
  Plugin: { statsToVars(d: unknown): unknown; runChecks(checks: unknown, vars: unknown): { result: number; original: string }[] };
};

const SCENARIOS = path.resolve(__dirname, '..', '..', 'scenarios');
const files = fs.readdirSync(SCENARIOS).filter((f) => f.endsWith('.yml'));

function ensureVerdict(expression: string, counters: Record<string, number>): boolean {
  const vars = Ensure.statsToVars({ report: { counters, rates: {}, summaries: {} } });
  (globalThis as { artillery?: unknown }).artillery ??= { log: () => undefined };
  return Ensure.runChecks({ conditions: [{ expression }] }, vars)[0]!.result === 1;
}

describe('isolation expectations mirrored as ensure conditions', () => {
  it.each(files)('%s: every expectation has its ensure condition', (file) => {
    const raw = YAML.parse(fs.readFileSync(path.join(SCENARIOS, file), 'utf8')) as {
      config: { pack?: { expected?: string }; ensure?: { conditions?: { expression: string }[] }; plugins?: { isolation?: { expect?: unknown } } };
    };
    // Derived numbers ({{ $expected.x }}) fill both lists alike, as the runner fills them before a run.
    const doc = fillExpected(raw, placeholderValues(raw.config.pack?.expected ?? null));
    const criteria = parseCriteria(undefined, doc.config.plugins?.isolation?.expect);
    const conditions = (doc.config.ensure?.conditions ?? []).map((c) => c.expression);
    expect(conditions).toEqual(expect.arrayContaining(criteria.map(ensureExpression)));
  });

  it('each kind of comparison means the same to ensure as to the plugin, on both sides of its limit', () => {
    const expects = [
      { metric: 'isolation.reserve.ok', equals: 50 },
      { metric: 'isolation.failed', over: 'isolation.requests', below: 0.02 },
      { metric: 'isolation.failed', max: 3 },
      { metric: 'isolation.failed', min: 3 },
      { metric: 'isolation.failed', above: 3 },
      { metric: 'isolation.conflicts', over: 'isolation.requests', between: [0.1, 0.2] },
    ];
    const samples = [
      { 'isolation.reserve.ok': 50, 'isolation.failed': 1, 'isolation.requests': 100, 'isolation.conflicts': 15 },
      { 'isolation.reserve.ok': 49, 'isolation.failed': 3, 'isolation.requests': 100, 'isolation.conflicts': 25 },
      { 'isolation.reserve.ok': 51, 'isolation.failed': 4, 'isolation.requests': 100, 'isolation.conflicts': 5 },
    ];
    const criteria = parseCriteria(undefined, expects);
    let disagreements = 0;
    let failures = 0;
    for (const counters of samples) {
      const plugin = evaluate({ counters, rates: {}, summaries: {} }, criteria);
      for (const r of plugin) {
        if (!r.pass) failures++;
        if (ensureVerdict(ensureExpression(r.criterion), counters) !== r.pass) disagreements++;
      }
    }
    expect(failures).toBeGreaterThan(5); // both sides of every limit were exercised
    expect(disagreements).toBe(0);
  });
});
