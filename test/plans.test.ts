import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { applyOverrides, buildPlans, formatWindowLength, parseWindowLength } from '../src/plans.js';

describe('rate-limit plans', () => {
  it('read window lengths in seconds, minutes, hours, days and calendar months, and nothing else', () => {
    expect(parseWindowLength('1s')).toEqual({ kind: 'fixed', seconds: 1 });
    expect(parseWindowLength('15m')).toEqual({ kind: 'fixed', seconds: 900 });
    expect(parseWindowLength('24h')).toEqual({ kind: 'fixed', seconds: 86_400 });
    expect(parseWindowLength('366d')).toEqual({ kind: 'fixed', seconds: 366 * 86_400 });
    expect(parseWindowLength('month')).toEqual({ kind: 'month' });
    for (const bad of ['', '0s', '1', '1.5m', '1w', '367d', ' 1s', '1S', 'months', '01s']) expect(parseWindowLength(bad), bad).toBeUndefined();
  });

  it('write window lengths back in the largest whole unit', () => {
    expect(['1s', '90s', '15m', '2h', '1d', '7d', 'month'].map((t) => formatWindowLength(parseWindowLength(t)!))).toEqual(['1s', '90s', '15m', '2h', '1d', '7d', 'month']);
    expect(formatWindowLength({ kind: 'fixed', seconds: 3600 })).toBe('1h');
  });

  it("include the seeds' examples as built-in plans", () => {
    const plans = buildPlans({});
    expect(plans.internal!.windows).toEqual([]);
    expect(plans.free!.windows).toEqual([{ name: 'per_15min', limit: 180, length: { kind: 'fixed', seconds: 900 } }]);
    expect(plans.standard!.windows.map((w) => [w.name, w.limit])).toEqual([
      ['per_second', 5],
      ['per_day', 5000],
    ]);
    expect(plans.metered!.windows[1]).toEqual({ name: 'per_month', limit: 100_000, length: { kind: 'month' } });
    expect(Object.isFrozen(plans) && Object.isFrozen(plans.standard) && Object.isFrozen(plans.standard!.windows)).toBe(true);
  });

  it('let configured plans add to and replace the built-in ones', () => {
    const plans = buildPlans({ standard: { windows: [{ name: 'per_second', limit: 50, window: '1s' }] }, gold: { description: 'Gold', windows: [] } });
    expect(plans.standard!.windows).toEqual([{ name: 'per_second', limit: 50, length: { kind: 'fixed', seconds: 1 } }]);
    expect(plans.gold).toMatchObject({ name: 'gold', description: 'Gold', windows: [] });
    expect(plans.free).toBeDefined();
  });

  it('refuse repeated window names, unknown fields and negative limits', () => {
    expect(() =>
      buildPlans({
        p: {
          windows: [
            { name: 'a', limit: 1, window: '1s' },
            { name: 'a', limit: 2, window: '1m' },
          ],
        },
      }),
    ).toThrow(/must not repeat/);
    expect(() => buildPlans({ p: { windows: [], burst: 3 } })).toThrow();
    expect(() => buildPlans({ p: { windows: [{ name: 'a', limit: -1, window: '1s' }] } })).toThrow();
    expect(() => buildPlans({ 'bad name': { windows: [] } })).toThrow();
  });

  it('apply overrides: same name replaces, new name adds, null limit removes', () => {
    const plan = buildPlans({}).standard!;
    expect(applyOverrides(plan.windows, null)).toEqual(plan.windows);
    const applied = applyOverrides(plan.windows, [
      { name: 'per_second', limit: 9, window: '1s' },
      { name: 'per_day', limit: null, window: '1d' },
      { name: 'per_month', limit: 1000, window: 'month' },
    ]);
    expect(applied).toEqual([
      { name: 'per_second', limit: 9, length: { kind: 'fixed', seconds: 1 } },
      { name: 'per_month', limit: 1000, length: { kind: 'month' } },
    ]);
  });
});

describe('SIGNET_PLANS and SIGNET_DEFAULT_PLAN', () => {
  const gold = { gold: { windows: [{ name: 'per_minute', limit: 600, window: '1m' }] } };

  it('read plans from JSON text or from a file', () => {
    expect(loadConfig({}, { SIGNET_PLANS: JSON.stringify(gold) }).plans.gold!.windows[0]!.limit).toBe(600);
    const file = join(mkdtempSync(join(tmpdir(), 'signet-plans-')), 'plans.json');
    writeFileSync(file, JSON.stringify(gold));
    const config = loadConfig({}, { SIGNET_PLANS: file, SIGNET_DEFAULT_PLAN: 'gold' });
    expect(config.defaultPlan).toBe('gold');
    expect(Object.keys(config.plans)).toEqual(expect.arrayContaining(['internal', 'free', 'standard', 'metered', 'gold']));
  });

  it('refuse bad plans with a sentence naming the variable', () => {
    expect(() => loadConfig({}, { SIGNET_PLANS: '{"gold": ' })).toThrow(/SIGNET_PLANS: not valid JSON/);
    expect(() => loadConfig({}, { SIGNET_PLANS: '/nonexistent/plans.json' })).toThrow(/SIGNET_PLANS: cannot read/);
    expect(() => loadConfig({}, { SIGNET_PLANS: '{"gold": {"windows": [{"name": "x", "limit": 1, "window": "fortnight"}]}}' })).toThrow(/SIGNET_PLANS: gold.windows.0.window/);
    expect(() => loadConfig({}, { SIGNET_DEFAULT_PLAN: 'platinum' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { SIGNET_DEFAULT_PLAN: 'platinum' })).toThrow(/SIGNET_DEFAULT_PLAN: "platinum" is not a plan/);
  });

  it('default to unlimited consumers, usage and metrics on, and the failure limit at 100 per minute', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({
      defaultPlan: 'internal',
      usageEnabled: true,
      metricsEnabled: true,
      authFailureLimit: 100,
      authFailureWindowSeconds: 60,
      trustProxy: false,
      metricsToken: undefined,
    });
    expect(config.usageRetentionDays).toEqual({ minute: 2, hour: 35, day: 400 });
  });

  it('refuse a metrics token shorter than 16 characters', () => {
    expect(() => loadConfig({}, { SIGNET_METRICS_TOKEN: 'short' })).toThrow(/SIGNET_METRICS_TOKEN/);
  });
});
