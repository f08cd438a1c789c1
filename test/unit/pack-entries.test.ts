import { parsePreflight } from '../../runner/preflight';
import { parsePostChecks } from '../../runner/post-checks';
import { parseSeriesCriteria } from '../../runner/series-criteria';

describe('config.pack lists', () => {
  it('read entries and bare names, and report every problem with where it is, all at once', () => {
    const problems: string[] = [];
    expect(parsePreflight(['mix-lasts-the-run', { check: 'spread-journeys-fit', minAuthorizations: 10 }], 'p', problems)).toEqual([
      { check: 'mix-lasts-the-run', params: {} },
      { check: 'spread-journeys-fit', params: { minAuthorizations: 10 } },
    ]);
    expect(parsePreflight(undefined, 'p', problems)).toEqual([]);
    expect(problems).toEqual([]);

    expect(parsePreflight('mix-lasts-the-run', 'p', problems)).toEqual([]);
    expect(parsePostChecks([42, { check: 'targets-exactly-full', tier: 'nope', kind: 'correctness' }], 'q', problems)).toEqual([]);
    expect(parseSeriesCriteria([{ measure: 'conflict-rate-per-third', kind: 'whatever', min: 1 }], 's', problems)).toEqual([]);
    expect(problems).toEqual([
      'p must be a list',
      'q[0] must be a mapping',
      'q[1]: tier must be one of contention, standard, bulk, waitlisted, shared, ladder',
      's[0].kind must be correctness or performance',
    ]);
  });
});
