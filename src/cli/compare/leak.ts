import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '../../client/keys.js';
import { signRequest } from '../../client/sign.js';
import type { SigningKey } from '../../client/signing-key.js';
import { parseKeyring } from '../../keyring-text.js';
import { MasterKeyring } from '../../server/secrets/master-keyring.js';
import { openSecret } from '../../server/secrets/secret-box.js';
import { openSqlite } from '../../store/factory.js';
import { COMPARE_ORIGIN, type CompareEnvironment } from './environment.js';

interface ForgeryAttempt {
  /** What the attacker tried. */
  attempt: string;
  /** The real HTTP answer of the running server; 0 when no request could be made. */
  status: number;
  code: string | null;
}

export interface LeakOutcome {
  /** True when some attempt got a 2xx: the attacker can call the API as the victim. */
  forged: boolean;
  attempts: ForgeryAttempt[];
}

export interface LeakReport {
  ed25519: { database: LeakOutcome; database_and_master_key: LeakOutcome };
  hmac: { database: LeakOutcome; database_and_master_key: LeakOutcome };
}

const PATH = '/v1/whoami';

async function send(env: Pick<CompareEnvironment, 'url'>, attempt: string, kid: string, key: SigningKey): Promise<ForgeryAttempt> {
  const signed = await signRequest({ method: 'GET', url: COMPARE_ORIGIN + PATH, key, kid });
  const response = await fetch(env.url + PATH, { headers: { Authorization: signed.authorization } });
  const text = await response.text();
  let code: string | null = null;
  try {
    code = (JSON.parse(text) as { code?: string }).code ?? null;
  } catch {
    // a 2xx body need not be a problem
  }
  return { attempt, status: response.status, code };
}

const outcome = (attempts: ForgeryAttempt[]): LeakOutcome => ({ forged: attempts.some((a) => a.status >= 200 && a.status < 300), attempts });
const hmacKey = (bytes: Uint8Array): SigningKey => ({ type: 'hmac', secret: bytes.length >= 32 ? bytes : new Uint8Array([...bytes, ...new Uint8Array(32 - bytes.length)]) });

/**
 * A simulated leak against the running server: the attacker holds a copy of the database file
 * (VACUUM INTO, a consistent snapshot) and then also the master key file, reads the victims' rows
 * from the copy, and tries to forge a request for each mode. Every outcome is a real HTTP answer.
 */
export async function simulateLeak(env: CompareEnvironment): Promise<LeakReport> {
  const copy = join(env.dir, 'stolen-copy.sqlite');
  await env.server.signet.server.stores.snapshotTo(copy);
  const stolen = openSqlite(copy);
  try {
    const edRow = await stolen('keys').where({ id: env.ed25519.kid }).first();
    const hmacRow = await stolen('keys').where({ id: env.hmac.kid }).first();
    const sealedRow = await stolen('hmac_secrets').where({ key_id: env.hmac.kid }).first();
    const publicKey = new Uint8Array(Buffer.from(String(edRow.public_key), 'base64url'));
    const ciphertext = new Uint8Array(Buffer.from(String(sealedRow.ciphertext), 'base64url'));
    const attacker = await generateKeyPair();

    const edDatabase = [
      await send(env, 'sign EdDSA with a fresh key pair under the stolen kid', env.ed25519.kid, { type: 'ed25519', privateKey: attacker.privateKey }),
      await send(env, 'sign HS256 keyed with the stored public key (algorithm confusion)', env.ed25519.kid, hmacKey(publicKey)),
    ];
    const hmacDatabase = [
      await send(env, 'sign HS256 keyed with the stored ciphertext', env.hmac.kid, hmacKey(ciphertext)),
      await send(env, 'sign EdDSA with a fresh key pair under the stolen kid', env.hmac.kid, { type: 'ed25519', privateKey: attacker.privateKey }),
    ];

    // Now the master key file leaks too.
    const keyring = new MasterKeyring(parseKeyring(readFileSync(env.masterKeyFile, 'utf8'), 'stolen master key file'));
    const masterKey = keyring.current().key;
    const edWithMaster = [...edDatabase, await send(env, 'sign HS256 keyed with the master key (it decrypts no Ed25519 row: there is none)', env.ed25519.kid, hmacKey(masterKey))];
    const hmacWithMaster: ForgeryAttempt[] = [];
    try {
      const secret = openSecret(
        keyring,
        { consumerId: String(hmacRow.consumer_id), keyId: env.hmac.kid },
        { masterKeyVersion: Number(sealedRow.master_key_version), recordVersion: Number(sealedRow.record_version), iv: new Uint8Array(Buffer.from(String(sealedRow.iv), 'base64url')), ciphertext },
      );
      hmacWithMaster.push(await send(env, 'decrypt the stored secret with the master key, sign HS256 with it', env.hmac.kid, { type: 'hmac', secret }));
    } catch {
      hmacWithMaster.push({ attempt: 'decrypt the stored secret with the master key', status: 0, code: 'decryption failed' });
    }
    return {
      ed25519: { database: outcome(edDatabase), database_and_master_key: outcome(edWithMaster) },
      hmac: { database: outcome(hmacDatabase), database_and_master_key: outcome(hmacWithMaster) },
    };
  } finally {
    await stolen.destroy();
  }
}
