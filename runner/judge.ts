/**
 * Turning measurements into rows of the summary and a GO / CONDITIONAL / NO-GO decision, as
 * pure functions. The rule is the plan's (seeds/004, "Success Definition"):
 *
 *   GO           every criterion passes, integrity returns 0 rows, nothing crashed;
 *   NO-GO        a correctness check fails (overbooking, lost or extra writes, exact counts),
 *                a performance threshold is exceeded by more than 50 %, or something crashed;
 *   CONDITIONAL  otherwise: only performance thresholds missed, each by 50 % or less.
 */
import { CriterionResult, formatLimit, formatValue } from 'artillery-plugin-isolation';
import type { CheckRow, Decision, IntegrityResult, ReconciliationResult, ReplayResult } from '../formats/summary';
import { judgeIntegrity } from '../verify/integrity';
import { HostLoad, describeHost } from './host';

/** How far a measured value is past a limit, relative to the limit (0 when it passes). */
export function exceedance(r: CriterionResult): number | null {
  const m = r.measured;
  const c = r.criterion;
  if (m === null) return null;
  if (r.pass) return 0;
  const rel = (a: number, b: number): number => (b === 0 ? Infinity : Math.abs(a - b) / Math.abs(b));
  switch (c.op) {
    case 'lt':
    case 'lte':
      return rel(m, c.limit);
    case 'gt':
    case 'gte':
      return rel(m, c.limit);
    case 'between':
      return m < c.limit ? rel(m, c.limit) : rel(m, c.upper ?? c.limit);
    case 'eq':
      return rel(m, c.limit);
  }
}

/** The summary row of one YAML criterion; its kind is the one the YAML gives (never guessed from the operator). */
export function criterionRow(scenario: string, r: CriterionResult): CheckRow {
  return {
    scenario,
    name: r.criterion.name,
    limit: formatLimit(r.criterion),
    measured: formatValue(r.measured, r.criterion.unit),
    pass: r.pass,
    kind: r.criterion.kind,
    overBy: r.pass ? null : exceedance(r),
    measure: {
      value: r.measured,
      op: r.criterion.op,
      limit: r.criterion.limit,
      ...(r.criterion.upper !== undefined ? { upper: r.criterion.upper } : {}),
      unit: r.criterion.unit,
    },
  };
}

/**
 * Every latency row (a criterion measured in ms) says how busy the host was while it was measured
 * (runner/host.ts). The policy (docs/reference/exit-codes.md): a latency miss on a busy host is
 * UNKNOWN, not the API's FAIL, since the host's load is in the figure; a pass stands, with the
 * note; correctness rows are untouched. On a busy host the note is in the measured text, so every
 * output carries it.
 */
export function withHost(rows: readonly CheckRow[], host: HostLoad | null): CheckRow[] {
  if (!host) return [...rows];
  const note = describeHost(host);
  return rows.map((r) => {
    if (r.measure?.unit !== 'ms') return r;
    const flagged: CheckRow = { ...r, host: { busy: host.busy, note }, ...(host.busy ? { measured: `${r.measured} (${note})` } : {}) };
    return host.busy && !r.pass && r.kind === 'performance' && r.notChecked === undefined ? { ...flagged, unknown: true } : flagged;
  });
}

/**
 * The verdict, worst first: NO-GO (a correctness failure, a performance miss over 50 %, a crash)
 * beats UNKNOWN (a correctness check could not be made), which beats CONDITIONAL (performance
 * missed by 50 % or less, or a check that cannot support a GO on its own), which beats GO.
 */
