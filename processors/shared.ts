/**
 * What every processor module shares: the fixture (loaded once per Artillery worker), a fresh
 * idempotency key, and a numeric scenario variable with its default.
 */
import { randomUUID } from 'node:crypto';
import { loadPackConfig } from '../lib/config';
import { Fixture, loadFixture } from '../seed/fixture';

let fixture: Fixture | null = null;
export function getFixture(): Fixture {
  fixture ??= loadFixture(loadPackConfig().fixturePath);
  return fixture;
}

export function newIdempotencyKey(): string {
  return `lt-${randomUUID()}`;
}

export function num(vars: Record<string, unknown>, name: string, def: number): number {
  const v = Number(vars[name]);
  return Number.isFinite(v) ? v : def;
}
