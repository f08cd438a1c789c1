/**
 * The pack aimed at a flash-sale API it did not write (examples/flash-api): a claim of one unit
 * per user (no units in the request), 410 when a coupon is gone, its idempotency key in
 * X-Request-Id, a claim redeemed (consumed) by its id, a token from a login request. One target
 * file and two SELECTs, no adapter: the correct API comes out GO on all three scenarios, and each
 * broken one is caught by name.
 */
import * as path from 'node:path';
import { FLASH_CLIENT, FLASH_DROP, FlashMode, loadFlashData, startFlashApi } from '../../examples/flash-api/server';
import { ApiUnderTest, aimAt, failedRows, rowsOf, runAgainst } from '../support/apis/aim';

jest.setTimeout(600_000);

const flash: ApiUnderTest<FlashMode> = {
  folder: path.join(__dirname, '..', '..', 'examples', 'flash-api'),
  load: loadFlashData,
  start: startFlashApi,
  env: () => ({ FLASH_CLIENT_ID: FLASH_CLIENT.id, FLASH_CLIENT_SECRET: FLASH_CLIENT.secret }),
};

// Latency is relaxed tenfold here (test/support/apis/aim.ts): every run is judged on correctness,
// so they go two at a time (the maxConcurrency of jest.config.js).
describe('a flash-sale API, aimed at through its target description (claims of one, 410 when gone, keys in X-Request-Id)', () => {
  it.concurrent('correct: scenarios 1-3 come out GO; exactly the drop of each coupon is claimed; reused request ids are refused', async () => {
    const a = await aimAt(flash, { db: 'e2e_flash_ok', mode: 'correct', profile: 'all', port: 3430 });
    try {
      const { r, summary } = await runAgainst(a, 'all');
      expect([r.code, summary.decision, rowsOf(summary)]).toEqual([0, 'GO', expect.any(Array)]);
      expect(failedRows(summary)).toEqual([]);
      const contention = summary.scenarios.find((s) => s.id === 'scenario1')!;
      // One unit a claim, 5 a coupon: 5 of each wave of 50 win, derived from the data, not written in the YAML.
      expect(contention.rows.find((x) => x.name.startsWith('exactly '))!.name).toBe(
        `exactly ${FLASH_DROP} reserves succeed per target (${FLASH_DROP * 10} in all)`,
      );
      const reuse = contention.rows.find((x) => /reused for another request/.test(x.name))!;
      expect([reuse.pass, reuse.limit]).toEqual([true, 'every one 409 request_id_reused']);
      expect(r.stdout).toMatch(/tokens: 1 JWT\(s\) read, the first expires in \d+ s/);
      expect(r.stdout).toMatch(/not exercised: the mix's release .*the API has no release operation/);
    } finally {
      await a.api.close();
    }
  });

  it.concurrent('racy (no row lock): more claims than stock, caught by name (NO-GO)', async () => {
    const a = await aimAt(flash, { db: 'e2e_flash_racy', mode: 'racy', profile: 'plan', port: 3431 });
    try {
      const { r, summary } = await runAgainst(a, 'scenario1');
      expect(r.code).toBe(1);
      expect(summary.scenarios[0]!.integrity.rows.some((x) => x.violation === 'overbooked')).toBe(true);
      expect(failedRows(summary)).toEqual(expect.arrayContaining(['scenario1: integrity check returns 0 rows (no overbooking)']));
    } finally {
      await a.api.close();
    }
  });

  it.concurrent('phantom (a claim committed, answered 410): caught as unexpected by its request id (NO-GO)', async () => {
    const a = await aimAt(flash, { db: 'e2e_flash_phantom', mode: 'phantom', profile: 'plan', port: 3432 });
    try {
      const { r, summary } = await runAgainst(a, 'scenario1');
      expect(r.code).toBe(1);
      const s = summary.scenarios[0]!;
      expect(s.reconciliation.counts.unexpected).toBeGreaterThan(0);
      expect(Object.keys(s.reconciliation.verdict.errors)).toContain('history.unexpected');
    } finally {
      await a.api.close();
    }
  });
});
