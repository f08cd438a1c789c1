/**
 * The shape of a Jepsen-style verdict, as the pack writes it into summary.json and prints it:
 * `{ valid, errors: { type: { count, first, worst } } }`. The checkers live in verify/.
 */
export type Validity = true | false | 'unknown';

export interface ErrorSummary<T = unknown> {
  readonly count: number;
  readonly first: T;
  readonly worst: T;
}

export interface Verdict<T = unknown> {
  readonly checker: string;
  readonly valid: Validity;
  readonly errors: Readonly<Record<string, ErrorSummary<T>>>;
  /** Counts that are not errors (for example "recovered"), for the report. */
  readonly counts?: Readonly<Record<string, number>>;
  readonly note?: string;
}
