/**
 * The plan's data set, built as a pure function of a random seed: same seed, same rows, same IDs.
 *
 *   | Organization | Patients | Practitioners | Authorizations            |
 *   | A            | 10       | 4             | 30 (5 × 50, 11 × 200, 14 × 1000) |
 *   | B            | 5        | 3             | 15 (3 × 50,  5 × 200,  7 × 1000) |
 *   | C            | 5        | 3             | 10 (2 × 50,  4 × 200,  4 × 1000) |
 *
 * 55 authorizations: 10 of 50 units (the contention targets), 20 of 200, 25 of 1000.
 */
import { Faker, en } from '@faker-js/faker';

export const DEFAULT_SEED = 20_261_122;

import { TIERS, Tier } from './fixture';

export type { Tier };
export const TIER_CAPACITY: Readonly<Record<'contention' | 'standard' | 'bulk', number>> = { contention: 50, standard: 200, bulk: 1000 };

export interface OrgSpec {
  readonly code: string;
  readonly patients: number;
  readonly practitioners: number;
  readonly authorizations: Readonly<Record<'contention' | 'standard' | 'bulk', number>>;
}

export const PLAN: readonly OrgSpec[] = [
  { code: 'A', patients: 10, practitioners: 4, authorizations: { contention: 5, standard: 11, bulk: 14 } },
  { code: 'B', patients: 5, practitioners: 3, authorizations: { contention: 3, standard: 5, bulk: 7 } },
  { code: 'C', patients: 5, practitioners: 3, authorizations: { contention: 2, standard: 4, bulk: 4 } },
];

export interface SeedData {
  readonly seed: number;
  readonly profile: SeedProfile;
  readonly organizations: { id: string; code: string; name: string }[];
  readonly patients: { id: string; organizationId: string; fullName: string }[];
  readonly practitioners: { id: string; organizationId: string; fullName: string; email: string }[];
  readonly authorizations: { id: string; organizationId: string; patientId: string; serviceCode: string; capacityUnits: number; tier: Tier }[];
  /** Units already reserved when the scenario starts (ledger rows keyed seed-<id>). */
  readonly preReserved: { authorizationId: string; units: number }[];
}

/**
 * Each scenario starts from a known state, built from the plan's data set:
 *   plan        exactly the plan (scenario 1, and `npm run load-test:seed`)
 *   throughput  the plan + 15 more 1000-unit authorizations (5 per organization), so that 60
 *               authorizations exist outside the contention targets (scenario 2 wants >= 50)
 *   mixed       the plan with capacities calibrated for a steady 10-20 % conflict rate
 *               (scenario 3): 39 spread authorizations of 3000 units (100 reserved), 6 of 1000 units that are
 *               already fully reserved (waitlisted), and one shared authorization of 4000
 *               units with 3950 reserved (the hot spot)
 *   ladder      the plan + three authorizations of 10, 20 and 50 units (organization A), the
 *               stock of the exact-count ladder (seeds/003: 100/200/500 claims)
 *   all         one data set for the three scenarios in a row (`load-test:all -- --no-seed`):
 *               throughput's extra authorizations, then mixed's calibration; the full ones are
 *               tier `waitlisted`, which scenario 2 leaves alone
 *   swarm       cold, high-cardinality data (seed 000; load-test:swarm and load-test:breakpoint):
 *               SWARM.organizations organizations, SWARM.authorizations authorizations of 1000
 *               units spread over them, each with SWARM.preReservedUnits already reserved (one
 *               ledger row each, so the ledger the pressure reads scan starts as large)
 */
export const SEED_PROFILES = ['plan', 'throughput', 'mixed', 'ladder', 'all', 'swarm'] as const;
export type SeedProfile = (typeof SEED_PROFILES)[number];

export const LADDER_STOCKS = [10, 20, 50] as const;

export const MIXED = {
  spreadCapacity: 3000,
  spreadPreReserved: 100,
  saturatedPerOrg: 2,
  saturatedCapacity: 1000,
  sharedCapacity: 4000,
  sharedPreReserved: 3950,
} as const;

const SERVICE_CODES = ['97153', '97155', '97156', '97151', '90837'];

/** The most authorizations `--authorizations` accepts. */
export const MAX_AUTHORIZATIONS = 5_000_000;

/**
 * A UUID (version 4 layout) drawn from a small seeded generator: the faker's is too slow for
 * millions of rows, and these only have to be unique and reproducible.
 */
export function seededUuids(seed: number): () => string {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  return () => {
    const a = hex(next());
    const b = hex(next());
    const c = hex(next());
    const d = hex(next());
    const variant = ((parseInt(c[0]!, 16) & 0x3) | 0x8).toString(16);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  };
}

/**
 * Grows a data set to `total` authorizations with 1000-unit `bulk` ones spread round-robin over
 * the organizations and their patients (`--authorizations N`: the seeder's size). The profile's
 * rows come first and are unchanged.
 */
export function growTo(data: SeedData, total: number): SeedData {
  const missing = total - data.authorizations.length;
  if (missing <= 0) return data;
  const uuid = seededUuids(data.seed + 2);
  const patientsByOrg = data.organizations.map((o) => data.patients.filter((p) => p.organizationId === o.id));
  // xorshift32 never repeats a state within its period, so the first word alone makes the
  // generated IDs unique among themselves; only the profile's own IDs need checking.
  const taken = new Set(data.authorizations.map((a) => a.id));
  for (let i = 0; i < missing; i++) {
    const o = i % data.organizations.length;
    const patients = patientsByOrg[o]!;
    let id = uuid();
    while (taken.has(id)) id = uuid();
    data.authorizations.push({
      id,
      organizationId: data.organizations[o]!.id,
      patientId: patients[Math.floor(i / data.organizations.length) % patients.length]!.id,
      serviceCode: SERVICE_CODES[i % SERVICE_CODES.length]!,
      capacityUnits: TIER_CAPACITY.bulk,
      tier: 'bulk',
    });
  }
  return data;
}

