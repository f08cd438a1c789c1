/** Synthetic Artillery reports: 10-s periods with request and 409 counts. */
export const T0 = 1_700_000_000_000;

export const period = (i: number, requests: number, conflicts: number) => ({
  period: T0 + i * 10_000,
  counters: { 'http.requests': requests, 'isolation.requests': requests, 'isolation.conflicts': conflicts },
  rates: {},
  summaries: {},
});

export const reportOf = (ps: ReturnType<typeof period>[]) => ({ aggregate: { ...period(0, 0, 0), firstMetricAt: T0 }, intermediate: ps });
