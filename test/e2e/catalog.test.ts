/**
 * Adding a scenario takes only a YAML file: a throwaway scenario written into a temporary
 * SCENARIOS_DIR is discovered, run by `load-test:all` through the real Artillery CLI and judged by
 * the criteria its YAML declares, with the kinds it gives them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runEnv, tempDir } from '../support/db';
import { ROOT, runCli } from '../support/cli';

jest.setTimeout(180_000);

const THROWAWAY = `# Throwaway: 20 practitioners each reserve 1 unit on a spread authorization, then release it.
config:
  pack:
    id: throwaway
    title: Throwaway journeys
    seedProfile: throughput
    preflight:
      - { check: spread-journeys-fit, minAuthorizations: 50, minOrganizations: 3 }
    series:
      - { id: some-rate, name: "some requests per second after the first phase", kind: performance, measure: request-rate-after-first-phase, min: 0.1 }
  target: "http://127.0.0.1:3300"
  processor: ${JSON.stringify(path.join(ROOT, 'processors', 'index.ts'))}
  variables:
    loops: 1
    thinkTime: "100ms"
  phases:
    - { duration: 2, arrivalCount: 10, maxVusers: 20 }
    - { duration: 2, arrivalCount: 10, maxVusers: 20 }
  environments:
    quick: {}
  ensure:
    thresholds:
      - http.response_time.p95: 5000
  plugins:
    ensure: {}
    isolation:
      expect:
        - { id: all-reserved, name: "every reserve succeeds (20)", kind: correctness, metric: isolation.reserve.ok, equals: 20 }
        - { id: impossible, name: "a deliberately impossible guard: at most 10 reserves", kind: correctness, metric: isolation.reserve.ok, max: 10 }
scenarios:
  - name: "reserve then release one unit"
    flow:
      - function: pickThroughputTarget
      # A unit request the contract renders (the API's path, body, token and key) ...
      - post:
          url: "/"
          isolation: { op: reserve, units: 1 }
      - think: "{{ thinkTime }}"
      # ... and one written by hand, which the plugin recognizes by the contract's path.
      - post:
          url: "/api/authorizations/{{ resource }}/release"
          headers: { Authorization: "Bearer {{ token }}", Idempotency-Key: "rel-{{ $uuid }}" }
          json: { units: 1 }
`;

describe('a scenario added by writing only a YAML file', () => {
  it('is discovered, run by load-test:all (twice: --repeat 2) and judged by its own criteria and kinds', async () => {
    const dir = tempDir('throwaway-scenarios');
    fs.writeFileSync(path.join(dir, 'throwaway.yml'), THROWAWAY);
    const stepSummary = path.join(dir, 'step-summary.md');
    const env = runEnv('e2e_throwaway', 3405, {
      SCENARIOS_DIR: dir,
      LOADTEST_WARMUP: '0',
      GITHUB_STEP_SUMMARY: stepSummary,
      LOADTEST_PROFILE_GENERATOR: 'true',
    });

    const help = await runCli('run', ['--help'], env);
    expect(help.stdout).toMatch(/<throwaway\|all>/);

    const r = await runCli('run', ['all', '--profile', 'quick', '--repeat', '2'], env, { timeoutMs: 170_000 });
    const [runName] = fs.readdirSync(env.REPORTS_DIR).filter((d) => d !== 'latest');
    const summary = JSON.parse(fs.readFileSync(path.join(env.REPORTS_DIR, runName!, 'summary.json'), 'utf8'));
    expect(summary.scenarios.map((s: { id: string }) => s.id)).toEqual(['throwaway']);
    const rows = summary.scenarios[0].rows as { name: string; pass: boolean; kind: string }[];
    const row = (prefix: string) => rows.find((x) => x.name.startsWith(prefix));
    expect(row('every reserve succeeds')).toMatchObject({ pass: true, kind: 'correctness' });
    expect(row('some requests per second')).toMatchObject({ pass: true, kind: 'performance' });
    // The guard's limit is 10 and 20 succeeded: because the YAML says it is correctness, the run is
    // NO-GO whatever the margin (a performance criterion missed by this much would be too, but
    // by the margin rule; unit tests pin the difference).
    expect(row('a deliberately impossible guard')).toMatchObject({ pass: false, kind: 'correctness' });
    expect(row('integrity check')).toMatchObject({ pass: true });
    // --repeat 2: each run has its own files; latency is judged on the median, correctness in every run.
    expect(summary.scenarios[0].repeats).toMatchObject({ runs: 2, shown: 1 });
    for (const f of summary.scenarios[0].repeats.reportFiles) expect(fs.existsSync(path.join(env.REPORTS_DIR, runName!, path.basename(f)))).toBe(true);
    expect(row('http.response_time.p95')).toMatchObject({ pass: true, kind: 'performance', measured: expect.stringMatching(/^median .* over 2 runs\)$/) });
    expect(row('every reserve succeeds')!).toMatchObject({ measured: '20 (all 2 runs)' });
    expect(row('some requests per second')).toMatchObject({ measured: expect.stringMatching(/^2 of 2 runs passed/) });
    expect(r.stdout).toContain('run 2 of 2');
    expect(r.stdout).toMatch(/throwaway +a deliberately impossible guard: at most 10 reserves +≤ 10 +20 \(all 2 runs\) +FAIL/);
    expect(r.stdout).toContain('VERDICT: NO-GO');
    expect(r.code).toBe(1);

    // CI outputs: junit.xml after every run, and the job summary when GITHUB_STEP_SUMMARY is set.
    const junit = fs.readFileSync(path.join(env.REPORTS_DIR, runName!, 'junit.xml'), 'utf8');
    expect(junit).toContain(`tests="${rows.length}" failures="1"`);
    expect(junit).toMatch(/<failure message="correctness criterion: limit ≤ 10, measured 20 \(all 2 runs\)"/);
    expect(fs.readFileSync(stepSummary, 'utf8')).toMatch(/^## ❌ Load test .*: NO-GO/);

    // LOADTEST_PROFILE_GENERATOR: a V8 CPU profile of each Artillery thread (the main one and its
    // worker) beside each run's report, readable as JSON by DevTools.
    const profiles = fs.readdirSync(path.join(env.REPORTS_DIR, runName!)).filter((f) => f.endsWith('.generator-cpu'));
    expect(profiles.length).toBe(2);
    for (const p of profiles) {
      const files = fs.readdirSync(path.join(env.REPORTS_DIR, runName!, p)).filter((f) => f.endsWith('.cpuprofile'));
      expect(files.length).toBeGreaterThanOrEqual(2);
      const prof = JSON.parse(fs.readFileSync(path.join(env.REPORTS_DIR, runName!, p, files[0]!), 'utf8')) as { nodes: unknown[]; samples: unknown[] };
      expect(prof.nodes.length).toBeGreaterThan(0);
      expect(prof.samples.length).toBeGreaterThan(0);
    }
  });

  it('a broken pack block is refused before anything starts (exit 254), naming the file and the field', async () => {
    const dir = tempDir('broken-scenarios');
    fs.writeFileSync(path.join(dir, 'broken.yml'), THROWAWAY.replace('measure: request-rate-after-first-phase', 'measure: vibes'));
    const env = runEnv('e2e_broken_scenario', 3406, { SCENARIOS_DIR: dir });
    const r = await runCli('run', ['all', '--profile', 'quick'], env, { timeoutMs: 60_000 });
    expect(r.code).toBe(254);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /broken\.yml \(profile quick\): config\.pack\.series\[0\]\.measure must be one of request-rate-after-first-phase, conflict-rate-per-third/,
    );
    expect(fs.existsSync(env.REPORTS_DIR)).toBe(false);
  });
});
