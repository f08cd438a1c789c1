/**
 * The scenarios of the plan, in the order `load-test:all` runs them, with the checks each one
 * makes after the load, through the API contract (so they hold for a user's API too).
 */
import * as path from 'node:path';
import type { Fixture } from '../seed/fixture';
import { readBalance } from './api-client';
import type { CheckRow } from './judge';

export interface PostCheckContext {
  readonly target: string;
  readonly fixture: Fixture;
}

export interface ScenarioDef {
  readonly id: 'scenario1' | 'scenario2' | 'scenario3';
  readonly title: string;
  /** Short name used for report files: reports/<run>/<slug>.json */
  readonly slug: string;
  readonly file: string;
  readonly postChecks: (ctx: PostCheckContext) => Promise<CheckRow[]>;
}

function tokenFor(f: Fixture, organizationId: string): string {
  const t = f.tokensByOrganization[organizationId]?.[0];
  if (!t) throw new Error(`the fixture has no token for organization ${organizationId}`);
  return t;
}

/** Scenario 1 expects every contention target to end exactly full: no more, no less. */
async function contentionTargetsFull(scenario: string, ctx: PostCheckContext): Promise<CheckRow[]> {
  const targets = ctx.fixture.authorizations.filter((a) => a.tier === 'contention');
  const off: string[] = [];
  for (const a of targets) {
    const b = await readBalance(ctx.target, tokenFor(ctx.fixture, a.organizationId), a.id);
    const used = b.reservedUnits + b.consumedUnits;
    if (used !== a.capacityUnits) off.push(`${a.id.slice(0, 8)} ${used}/${a.capacityUnits}`);
  }
  return [
    {
      scenario,
      name: 'every contention target ends exactly full',
      limit: `${targets.length} of ${targets.length}`,
      measured: off.length === 0 ? `${targets.length} of ${targets.length}` : `${targets.length - off.length} of ${targets.length} (${off.slice(0, 3).join(', ')}${off.length > 3 ? ', …' : ''})`,
      pass: off.length === 0,
      kind: 'correctness',
      overBy: null,
    },
  ];
}

export function scenarioDefs(root: string): readonly ScenarioDef[] {
  return [
    {
      id: 'scenario1',
      title: 'High contention',
      slug: 'contention',
      file: path.join(root, 'scenarios', 'high-contention.yml'),
      postChecks: (ctx) => contentionTargetsFull('scenario1', ctx),
    },
  ];
}
