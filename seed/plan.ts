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

export type Tier = 'contention' | 'standard' | 'bulk';
export const TIER_CAPACITY: Readonly<Record<Tier, number>> = { contention: 50, standard: 200, bulk: 1000 };

export interface OrgSpec {
  readonly code: string;
  readonly patients: number;
  readonly practitioners: number;
  readonly authorizations: Readonly<Record<Tier, number>>;
}

export const PLAN: readonly OrgSpec[] = [
  { code: 'A', patients: 10, practitioners: 4, authorizations: { contention: 5, standard: 11, bulk: 14 } },
  { code: 'B', patients: 5, practitioners: 3, authorizations: { contention: 3, standard: 5, bulk: 7 } },
  { code: 'C', patients: 5, practitioners: 3, authorizations: { contention: 2, standard: 4, bulk: 4 } },
];

export interface SeedData {
  readonly seed: number;
  readonly organizations: { id: string; code: string; name: string }[];
  readonly patients: { id: string; organizationId: string; fullName: string }[];
  readonly practitioners: { id: string; organizationId: string; fullName: string; email: string }[];
  readonly authorizations: { id: string; organizationId: string; patientId: string; serviceCode: string; capacityUnits: number; tier: Tier }[];
}

const SERVICE_CODES = ['97153', '97155', '97156', '97151', '90837'];

export function buildSeedData(seed: number = DEFAULT_SEED, plan: readonly OrgSpec[] = PLAN): SeedData {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  const data: SeedData = { seed, organizations: [], patients: [], practitioners: [], authorizations: [] };
  for (const spec of plan) {
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
  return data;
}

export function totals(data: SeedData): Record<Tier, { count: number; units: number }> {
  const t: Record<Tier, { count: number; units: number }> = { contention: { count: 0, units: 0 }, standard: { count: 0, units: 0 }, bulk: { count: 0, units: 0 } };
  for (const a of data.authorizations) {
    t[a.tier].count++;
    t[a.tier].units += a.capacityUnits;
  }
  return t;
}
