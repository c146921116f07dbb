import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type Ed25519KeyPair } from '../../client/keys.js';
import { loadConfig } from '../../config.js';
import { newConsumerId, newKeyId } from '../../protocol/ids.js';
import { jwkThumbprint } from '../../protocol/public-key.js';
import { startServer, type RunningServer } from '../../server/start.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../store/types.js';

/** The origin the throwaway server believes it serves; requests really go to its loopback socket. */
export const COMPARE_ORIGIN = 'https://compare.signet.invalid';

export interface CompareEnvironment {
  dir: string;
  dbPath: string;
  masterKeyFile: string;
  server: RunningServer;
  /** Where the server listens (http://127.0.0.1:PORT). */
  url: string;
  ed25519: { consumerId: string; kid: string; pair: Ed25519KeyPair };
  hmac: { consumerId: string; kid: string; secret: string };
  close(): Promise<void>;
}

/**
 * A temporary Signet server in this process, on a throwaway SQLite file and master key file in a
 * fresh temporary directory, with one consumer per mode. Nothing from the caller's environment
 * (SIGNET_*) is read, so the comparison is the same on every machine.
 */
export async function startCompareEnvironment(): Promise<CompareEnvironment> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-compare-'));
  const dbPath = join(dir, 'signet.sqlite');
  const masterKeyFile = join(dir, 'master.key');
  const config = loadConfig({ db: dbPath, masterKeyFile, port: 0, host: '127.0.0.1', publicOrigin: COMPARE_ORIGIN, logLevel: 'silent', authFailureLimit: 0 }, {});
  let server: RunningServer | undefined;
  try {
    server = await startServer(config);
    const { credentials } = server.signet.server;
    const pair = await generateKeyPair();
    const edKid = newKeyId();
    const ed = await credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'compare-ed25519' },
      { id: edKid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
      LOCAL_OPERATOR_CONTEXT,
    );
    const hmacConsumer = await credentials.createConsumer({ id: newConsumerId(), name: 'compare-hmac', allowedModes: ['hmac'] }, LOCAL_OPERATOR_CONTEXT);
    const issued = await credentials.issueHmacKey(hmacConsumer, { label: '', scopes: [], notBefore: null, expiresAt: null }, LOCAL_OPERATOR_CONTEXT);
    const running = server;
    return {
      dir,
      dbPath,
      masterKeyFile,
      server: running,
      url: running.url,
      ed25519: { consumerId: ed.consumer.id, kid: edKid, pair },
      hmac: { consumerId: hmacConsumer.id, kid: issued.key.id, secret: issued.secret },
      close: async () => {
        await running.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
