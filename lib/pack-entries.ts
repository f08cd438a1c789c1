/**
 * The walk every list of a scenario's `config.pack` block shares (preflight, postChecks, series):
 * absent is empty, anything else must be a list of mappings (or of bare names, where `bare` says
 * which key a name stands for). Each registry says only how to read one entry; every problem is
 * pushed with where it is, so all of them are reported at once.
 */
export function parseEntries<T>(
  raw: unknown,
  where: string,
  problems: string[],
  one: (entry: Record<string, unknown>, at: string, index: number, refuse: (...messages: string[]) => null) => T | null,
  bare?: string,
): T[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push(`${where} must be a list`);
    return [];
  }
  const refuse = (...messages: string[]): null => {
    problems.push(...messages);
    return null;
  };
  const out: T[] = [];
  raw.forEach((e: unknown, i) => {
    const at = `${where}[${i}]`;
    const entry = bare !== undefined && typeof e === 'string' ? { [bare]: e } : e;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      refuse(`${at} must be a mapping`);
      return;
    }
    const parsed = one(entry as Record<string, unknown>, at, i, refuse);
    if (parsed !== null) out.push(parsed);
  });
  return out;
}
