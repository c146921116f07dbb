import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { PROOF_HEADER } from '../../src/protocol/format.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint, publicKeyToJwk } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/client/sign.js';
import type { SigningKey } from '../../src/client/signing-key.js';
import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { cliScript, disposeCli } from '../helpers/cli-process.js';

/**
 * Crash safety: `signet serve` runs as a real child process on a temporary SQLite file while
 * workers create consumers, HMAC keys and Ed25519 keys through the admin and self-service API. The
 * process is killed with SIGKILL mid-load; every write that was acknowledged (2xx received) must
 * be in the database afterwards, the database must pass PRAGMA integrity_check, and a restarted
 * server must serve every acknowledged key.
 */

const ORIGIN = 'https://api.crash.test';
const WORKERS = 6;
/** Acknowledged writes before the kill; the workers keep sending, so the kill lands mid-request. */
const ACKS_BEFORE_KILL = 90;
const encoder = new TextEncoder();

interface Server {
  child: ChildProcess;
  baseUrl: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServe(db: string, env: Record<string, string>): Promise<Server> {
  const script = await cliScript();
  const child = spawn(process.execPath, [script, 'serve', '--port', '0', '--db', db], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /signet listening on (http:\/\/\S+)/.exec(stderr);
      if (match !== null) resolve(match[1]!);
    });
    void exited.then(({ code }) => reject(new Error(`signet serve exited (${code}) before listening: ${stderr}`)));
  });
  return { child, baseUrl, exited };
}

interface Acked {
  consumers: string[];
  hmacKeys: Array<{ consumerId: string; kid: string; secret: string }>;
  edKeys: Array<{ kid: string; pair: Ed25519KeyPair }>;
}

