import { cpus } from 'node:os';
import type { SigningKey } from '../../client/signing-key.js';
import { parseHmacSecret } from '../../protocol/hmac-secret.js';
import { measureMode, warmUp, type BenchSettings, type ModePerformance } from './bench.js';
import { startCompareEnvironment } from './environment.js';
import { simulateLeak, type LeakOutcome } from './leak.js';
import { describeStorage, type StorageView } from './storage.js';

export type Mode = 'ed25519' | 'hmac';
const MODES: readonly Mode[] = ['ed25519', 'hmac'];

interface ModeReport {
  storage: StorageView;
  leak: { database: LeakOutcome; database_and_master_key: LeakOutcome };
  performance: ModePerformance;
}

/** Everything `signet compare --json` prints. */
export interface CompareReport {
  signet_compare: 1;
  environment: {
    node: string;
    platform: string;
    cpus: number;
    cpu_model: string;
    started_at: string;
    duration_ms: number;
    settings: BenchSettings;
  };
  modes: Record<Mode, ModeReport>;
}

export const DEFAULT_SETTINGS: BenchSettings = { ops: 2000, requests: 3000, concurrency: 16, durationMs: 3000 };

/** Runs both modes end to end against a throwaway server and returns the whole comparison. */
export async function runCompare(settings: BenchSettings = DEFAULT_SETTINGS, progress: (step: string) => void = () => undefined): Promise<CompareReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  progress('starting a throwaway server on a temporary SQLite database');
  const env = await startCompareEnvironment();
  try {
    const keys: Record<Mode, [SigningKey, string]> = {
      ed25519: [{ type: 'ed25519', privateKey: env.ed25519.pair.privateKey }, env.ed25519.kid],
      hmac: [{ type: 'hmac', secret: parseHmacSecret(env.hmac.secret) }, env.hmac.kid],
    };
    progress('reading what the database stores');
    const storage = await describeStorage(env);
    progress('simulating a database leak, then a database and master key leak');
    const leak = await simulateLeak(env);
    progress('warming up');
    await warmUp(
      env,
      MODES.map((mode) => keys[mode]),
    );
    const performance_: Partial<Record<Mode, ModePerformance>> = {};
    for (const mode of MODES) {
      progress(`measuring ${mode}`);
      performance_[mode] = await measureMode(env, ...keys[mode], settings);
    }
    const modes = Object.fromEntries(MODES.map((mode) => [mode, { storage: storage[mode], leak: leak[mode], performance: performance_[mode]! }])) as Record<Mode, ModeReport>;
    return {
      signet_compare: 1,
      environment: {
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
        started_at: startedAt.toISOString(),
        duration_ms: Math.round(performance.now() - t0),
        settings,
      },
      modes,
    };
  } finally {
    await env.close();
  }
}
