import { exportPrivateKey, generateKeyPair, importPrivateKey, type Ed25519KeyPair } from '../client/keys.js';

/** A key pair made in this browser: the one download of the private key, and a copy that can only sign. */
export interface NewKey {
  /** PKCS#8 PEM of the private key (what `openssl genpkey -algorithm ed25519` writes; the CLI loads it). */
  pem: string;
  /** The same key, re-imported non-extractable: signs the upload proof and may go to IndexedDB. */
  signing: Ed25519KeyPair;
}

/**
 * WebCrypto cannot export a non-extractable key, and a key generated twice would be two keys, so
 * the pair is generated extractable once, exported to PEM for the download, and imported again
 * with extractable=false. The extractable CryptoKey is dropped when this function returns; the PEM
 * text lives only until the download panel is closed.
 */
export async function newKeyPair(): Promise<NewKey> {
  const generated = await generateKeyPair({ extractable: true });
  const pem = await exportPrivateKey(generated, 'pem');
  const signing = await importPrivateKey(pem, { extractable: false });
  if (!signing.publicKey.every((byte, i) => byte === generated.publicKey[i])) throw new Error('The re-imported key does not match the generated one.');
  return { pem, signing };
}

/** Loads a private key file (PEM, JWK or OpenSSH) as a key that can sign and never be exported. */
export async function loadKeyFile(text: string): Promise<Ed25519KeyPair> {
  return importPrivateKey(text, { extractable: false });
}

/** The key id in a file name such as signet-key_7Qx3….pem, to prefill the key-id field. */
export function kidFromFileName(name: string): string | undefined {
  return /(key_[A-Za-z0-9]{16,40})/.exec(name)?.[1];
}

export function keyFileName(kid: string): string {
  return `signet-${kid}.pem`;
}

/**
 * The key id for a key file, read from the CLI's config file (what `signet admin init` and
 * `signet login` write: `{profiles: {NAME: {server, kid, key_file}}}`): the profile whose key file
 * has the chosen file's name, else the only profile there is. Undefined when neither fits.
 */
export function kidFromCliConfig(configText: string, keyFileName: string | undefined): string | undefined {
  let profiles: Array<{ kid?: unknown; key_file?: unknown }>;
  try {
    profiles = Object.values((JSON.parse(configText) as { profiles?: Record<string, { kid?: unknown; key_file?: unknown }> }).profiles ?? {});
  } catch {
    return undefined;
  }
  const withKid = profiles.filter((p) => typeof p.kid === 'string' && /^key_[A-Za-z0-9]+$/.test(p.kid));
  const byFile = keyFileName === undefined ? [] : withKid.filter((p) => typeof p.key_file === 'string' && p.key_file.split(/[\\/]/).pop() === keyFileName);
  const found = byFile.length === 1 ? byFile[0] : withKid.length === 1 ? withKid[0] : undefined;
  return found?.kid as string | undefined;
}
