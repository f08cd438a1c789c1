import * as path from 'node:path';
import { loadScenario } from '../../runner/scenario-config';
import { preflightContention, preflightMixed, preflightThroughput } from '../../runner/preflight';
import { buildFixture } from '../../seed/seed';
import { buildSeedData } from '../../seed/plan';

const root = path.resolve(__dirname, '..', '..');
const scenario = (file: string, profile: string) => loadScenario(path.join(root, 'scenarios', file), profile);
const auths = (profile: 'plan' | 'throughput' | 'mixed') => buildFixture(buildSeedData(undefined, profile), 'x'.repeat(40), 60, new Date()).authorizations;

describe('capacity preflight', () => {
  it.each(['full', 'quick'])('passes every scenario of the %s profile on its seed profile', (profile) => {
    expect(preflightContention(scenario('high-contention.yml', profile), auths('plan')).ok).toBe(true);
    expect(preflightThroughput(scenario('high-throughput.yml', profile), auths('throughput')).ok).toBe(true);
    expect(preflightMixed(scenario('mixed-operations.yml', profile), auths('mixed')).ok).toBe(true);
  });

  it('refuses the naive reserve-only reading of scenario 2 (the capacity trap)', () => {
    const s = scenario('high-throughput.yml', 'full');
    const naive = { ...s, config: { ...s.config, variables: { ...s.config.variables, releaseAfterReserve: false } } };
    const r = preflightThroughput(naive, auths('throughput'));
    expect(r.ok).toBe(false);
    const failed = r.lines.find((l) => !l.ok)!;
    expect(failed.what).toMatch(/reserve-only requests × 5/);
    expect(failed.needs).toBe(90_000); // ~3000 practitioners × 6 journeys × 5 units
    expect(failed.has).toBe(44_000); // 20 × 200 + 25 × 1000 + 15 × 1000
  });

  it('refuses scenario 2 on the plan data set: 45 authorizations outside the contention targets, not 50', () => {
    const r = preflightThroughput(scenario('high-throughput.yml', 'quick'), auths('plan'));
    expect(r.lines.find((l) => !l.ok)).toMatchObject({ needs: 50, has: 45 });
  });

  it('refuses a mixed run long enough to consume the shared authorization', () => {
    const s = scenario('mixed-operations.yml', 'full');
    const long = { ...s, config: { ...s.config, variables: { ...s.config.variables, loops: 3000 } } };
    const r = preflightMixed(long, auths('mixed'));
    expect(r.ok).toBe(false);
    expect(r.lines.find((l) => !l.ok)!.what).toMatch(/consumed on the shared authorization/);
  });

  it('refuses more contention waves than targets', () => {
    const s = scenario('high-contention.yml', 'quick');
    const r = preflightContention(
      s,
      auths('plan').filter((a, i) => a.tier !== 'contention' || i < 3),
    );
    expect(r.lines[0]).toMatchObject({ ok: false, needs: 10 });
  });
});