describe('a server killed with SIGKILL under write load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-crash-'));
  const db = join(dir, 'signet.sqlite');
  const env = {
    SIGNET_PUBLIC_ORIGIN: ORIGIN,
    SIGNET_MASTER_KEY: randomBytes(32).toString('base64url'),
    SIGNET_LOG_LEVEL: 'silent',
    SIGNET_PORTAL: 'false',
    SIGNET_METRICS: 'false',
  };
  const running: Server[] = [];
  let admin: { kid: string; pair: Ed25519KeyPair; consumerId: string };

  beforeAll(async () => {
    // The first admin is registered in the database directly, as `signet admin init` does.
    const pair = await generateKeyPair();
    const knex = openSqlite(db);
    try {
      await migrateToLatest(knex);
      const created = await new KnexCredentialStore(knex).createConsumerWithKey(
        { id: newConsumerId(), name: 'admin' },
        { id: newKeyId(), consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey), scopes: ['admin', 'keys'] },
        Date.now(),
      );
      admin = { kid: created.key.id, pair, consumerId: created.consumer.id };
    } finally {
      await knex.destroy();
    }
  });

  afterAll(async () => {
    for (const server of running) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await Promise.all(running.map((s) => s.exited));
    disposeCli();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A signed call to a server whose public origin is ORIGIN, sent to its real socket. */
  async function call(server: Server, method: string, path: string, key: SigningKey, kid: string, json?: unknown, proof?: Ed25519KeyPair): Promise<Response> {
    const body = json === undefined ? undefined : encoder.encode(JSON.stringify(json));
    const signed = await signRequest({ method, url: ORIGIN + path, ...(body !== undefined ? { body } : {}), key, kid, now: Date.now() });
    const headers: Record<string, string> = { Authorization: signed.authorization };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (proof !== undefined) {
      const p = await signRequest({
        method,
        url: ORIGIN + path,
        ...(body !== undefined ? { body } : {}),
        key: { type: 'ed25519', privateKey: proof.privateKey },
        kid: await jwkThumbprint(proof.publicKey),
        now: Date.now(),
      });
      headers[PROOF_HEADER] = p.token;
    }
    return fetch(server.baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  }
  const asAdmin = (server: Server, method: string, path: string, json?: unknown, proof?: Ed25519KeyPair) =>
    call(server, method, path, { type: 'ed25519', privateKey: admin.pair.privateKey }, admin.kid, json, proof);

  it('keeps every acknowledged consumer and key, passes the integrity check, and serves them after a restart', async () => {
    const first = await startServe(db, env);
    running.push(first);
    const acked: Acked = { consumers: [], hmacKeys: [], edKeys: [] };
    const total = () => acked.consumers.length + acked.hmacKeys.length + acked.edKeys.length;
    let killed = false;
    let failuresAfterKill = 0;
    let sequence = 0;

    async function worker(): Promise<void> {
      while (!killed) {
        const n = sequence++;
        try {
          if (n % 3 === 0 || acked.consumers.length === 0) {
            const response = await asAdmin(first, 'POST', '/admin/v1/consumers', { name: `crash-${n}`, allowed_modes: ['ed25519', 'hmac'] });
            if (response.status === 201) acked.consumers.push(((await response.json()) as { id: string }).id);
            else expect(response.status, await response.text()).toBe(201);
          } else if (n % 3 === 1) {
            const consumerId = acked.consumers[n % acked.consumers.length]!;
            const response = await asAdmin(first, 'POST', `/admin/v1/consumers/${consumerId}/keys/hmac`, { label: `hmac-${n}` });
            if (response.status === 201) {
              const answer = (await response.json()) as { key: { id: string }; secret: string };
              acked.hmacKeys.push({ consumerId, kid: answer.key.id, secret: answer.secret });
            } else expect(response.status, await response.text()).toBe(201);
          } else {
            const pair = await generateKeyPair();
            const response = await asAdmin(first, 'POST', '/v1/keys', { public_key: publicKeyToJwk(pair.publicKey), label: `ed-${n}` }, pair);
            if (response.status === 201) acked.edKeys.push({ kid: ((await response.json()) as { id: string }).id, pair });
            else expect(response.status, await response.text()).toBe(201);
          }
        } catch (error) {
          // Connection errors are expected once the process is gone; before that they are failures.
          if (!killed) throw error;
          failuresAfterKill++;
        }
        if (!killed && total() >= ACKS_BEFORE_KILL) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, () => worker()));
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(total()).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    // The other workers' requests were in flight when the process died.
    expect(failuresAfterKill).toBeGreaterThan(0);

    // The database as the crash left it (with its WAL): intact, and holding every acknowledged write.
    const knex = openSqlite(db);
    try {
      expect(await knex.raw('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(await knex.raw('PRAGMA foreign_key_check')).toEqual([]);
      const consumerIds = new Set((await knex('consumers').select('id')).map((r: { id: string }) => r.id));
      for (const id of acked.consumers) expect(consumerIds.has(id), `consumer ${id}`).toBe(true);
      const keyRows = new Map((await knex('keys').select('id', 'type', 'consumer_id')).map((r: { id: string; type: string; consumer_id: string }) => [r.id, r]));
      for (const { kid, consumerId } of acked.hmacKeys) expect(keyRows.get(kid), `HMAC key ${kid}`).toMatchObject({ type: 'hmac', consumer_id: consumerId });
      for (const { kid } of acked.edKeys) expect(keyRows.get(kid), `Ed25519 key ${kid}`).toMatchObject({ type: 'ed25519', consumer_id: admin.consumerId });
      const secretIds = new Set((await knex('hmac_secrets').select('key_id')).map((r: { key_id: string }) => r.key_id));
      for (const { kid } of acked.hmacKeys) expect(secretIds.has(kid), `secret of ${kid}`).toBe(true);
      // Each write and its audit entry were one transaction.
      const audited = new Set((await knex('audit_log').select('target_id')).map((r: { target_id: string }) => r.target_id));
      for (const id of [...acked.consumers, ...acked.hmacKeys.map((k) => k.kid), ...acked.edKeys.map((k) => k.kid)]) expect(audited.has(id), `audit of ${id}`).toBe(true);
    } finally {
      await knex.destroy();
    }

    // A restarted server on the same file serves every acknowledged key.
    const second = await startServe(db, env);
    running.push(second);
    for (const id of acked.consumers) expect((await asAdmin(second, 'GET', `/admin/v1/consumers/${id}`)).status, `consumer ${id}`).toBe(200);
    for (const { kid, secret } of acked.hmacKeys) {
      const response = await call(second, 'GET', '/v1/whoami', { type: 'hmac', secret: encoder.encode(secret) }, kid);
      expect(response.status, `HMAC key ${kid}: ${await response.clone().text()}`).toBe(200);
      expect(((await response.json()) as { key_id: string }).key_id).toBe(kid);
    }
    for (const { kid, pair } of acked.edKeys) {
      const response = await call(second, 'GET', '/v1/whoami', { type: 'ed25519', privateKey: pair.privateKey }, kid);
      expect(response.status, `Ed25519 key ${kid}`).toBe(200);
    }
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const after = openSqlite(db);
    try {
      expect(await after.raw('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      await after.destroy();
    }
  }, 120_000);
});
