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
import { askArtillery } from '../support/artillery';

/** Each (expression, counters) judged by the installed Artillery's own ensure plugin: true when it passes. */
function ensureVerdicts(cases: readonly { expression: string; counters: Record<string, number> }[]): boolean[] {
  return askArtillery<boolean[]>(
    `
    globalThis.artillery ??= { log: () => undefined };
    return input.map(({ expression, counters }) => {
      const vars = Ensure.statsToVars({ report: { counters, rates: {}, summaries: {} } });
      return Ensure.runChecks({ conditions: [{ expression }] }, vars)[0].result === 1;
    });
    `,
    cases,
  );
}

const SCENARIOS = path.resolve(__dirname, '..', '..', 'scenarios');
const files = fs.readdirSync(SCENARIOS).filter((f) => f.endsWith('.yml'));

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
    const judged = samples.flatMap((counters) => evaluate({ counters, rates: {}, summaries: {} }, criteria).map((r) => ({ r, counters })));
    const theirs = ensureVerdicts(judged.map(({ r, counters }) => ({ expression: ensureExpression(r.criterion), counters })));
    expect(judged.filter(({ r }) => !r.pass).length).toBeGreaterThan(5); // both sides of every limit were exercised
    expect(judged.filter(({ r }, i) => theirs[i] !== r.pass)).toEqual([]);
  });
});