export function decide(rows: readonly CheckRow[], crashes: readonly string[]): { decision: Decision; reasons: string[] } {
  const reasons: string[] = [];
  let nogo = crashes.length > 0;
  let unknown = false;
  let conditional = false;
  for (const c of crashes) reasons.push(`crash: ${c}`);
  for (const r of rows) {
    if (r.pass) {
      if (r.capsAt === 'CONDITIONAL') {
        conditional = true;
        reasons.push(`${r.scenario}: ${r.name} passed, but ${r.measured} cannot support a GO on its own`);
      }
      continue;
    }
    if (r.notChecked !== undefined) {
      // A check not made: the policy (the row's `unknown`) says whether the verdict can stand without it.
      if (r.unknown) {
        unknown = true;
        reasons.push(`${r.scenario}: ${r.name} was not checked (${r.notChecked}), and this run needs it`);
      }
    } else if (r.unknown && r.host?.busy) {
      unknown = true;
      reasons.push(
        `${r.scenario}: ${r.name} missed while the host was busy (limit ${r.limit}, measured ${r.measured}): not the API's alone; rerun on a quiet machine, or with --repeat 3`,
      );
    } else if (r.unknown) {
      unknown = true;
      reasons.push(`${r.scenario}: ${r.name} could not be checked (${r.measured})`);
    } else if (r.kind === 'correctness') {
      nogo = true;
      reasons.push(`${r.scenario}: ${r.name} failed (limit ${r.limit}, measured ${r.measured})`);
    } else if (r.overBy === null || r.overBy > 0.5) {
      nogo = true;
      reasons.push(`${r.scenario}: ${r.name} missed by more than 50% (limit ${r.limit}, measured ${r.measured})`);
    } else {
      conditional = true;
      reasons.push(`${r.scenario}: ${r.name} missed by ${(r.overBy * 100).toFixed(0)}% (limit ${r.limit}, measured ${r.measured})`);
    }
  }
  return { decision: nogo ? 'NO-GO' : unknown ? 'UNKNOWN' : conditional ? 'CONDITIONAL' : 'GO', reasons };
}

/** Pure: a violation's worst example, as the replay rows print it. */
function violationText([type, e]: [string, { count: number; worst: unknown }]): string {
  const w = e.worst as { auth?: string; at?: string; detail?: string };
  return `${type} on ${e.count} resource(s), worst ${w.detail ?? ''} on ${w.auth ?? '?'} at ${w.at ?? '?'}`;
}

/**
 * The replay row when the ledger has no order and the moments were judged by the clients' real
 * time (verify/realtime.ts). A violation it finds is certain (NO-GO). None found cannot rule out
 * one shorter than its operations' overlap: enough when the run only reserved (the final state
 * sees any overbooking) or when the target accepts it (database.order: realtime); else UNKNOWN.
 */
function realTimeRow(
  scenario: string,
  name: string,
  r: ReplayResult,
  decreasing: { readonly acknowledged: number; readonly ops: readonly string[] },
): CheckRow {
  const errors = Object.entries(r.verdict?.errors ?? {});
  const ops = r.counts.operations ?? 0;
  const unbounded = r.counts.unbounded ? `; ${r.counts.unbounded} resource(s) not bounded (no capacity before the load, or a release of unknown size)` : '';
  const base = { scenario, name, limit: '0 violations', kind: 'correctness' as const, overBy: null };
  if (errors.length > 0)
    return {
      ...base,
      measured: `${errors.map(violationText).join('; ')} (by the clients' real-time order: ${r.why ?? 'the ledger has no order'})`,
      pass: false,
    };
  const seen = `0 violations by the clients' real-time order (${ops} operations${unbounded}; ${r.why ?? 'the ledger has no order'})`;
  if (decreasing.acknowledged === 0) return { ...base, measured: `${seen}; this run only reserved, so the final-state check sees any overbooking`, pass: true };
  if (r.realtime?.accepted)
    return {
      ...base,
      measured: `${seen}; accepted by the target (database.order: realtime): a violation shorter than its operations' overlap would not be seen`,
      pass: true,
    };
  return {
    ...base,
    measured: `${seen}; this run acknowledged ${decreasing.acknowledged} ${decreasing.ops.join('/')} operation(s), and a violation shorter than its operations' overlap would not be seen (database.order: realtime accepts this check)`,
    pass: false,
    notChecked: "the ledger has no order; the clients' real-time order saw no violation, which cannot rule a short one out",
    unknown: true,
  };
}

/** The summary row of the integrity check (zero rows is the pass). */
export function integrityRow(scenario: string, integrity: IntegrityResult): CheckRow {
  const verdict = judgeIntegrity(integrity);
  return {
    scenario,
    name: 'integrity check returns 0 rows (no overbooking)',
    limit: '0 rows',
    measured: `${integrity.rows.length} rows${
      verdict.valid
        ? ''
        : ` (${Object.entries(verdict.errors)
            .map(([t, s]) => `${s.count} ${t}`)
            .join(', ')})`
    }`,
    pass: verdict.valid === true,
    kind: 'correctness',
    overBy: null,
  };
}

