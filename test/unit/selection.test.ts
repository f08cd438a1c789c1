import { WaveTracker, barrierDelay, contentionTargets, targetForWave, tokenFor } from '../../processors/selection';
import { buildFixture } from '../../seed/seed';
import { buildSeedData } from '../../seed/plan';

const fixture = buildFixture(buildSeedData(), 'x'.repeat(40), 3600, new Date('2026-01-01T00:00:00Z'));

describe('processor choices', () => {
  it('groups arrivals into waves separated by silences longer than the gap', () => {
    const w = new WaveTracker(400);
    const seen = [0, 20, 40, 390, 6000, 6020, 12_000].map((t) => w.arrive(t));
    expect(seen.map((s) => s.wave)).toEqual([0, 0, 0, 0, 1, 1, 2]);
    expect(seen[3]!.waveStart).toBe(0);
    expect(seen[5]!.waveStart).toBe(6000);
  });

  it('aims each wave at the next contention target and covers all ten', () => {
    const targets = contentionTargets(fixture);
    expect(targets).toHaveLength(10);
    const aimed = new Set(Array.from({ length: 10 }, (_, i) => targetForWave(targets, i).id));
    expect(aimed.size).toBe(10);
    expect(targetForWave(targets, 10)).toBe(targets[0]);
  });

  it("picks a token of the authorization's own organization", () => {
    for (const a of fixture.authorizations) {
      const token = tokenFor(fixture, a, 7);
      expect(fixture.tokensByOrganization[a.organizationId]).toContain(token);
    }
  });

  it('holds every VU of a wave until the barrier, and never waits a negative time', () => {
    expect(barrierDelay(1000, 1000, 1100)).toBe(1100);
    expect(barrierDelay(2000, 1000, 1100)).toBe(100);
    expect(barrierDelay(5000, 1000, 1100)).toBe(0);
  });
});
