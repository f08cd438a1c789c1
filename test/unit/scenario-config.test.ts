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

  it('scenario1 full is the plan: 10 waves of 50 over 60 s, with exact expectations', () => {
    const s = loadScenario(path.join(root, 'scenarios', 'high-contention.yml'), 'full');
    expect(plannedSeconds(s.config.phases)).toBe(60);
    expect(plannedArrivals(s.config.phases)).toBe(500);
    expect(s.criteria.find((c) => c.id === 'isolation:exact-successes')).toMatchObject({ op: 'eq', limit: 50 });
  });
});