/** The summary row of the reconciliation: what failed, by name, or why it could not be made. */
export function reconciliationRow(scenario: string, r: ReconciliationResult): CheckRow {
  const c = r.counts;
  const gaps = Object.entries(r.verdict.errors)
    .filter(([t]) => /^(completeness|baseline)\./.test(t) || /history\.(unattributed|unexplained)$/.test(t))
    .map(([t, s]) => `${s.count} ${t.replace(/^[a-z]+\./, '').replace(/_/g, ' ')}`);
  // Every way it failed, named: "0 / 0 / 0" is only the part that held.
  const failed = ['lost', 'duplicated', 'unexpected', 'mismatched', 'contradicted', 'replay_differs']
    .filter((t) => (c[t] ?? 0) > 0)
    .map((t) => `${c[t]} ${t.replace(/_/g, ' ')}`);
  if ((c.bounds ?? 0) > 0) failed.push(`${c.bounds} resource(s) whose final balance lies outside what the answers allow (outside bounds)`);
  const unidentified = (c.unidentified ?? 0) > 0 ? `; ${c.unidentified} answer(s) carry no id and are judged by the balances alone` : '';
  const measured =
    r.mode === 'history'
      ? `${failed.length > 0 ? failed.join(', ') : `0 lost, 0 duplicated, 0 unexpected (${c.ok ?? 0} acknowledged, ${c.fail ?? 0} refused, ${c.info ?? 0} unknown)`}${unidentified}${gaps.length ? ` (unknown: ${gaps.join(', ')})` : ''}`
      : r.mode === 'counters'
        ? `valid ${String(r.verdict.valid)} in counters mode (no history: lost and duplicated writes that cancel out are invisible)`
        : `not reconciled: ${r.verdict.note ?? 'no history and no report'}`;
  return {
    scenario,
    name: 'every answer agrees with the ledger: nothing lost, duplicated, unexpected or outside bounds (reconciliation)',
    limit: '0',
    measured,
    pass: r.verdict.valid === true,
    kind: 'correctness',
    overBy: null,
    ...(r.verdict.valid === 'unknown' ? { unknown: true } : {}),
    ...(r.mode === 'counters' && r.verdict.valid === true ? { capsAt: 'CONDITIONAL' as const } : {}),
  };
}

/**
 * The summary row of the ledger replay: every invariant at every moment. When it was not made (the
 * ledger has no order), the policy: a run that only reserved cannot hide an overbooking from the
 * final-state check (the held units only grow), so the row reads NOT CHECKED and leaves the verdict
 * alone; a run that acknowledged a release, consume or take-out can (a release hides an
 * overbooking, a reserve a negative balance), so the verdict is UNKNOWN.
 */
export function replayRow(scenario: string, r: ReplayResult, decreasing: { readonly acknowledged: number; readonly ops: readonly string[] }): CheckRow {
  const name = 'every invariant held at every moment (ledger replayed in order from the baseline)';
  if (!r.checked) {
    const needed = decreasing.acknowledged > 0;
    return {
      scenario,
      name,
      limit: '0 violations',
      measured: needed
        ? `not checked: ${r.why ?? 'the ledger has no order'}; this run acknowledged ${decreasing.acknowledged} ${decreasing.ops.join('/')} operation(s), which can hide an overbooking from the final-state check`
        : `not checked: ${r.why ?? 'the ledger has no order'}; this run only reserved, so the final-state check sees any overbooking`,
      pass: false,
      notChecked: r.why ?? 'the ledger has no order',
      kind: 'correctness',
      overBy: null,
      ...(needed ? { unknown: true } : {}),
    };
  }
  if (r.realtime) return realTimeRow(scenario, name, r, decreasing);
  const errors = Object.entries(r.verdict?.errors ?? {});
  const rows = r.counts.rows ?? 0;
  const starts =
    (r.counts.starts_differ ?? 0) > 0
      ? `; ${r.counts.starts_differ} resource(s) start from a balance their earlier rows do not add up to (seeded without rows, or a pruned ledger)`
      : '';
  return {
    scenario,
    name,
    limit: '0 violations',
    measured:
      errors.length > 0
        ? errors.map(violationText).join('; ')
        : `0 violations (${rows} ledger rows replayed${r.counts.skipped ? ` after ${r.counts.skipped} from before the load` : ''})${starts}`,
    pass: r.verdict?.valid === true,
    kind: 'correctness',
    overBy: null,
  };
}
