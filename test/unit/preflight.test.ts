import * as path from 'node:path';
import { loadScenario } from '../../runner/scenario-config';
import { preflightContention, preflightMixed, preflightThroughput } from '../../runner/preflight';
import { buildFixture } from '../../seed/seed';
import { buildSeedData } from '../../seed/plan';
import { capabilitiesOf } from '../../processors/shared';
import { BOOKING_CONTRACT, referenceContract } from '../support/contracts';
import { CompiledContract } from 'artillery-plugin-isolation';
import { exercisePlan } from '../../runner/exercise';

const root = path.resolve(__dirname, '..', '..');
const scenario = (file: string, profile: string) => loadScenario(path.join(root, 'scenarios', file), profile);
const auths = (profile: 'plan' | 'throughput' | 'mixed') => buildFixture(buildSeedData(undefined, profile), 'x'.repeat(40), 60, new Date()).authorizations;
const api = capabilitiesOf(referenceContract());

describe('capacity preflight', () => {
  it.each(['full', 'quick'])('passes every scenario of the %s profile on its seed profile', (profile) => {
    expect(preflightContention(scenario('high-contention.yml', profile), auths('plan'), {}, api).ok).toBe(true);
    expect(preflightThroughput(scenario('high-throughput.yml', profile), auths('throughput'), {}, api).ok).toBe(true);
    expect(preflightMixed(scenario('mixed-operations.yml', profile), auths('mixed'), {}, api).ok).toBe(true);
  });

  it('refuses the naive reserve-only reading of scenario 2 (the capacity trap)', () => {
    const s = scenario('high-throughput.yml', 'full');
    const naive = { ...s, config: { ...s.config, variables: { ...s.config.variables, releaseAfterReserve: false } } };
    const r = preflightThroughput(naive, auths('throughput'), {}, api);
    expect(r.ok).toBe(false);
    const failed = r.lines.find((l) => !l.ok)!;
    expect(failed.what).toMatch(/reserve-only requests × 5/);
    expect(failed.needs).toBe(90_000); // ~3000 practitioners × 6 journeys × 5 units
    expect(failed.has).toBe(44_000); // 20 × 200 + 25 × 1000 + 15 × 1000
  });

  it('refuses scenario 2 on the plan data set: 45 authorizations outside the contention targets, not 50', () => {
    const r = preflightThroughput(scenario('high-throughput.yml', 'quick'), auths('plan'), {}, api);
    expect(r.lines.find((l) => !l.ok)).toMatchObject({ needs: 50, has: 45 });
  });

  it('refuses a mixed run long enough to consume the shared authorization', () => {
    const s = scenario('mixed-operations.yml', 'full');
    const long = { ...s, config: { ...s.config, variables: { ...s.config.variables, loops: 3000 } } };
    const r = preflightMixed(long, auths('mixed'), {}, api);
    expect(r.ok).toBe(false);
    expect(r.lines.find((l) => !l.ok)!.what).toMatch(/consumed on the shared authorization/);
  });

  it('refuses more contention waves than targets', () => {
    const s = scenario('high-contention.yml', 'quick');
    const r = preflightContention(
      s,
      auths('plan').filter((a, i) => a.tier !== 'contention' || i < 3),
      {},
      api,
    );
    expect(r.lines[0]).toMatchObject({ ok: false, needs: 10 });
  });

  it('refuses contention targets a previous run left full (data the pack does not reseed): the scenario would test nothing', () => {
    const s = scenario('high-contention.yml', 'quick');
    const full = auths('plan').map((a) => (a.tier === 'contention' ? { ...a, preReservedUnits: a.capacityUnits } : a));
    const r = preflightContention(s, full, {}, api);
    expect([r.ok, r.lines[1]]).toEqual([false, expect.objectContaining({ what: 'contention targets with room left to fill', needs: 10, has: 0 })]);
    expect(preflightContention(s, auths('plan'), {}, api).lines[1]).toMatchObject({ ok: true, has: 10 });
  });
});

describe('what a scenario cannot exercise on an API, said before the load', () => {
  const booking = capabilitiesOf(new CompiledContract(BOOKING_CONTRACT, { BOOKING_KEY: 'k' }));

  it('drops the operations the API lacks from the mix, from the same YAML the processors read, and says so', () => {
    const s = scenario('mixed-operations.yml', 'quick');
    expect(exercisePlan(s, api)).toEqual({ notExercised: [], mix: '70 % reserve 5, 20 % release 5, 10 % consume 3' });
    const plan = exercisePlan(s, booking);
    expect(plan.mix).toBe('78 % reserve 5, 22 % release 5');
    expect(plan.notExercised).toEqual([
      expect.stringMatching(/^client retries and reused keys: the API has no idempotency keys/),
      "the mix's consume (10: the API has no consume operation)",
      expect.stringMatching(/^releases and consumes by id take one of the virtual user's own reservations/),
    ]);
    // A YAML change, not a TypeScript edit: the mix follows the scenario's variables.
    const edited = { ...s, config: { ...s.config, variables: { ...s.config.variables, consumeShare: 0, releaseShare: 30 } } };
    expect(exercisePlan(edited, api).mix).toBe('70 % reserve 5, 30 % release 5');
  });

  it("sizes the contention waves with the units the API fixes (a claim of one), not the scenario's", () => {
    const s = scenario('high-contention.yml', 'quick');
    const one = { ...api, fixedUnits: (k: string) => (k === 'reserve' ? 1 : null) };
    const r = preflightContention(s, auths('plan'), {}, one);
    expect(r.lines[2]).toMatchObject({ needs: 50, has: 50, ok: true });
  });
});
