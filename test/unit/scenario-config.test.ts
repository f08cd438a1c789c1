import { EXPECTED } from '../../runner/expected';
import { buildFixture } from '../../seed/seed';
import { buildSeedData } from '../../seed/plan';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectedSeconds, loadScenario, parseScenario, plannedArrivals, plannedSeconds } from '../../runner/scenario-config';
import { discoverScenarios } from '../../runner/catalog';

const root = path.resolve(__dirname, '..', '..');

describe('scenario profiles', () => {
  it('merges environments index by index, as Artillery does', () => {
    const yml = `config:
  phases:
    - { duration: 60, arrivalRate: 10 }
    - { duration: 60, arrivalRate: 20 }
  environments:
    quick:
      phases:
        - { duration: 5 }
scenarios: [{ flow: [] }]`;
    const s = parseScenario('x.yml', yml, 'quick');
    // The trap: the second full phase survives, and the first keeps its rate.
    expect(s.config.phases).toEqual([
      { duration: 5, arrivalRate: 10 },
      { duration: 60, arrivalRate: 20 },
    ]);
  });

  it('refuses an unknown profile, naming the defined ones', () => {
    expect(() => loadScenario(path.join(root, 'scenarios', 'high-contention.yml'), 'nope')).toThrow(/profile "nope" is not defined .*\(defined: full, quick\)/);
  });

  for (const def of discoverScenarios(path.join(root, 'scenarios'))) {
    it(`${def.id}: quick keeps the shape of full (same phases, same kinds of phase, same criteria, 10-30 s)`, () => {
      const full = loadScenario(def.file, 'full');
      const quick = loadScenario(def.file, 'quick');
      expect(
        quick.config.phases.map((p) =>
          Object.keys(p)
            .filter((k) => k !== 'name')
            .sort(),
        ),
      ).toEqual(
        full.config.phases.map((p) =>
          Object.keys(p)
            .filter((k) => k !== 'name')
            .sort(),
        ),
      );
      expect(plannedArrivals(quick.config.phases)).toBeGreaterThan(0);
      expect(expectedSeconds(quick)).toBeGreaterThanOrEqual(10);
      expect(expectedSeconds(quick)).toBeLessThanOrEqual(30);
      expect(quick.criteria.map((c) => c.id)).toEqual(full.criteria.map((c) => c.id));
    });
  }

  it('scenario1 full is the plan: 10 waves of 50 over 60 s, with exact expectations derived from the data it starts on', () => {
    const file = path.join(root, 'scenarios', 'high-contention.yml');
    const shape = loadScenario(file, 'full');
    expect(plannedSeconds(shape.config.phases)).toBe(60);
    expect(plannedArrivals(shape.config.phases)).toBe(500);
    const derive = (fixture: Parameters<(typeof EXPECTED)['contention-waves']['derive']>[0]['fixture'], fixedUnits: number | null = null) =>
      EXPECTED['contention-waves']!.derive({
        phases: shape.config.phases,
        variables: shape.config.variables ?? {},
        fixture,
        api: { fixedUnits: () => fixedUnits },
      });
    const plan = { authorizations: buildFixture(buildSeedData(undefined, 'plan'), 'x'.repeat(40), 60, new Date()).authorizations };
    const values = derive(plan);
    expect(values).toMatchObject({ successes: 50, refusals: 450, units: 500, perTarget: 5 });
    const s = loadScenario(file, 'full', values);
    expect(s.criteria.find((c) => c.id === 'isolation:exact-successes')).toMatchObject({
      op: 'eq',
      limit: 50,
      name: 'exactly 5 reserves succeed per target (50 in all)',
    });
    // Another API, another unit: a claim of one on targets of 5 (a flash sale) wins 5 of each wave of 50.
    const drops = { authorizations: plan.authorizations.map((a) => (a.tier === 'contention' ? { ...a, capacityUnits: 5 } : a)) };
    expect(derive(drops, 1)).toMatchObject({ successes: 50, refusals: 450, units: 50, perTarget: 5 });
    // A target already partly held (its baseline) has less room.
    const held = new Map([[plan.authorizations.find((a) => a.tier === 'contention')!.id, 20]]);
    expect(
      EXPECTED['contention-waves']!.derive({ phases: shape.config.phases, variables: { units: 10 }, fixture: plan, held, api: { fixedUnits: () => null } })
        .successes,
    ).toBe(48); // 9 × 5 + (50 − 20) / 10
  });

  it('refuses a placeholder its derivation does not give, naming it', () => {
    const text = fs.readFileSync(path.join(root, 'scenarios', 'high-contention.yml'), 'utf8').replace('{{ $expected.refusals }}', '{{ $expected.refused }}');
    expect(() => parseScenario('x.yml', text, 'quick')).toThrow(/names \{\{ \$expected\.refused \}\}, which contention-waves does not derive/);
  });
});
