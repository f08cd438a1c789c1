/**
 * What every processor module shares: the fixture (loaded once per Artillery worker), the contract
 * of the API under test (what operations it has, how it releases), and a numeric scenario variable
 * with its default.
 */
import { CompiledContract, activeContract, loadContractFile } from 'artillery-plugin-isolation';
import { loadPackConfig } from '../lib/config';
import { Fixture, loadFixture } from '../seed/fixture';
import type { Capabilities } from './selection';

let fixture: Fixture | null = null;
export function getFixture(): Fixture {
  fixture ??= loadFixture(loadPackConfig().fixturePath);
  return fixture;
}

let contract: CompiledContract | null = null;
/**
 * The contract the plugin works with in this worker (plugins.isolation.contract or contractFile),
 * else the file the pack's runner names (ISOLATION_CONTRACT_FILE).
 */
export function getContract(): CompiledContract {
  contract ??=
    activeContract() ??
    (process.env.ISOLATION_CONTRACT_FILE
      ? loadContractFile(process.env.ISOLATION_CONTRACT_FILE)
      : (() => {
          throw new Error('no contract of the API under test: configure plugins.isolation.contract (or contractFile), or set ISOLATION_CONTRACT_FILE');
        })());
  return contract;
}

/** What the processors' pure choices need of a contract. */
export function capabilitiesOf(c: CompiledContract): Capabilities {
  return {
    has: (kind) => c.has(kind as never),
    by: (kind) => (c.has(kind) ? c.op(kind).by : 'units'),
    fixedUnits: (kind) => (c.has(kind as never) ? c.op(kind as never).fixedUnits : null),
    keyed: c.keyed,
    keyReuse: c.reused !== null,
  };
}

export function num(vars: Record<string, unknown>, name: string, def: number): number {
  const v = Number(vars[name]);
  return vars[name] !== undefined && Number.isFinite(v) ? v : def;
}
