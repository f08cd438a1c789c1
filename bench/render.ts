/** benchmarks/results.md, rendered from results.json (pure). */
import type { BenchFigure, BenchResults } from '../formats/bench';

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

/** Pure: the new figures, and the earlier run's others (dated by that run), in the benchmarks' order. */
export function mergeFigures(previous: BenchResults | null, fresh: readonly BenchFigure[], order: readonly string[]): BenchFigure[] {
  const byId = new Map<string, BenchFigure>();
  for (const f of previous?.figures ?? [])
    byId.set(f.id, { ...f, measuredAt: f.measuredAt ?? previous!.endedAt, measuredBy: f.measuredBy ?? previous!.command });
  for (const f of fresh) byId.set(f.id, f);
  return [...byId.values()].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
}
