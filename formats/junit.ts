/**
 * junit.xml: the run's criteria as JUnit test cases, for CI systems that read JUnit (GitLab,
 * Jenkins, GitHub test reporters). One test suite per scenario, one test case per criterion; a
 * failed criterion is a <failure> with its limit and measured value, one that could not be
 * checked is <skipped> with why (never a silent pass). Pure: text from a run summary.
 */
import { RunCriteria, rowState } from './summary';

/** XML 1.0 allows no control characters but tab, newline and carriage return. */
const allowed = (c: string): boolean => c.charCodeAt(0) >= 0x20 || c === '\t' || c === '\n' || c === '\r';
const xml = (s: string): string =>
  [...s]
    .filter(allowed)
    .join('')
    .replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

export function renderJunit(s: RunCriteria): string {
  const suites = s.scenarios.map((sc) => {
    const failures = sc.rows.filter((r) => rowState(r) === 'FAIL').length;
    const skipped = sc.rows.filter((r) => rowState(r) === 'UNKNOWN' || rowState(r) === 'NOT CHECKED').length;
    const cases = sc.rows.map((r) => {
      const open = `    <testcase classname="${xml(`loadtest.${sc.id}`)}" name="${xml(r.name)}">`;
      const state = rowState(r);
      if (state === 'PASS') return `${open}</testcase>`;
      const what = `${r.kind} criterion: limit ${r.limit}, measured ${r.measured}`;
      if (state === 'NOT CHECKED') return `${open}\n      <skipped message="${xml(`not checked: ${r.notChecked}`)}"/>\n    </testcase>`;
      return state === 'UNKNOWN'
        ? `${open}\n      <skipped message="${xml(`could not be checked: ${r.measured}`)}"/>\n    </testcase>`
        : `${open}\n      <failure message="${xml(what)}" type="${xml(r.kind)}">${xml(what)}</failure>\n    </testcase>`;
    });
    return [
      `  <testsuite name="${xml(`${sc.id} ${sc.title}`)}" tests="${sc.rows.length}" failures="${failures}" skipped="${skipped}" errors="0">`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  if (s.crashes.length > 0) {
    suites.push(
      [
        `  <testsuite name="run" tests="1" failures="0" skipped="0" errors="1">`,
        `    <testcase classname="loadtest.run" name="nothing crashed">`,
        `      <error message="${xml(s.crashes.join('; '))}"/>`,
        '    </testcase>',
        '  </testsuite>',
      ].join('\n'),
    );
  }
  const tests = s.scenarios.reduce((n, sc) => n + sc.rows.length, 0) + (s.crashes.length > 0 ? 1 : 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(`load test ${s.runId}: ${s.decision}`)}" tests="${tests}">\n${suites.join('\n')}\n</testsuites>\n`;
}
