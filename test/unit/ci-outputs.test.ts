import { renderJunit } from '../../formats/junit';
import { renderStepSummary } from '../../report/step-summary';
import { cloudArgs } from '../../runner/artillery';
import type { CheckRow, RunCriteria } from '../../formats/summary';

const row = (over: Partial<CheckRow>): CheckRow => ({
  scenario: 'scenario1',
  name: 'n',
  limit: '= 50',
  measured: '50',
  pass: true,
  kind: 'correctness',
  overBy: null,
  ...over,
});
const run: RunCriteria = {
  runId: 'r1',
  profile: 'quick',
  decision: 'NO-GO',
  reasons: ['scenario1: exactly 50 failed'],
  warnings: ['scenario1: the load generator was the limit'],
  crashes: [],
  scenarios: [
    {
      id: 'scenario1',
      title: 'High contention',
      rows: [
        row({ name: 'exactly 50 <succeed> & "no more"' }),
        row({ name: 'no overbooking', pass: false, measured: '60' }),
        row({ name: 'reconciliation', pass: false, unknown: true, measured: 'truncated files' }),
      ],
    },
  ],
};

describe('CI outputs', () => {
  it('junit.xml: one test case per criterion; a failure carries its limit and measured value; an unknown one is skipped with why', () => {
    const x = renderJunit(run);
    expect(x).toContain('<testsuite name="scenario1 High contention" tests="3" failures="1" skipped="1" errors="0">');
    expect(x).toContain('<testcase classname="loadtest.scenario1" name="exactly 50 &lt;succeed&gt; &amp; &quot;no more&quot;"></testcase>');
    expect(x).toContain('<failure message="correctness criterion: limit = 50, measured 60" type="correctness">');
    expect(x).toContain('<skipped message="could not be checked: truncated files"/>');
    expect(x).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="load test r1: NO-GO" tests="3">/);
    // A crash is an error of its own.
    expect(renderJunit({ ...run, crashes: ['the API died'] })).toContain('<error message="the API died"/>');
  });

  it('the GitHub job summary: verdict, why, warnings and every criterion', () => {
    const md = renderStepSummary(run);
    expect(md).toMatch(/^## ❌ Load test r1 \(quick\): NO-GO/);
    expect(md).toContain('- scenario1: exactly 50 failed');
    expect(md).toContain('- ⚠️ scenario1: the load generator was the limit');
    expect(md).toContain('| scenario1 | no overbooking | = 50 | 60 | **FAIL** |');
    expect(md).toContain('| scenario1 | reconciliation | = 50 | truncated files | UNKNOWN |');
  });

  it('Artillery Cloud options pass through; the key goes by environment, never as an argument', () => {
    expect(cloudArgs(undefined)).toEqual({ args: [], env: {} });
    expect(cloudArgs({ record: true, tags: 'team:sqa', note: 'nightly', key: 'a1b2' })).toEqual({
      args: ['--record', '--tags', 'team:sqa', '--note', 'nightly'],
      env: { ARTILLERY_CLOUD_API_KEY: 'a1b2' },
    });
  });
});
