/**
 * Jepsen-style verdicts: a checker is a pure function from what was observed to
 * `{ valid, errors: { type: { count, first, worst } } }`, and composing checkers keeps the worst.
 */
import type { ErrorSummary, Validity, Verdict } from '../formats/verdict';

export type { ErrorSummary, Validity, Verdict };

/** false beats 'unknown' beats true. */
export function worstValidity(a: Validity, b: Validity): Validity {
  if (a === false || b === false) return false;
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  return true;
}

/** Groups items by type, keeping the first seen and the one with the highest severity. */
export function summarize<T>(items: readonly T[], typeOf: (t: T) => string, severity: (t: T) => number): Record<string, ErrorSummary<T>> {
  const out: Record<string, { count: number; first: T; worst: T }> = {};
  for (const item of items) {
    const type = typeOf(item);
    const s = out[type];
    if (!s) out[type] = { count: 1, first: item, worst: item };
    else {
      s.count++;
      if (severity(item) > severity(s.worst)) s.worst = item;
    }
  }
  return out;
}

export function compose(checker: string, verdicts: readonly Verdict[]): Verdict & { readonly parts: readonly Verdict[] } {
  let valid: Validity = true;
  const errors: Record<string, ErrorSummary> = {};
  for (const v of verdicts) {
    valid = worstValidity(valid, v.valid);
    for (const [type, s] of Object.entries(v.errors)) errors[`${v.checker}.${type}`] = s;
  }
  return { checker, valid, errors, parts: verdicts };
}

/** The pack's exit code for a verdict: 0 valid, 1 invalid, 2 unknown. */
export function exitCodeFor(valid: Validity): 0 | 1 | 2 {
  return valid === true ? 0 : valid === false ? 1 : 2;
}
