/** benchmarks/results.md, rendered from results.json (pure). */
import type { BenchFigure, BenchResults, PairFigure } from '../formats/bench';

/** The figures shown for every Node and Artillery pair side by side. */
export const SIDE_BY_SIDE = ['B1', 'B3', 'B8'] as const;

const num = (v: number | null, unit: string): string => {
  if (v === null) return '–';
  const text = Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit === '×' ? `${text}×` : `${text} ${unit}`;
};

function status(f: BenchFigure): string {
  if (f.error) return 'not measured';
  if (f.met === null) return '–';
  return f.met ? 'met' : '**missed**';
}

export function renderBenchMarkdown(r: BenchResults): string {
  const m = r.machine;
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`${r.command}\` from ${r.startedAt} to ${r.endedAt}; ${r.repeats} repeat(s) per figure, taken side by side.${
      r.figures.some((f) => f.measuredBy !== undefined && f.measuredBy !== r.command)
        ? ' Figures kept from earlier runs say when and by which command under their heading.'
        : ''
    }`,
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}; Node ${m.node}; PostgreSQL ${m.postgres ?? '?'}; Artillery ${m.artillery}.`,
    'The machine is shared and noisy: compare ratios taken in one run, not figures across runs.',
    '',
    '| # | figure | median | range | goal | status |',
    '|---|---|---|---|---|---|',
    ...r.figures.map(
      (f) =>
        `| ${f.id} | ${f.title}: ${f.measure} | ${num(f.median, f.unit)} | ${f.min === null ? '–' : `${num(f.min, f.unit)} – ${num(f.max, f.unit)}`} | ${f.goal?.text ?? '–'} | ${status(f)} |`,
    ),
    '',
    ...sideBySide(r),
  ];
  for (const f of r.figures) {
    const earlier = f.measuredBy !== undefined && f.measuredBy !== r.command ? ` Measured at ${f.measuredAt} by \`${f.measuredBy}\`.` : '';
    lines.push(`## ${f.id}: ${f.title}`, '', `Command: \`${f.command}\` (${f.seconds.toFixed(0)} s here).${earlier}`, '');
    if (f.error) lines.push(`Not measured: ${f.error}`, '');
    if (f.values.length > 0) lines.push(`Values: ${f.values.map((v) => num(v, f.unit)).join(', ')}.`, '');
    const detail = Object.entries(f.detail);
    if (detail.length > 0) lines.push('| detail | value |', '|---|---|', ...detail.map(([k, v]) => `| ${k} | ${v} |`), '');
    for (const n of f.notes) lines.push(`- ${n}`);
    if (f.notes.length > 0) lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The figures of SIDE_BY_SIDE for every pair measured, one column each (each cell its median and range, and when). */
function sideBySide(r: BenchResults): string[] {
  const pairs = Object.keys(r.pairs ?? {}).sort();
  if (pairs.length === 0) return [];
  const cell = (f: PairFigure | undefined, unit: string): string =>
    !f ? 'not measured' : `${num(f.median, unit)} (${num(f.min, unit)} – ${num(f.max, unit)}; ${f.measuredAt.slice(0, 10)})`;
  const rows = SIDE_BY_SIDE.map((id) => {
    const f = r.figures.find((x) => x.id === id);
    return `| ${id} | ${f?.title ?? id} | ${pairs.map((p) => cell(r.pairs![p]![id], f?.unit ?? '')).join(' | ')} |`;
  });
  return [
    '## Node and Artillery, side by side',
    '',
    'Each pair measured on this machine with `npm run bench -- --only B1,B3,B8` under that Node (the Artillery it installs for it).',
    '',
    `| # | figure | ${pairs.join(' | ')} |`,
    `|---|---|${pairs.map(() => '---').join('|')}|`,
    ...rows,
    '',
  ];
}

/** Pure: every pair's figures, the earlier run's kept and this run's added (by the pair they were measured with). */
export function mergePairs(previous: BenchResults['pairs'] | undefined, fresh: readonly BenchFigure[]): NonNullable<BenchResults['pairs']> {
  const out: Record<string, Record<string, PairFigure>> = {};
  for (const [pair, figs] of Object.entries(previous ?? {})) out[pair] = { ...figs };
  for (const f of fresh) {
    if (!f.pair || f.error) continue;
    out[f.pair] = { ...(out[f.pair] ?? {}), [f.id]: { median: f.median, min: f.min, max: f.max, measuredAt: f.measuredAt ?? new Date().toISOString() } };
  }
  return out;
}

/** Pure: the new figures, and the earlier run's others (dated by that run), in the benchmarks' order. */
export function mergeFigures(previous: BenchResults | null, fresh: readonly BenchFigure[], order: readonly string[]): BenchFigure[] {
  const byId = new Map<string, BenchFigure>();
  for (const f of previous?.figures ?? [])
    byId.set(f.id, { ...f, measuredAt: f.measuredAt ?? previous!.endedAt, measuredBy: f.measuredBy ?? previous!.command });
  for (const f of fresh) byId.set(f.id, f);
  return [...byId.values()].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}