export const SWARM = { organizations: 40, authorizations: 100_000, preReservedUnits: 100 } as const;

/** The swarm's organizations: many, each with a few patients and two practitioners (its tokens). */
function swarmPlan(): OrgSpec[] {
  return Array.from({ length: SWARM.organizations }, (_, i) => ({
    code: `S${String(i + 1).padStart(2, '0')}`,
    patients: 5,
    practitioners: 2,
    authorizations: { contention: 0, standard: 0, bulk: 1 },
  }));
}

export function buildSeedData(seed: number = DEFAULT_SEED, profile: SeedProfile = 'plan', plan: readonly OrgSpec[] = PLAN): SeedData {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  const data: SeedData = { seed, profile, organizations: [], patients: [], practitioners: [], authorizations: [], preReserved: [] };
  for (const spec of profile === 'swarm' && plan === PLAN ? swarmPlan() : plan) {
    const org = { id: faker.string.uuid(), code: spec.code, name: `${faker.company.name()} (Org ${spec.code})` };
    data.organizations.push(org);
    const patients = Array.from({ length: spec.patients }, () => ({ id: faker.string.uuid(), organizationId: org.id, fullName: faker.person.fullName() }));
    data.patients.push(...patients);
    for (let i = 0; i < spec.practitioners; i++) {
      const fullName = faker.person.fullName();
      data.practitioners.push({
        id: faker.string.uuid(),
        organizationId: org.id,
        fullName,
        email: `practitioner${i + 1}.org${spec.code.toLowerCase()}@loadtest.invalid`,
      });
    }
    let n = 0;
    for (const tier of ['contention', 'standard', 'bulk'] as const) {
      for (let i = 0; i < spec.authorizations[tier]; i++, n++) {
        data.authorizations.push({
          id: faker.string.uuid(),
          organizationId: org.id,
          patientId: patients[n % patients.length]!.id,
          serviceCode: faker.helpers.arrayElement(SERVICE_CODES),
          capacityUnits: TIER_CAPACITY[tier],
          tier,
        });
      }
    }
  }
  // Profiles only add rows or change capacities after the plan's rows are drawn, so the plan's
  // IDs are the same in every profile.
  const extra = new Faker({ locale: [en] });
  extra.seed(seed + 1);
  if (profile === 'throughput' || profile === 'all') {
    for (const org of data.organizations) {
      const patients = data.patients.filter((p) => p.organizationId === org.id);
      for (let i = 0; i < 5; i++) {
        data.authorizations.push({
          id: extra.string.uuid(),
          organizationId: org.id,
          patientId: patients[i % patients.length]!.id,
          serviceCode: '97153',
          capacityUnits: TIER_CAPACITY.bulk,
          tier: 'bulk',
        });
      }
    }
  }
  if (profile === 'ladder') {
    const orgA = data.organizations[0]!;
    for (const stock of LADDER_STOCKS) {
      data.authorizations.push({
        id: extra.string.uuid(),
        organizationId: orgA.id,
        patientId: data.patients[1]!.id,
        serviceCode: '97151',
        capacityUnits: stock,
        tier: 'ladder',
      });
    }
  }
  if (profile === 'mixed' || profile === 'all') {
    for (const org of data.organizations) {
      const spread = data.authorizations.filter((a) => a.organizationId === org.id && a.tier !== 'contention');
      spread.forEach((a, i) => {
        if (i < MIXED.saturatedPerOrg) {
          a.tier = 'waitlisted';
          a.capacityUnits = MIXED.saturatedCapacity;
          data.preReserved.push({ authorizationId: a.id, units: MIXED.saturatedCapacity });
        } else {
          // Some units already reserved, so that releases and consumes do not fail just because
          // the run has only begun (that would pile conflicts up at the start).
          a.capacityUnits = MIXED.spreadCapacity;
          data.preReserved.push({ authorizationId: a.id, units: MIXED.spreadPreReserved });
        }
      });
    }
    const orgA = data.organizations[0]!;
    const shared = {
      id: extra.string.uuid(),
      organizationId: orgA.id,
      patientId: data.patients[0]!.id,
      serviceCode: '97155',
      capacityUnits: MIXED.sharedCapacity,
      tier: 'shared' as const,
    };
    data.authorizations.push(shared);
    data.preReserved.push({ authorizationId: shared.id, units: MIXED.sharedPreReserved });
  }
  if (profile === 'swarm') {
    growTo(data, SWARM.authorizations);
    for (const a of data.authorizations) data.preReserved.push({ authorizationId: a.id, units: SWARM.preReservedUnits });
  }
  return data;
}

export function totals(data: SeedData): Record<Tier, { count: number; units: number }> {
  const t = Object.fromEntries(TIERS.map((tier) => [tier, { count: 0, units: 0 }])) as Record<Tier, { count: number; units: number }>;
  for (const a of data.authorizations) {
    t[a.tier].count++;
    t[a.tier].units += a.capacityUnits;
  }
  return t;
}
