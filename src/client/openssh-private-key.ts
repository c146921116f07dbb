import { decodeBase64, encodeBase64 } from '../protocol/base64url.js';
import { SignetError } from '../protocol/errors.js';

/**
 * The unencrypted "openssh-key-v1" private key format (PROTOCOL.key in OpenSSH), for Ed25519 only:
 * what `ssh-keygen -t ed25519 -N ''` writes. Pure byte work, so it runs in browsers too.
 */

const MAGIC = 'openssh-key-v1\0';
const KEY_TYPE = 'ssh-ed25519';
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';
const BLOCK_SIZE = 8; // the cipher "none" pads to 8 bytes
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface OpenSshEd25519Key {
  /** The 32-byte private seed (RFC 8032's private key). */
  seed: Uint8Array;
  publicKey: Uint8Array;
  comment: string;
}

function invalid(detail: string): SignetError {
  return new SignetError('invalid_request', { detail: `The OpenSSH private key is not usable: ${detail}` });
}

export function isOpenSshPrivateKey(text: string): boolean {
  return text.trim().startsWith(BEGIN);
}

class Writer {
  private readonly parts: Uint8Array[] = [];
  uint32(value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value);
    this.parts.push(bytes);
    return this;
  }
  string(value: Uint8Array | string): this {
    const bytes = typeof value === 'string' ? encoder.encode(value) : value;
    this.uint32(bytes.length);
    this.parts.push(bytes);
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }
  get length(): number {
    return this.parts.reduce((sum, part) => sum + part.length, 0);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  uint32(): number {
    if (this.offset + 4 > this.bytes.length) throw invalid('it ends too early.');
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }
  string(): Uint8Array {
    const length = this.uint32();
    if (this.offset + length > this.bytes.length) throw invalid('a length field runs past the end.');
    const out = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
  text(): string {
    try {
      return decoder.decode(this.string());
    } catch {
      throw invalid('a text field is not UTF-8.');
    }
  }
  rest(): Uint8Array {
    const out = this.bytes.slice(this.offset);
    this.offset = this.bytes.length;
    return out;
  }
  get done(): boolean {
    return this.offset === this.bytes.length;
  }
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i]);

function publicBlob(publicKey: Uint8Array): Uint8Array {
  return new Writer().string(KEY_TYPE).string(publicKey).bytes();
}

/** Parses an unencrypted OpenSSH Ed25519 private key and checks that its parts agree. */
export function decodeOpenSshPrivateKey(text: string): OpenSshEd25519Key {
  const trimmed = text.trim();
  if (!trimmed.startsWith(BEGIN) || !trimmed.endsWith(END)) throw invalid(`expected one "${BEGIN}" block.`);
  const body = decodeBase64(trimmed.slice(BEGIN.length, -END.length).replace(/\s+/g, ''));
  if (body === undefined) throw invalid('its body is not valid base64.');
  const magic = encoder.encode(MAGIC);
  if (!equalBytes(body.slice(0, magic.length), magic)) throw invalid('it does not start with "openssh-key-v1".');
  const reader = new Reader(body.slice(magic.length));
  const cipher = reader.text();
  const kdf = reader.text();
  reader.string(); // kdf options: empty when unencrypted
  if (cipher !== 'none' || kdf !== 'none') {
    throw invalid('it is protected by a passphrase, which Signet does not read. Make an unencrypted copy with: ssh-keygen -p -N "" -f COPY_OF_THE_FILE');
  }
  if (reader.uint32() !== 1) throw invalid('it must hold exactly one key.');
  const outerPublic = reader.string();
  const section = new Reader(reader.string());
  if (!reader.done) throw invalid('it has trailing bytes.');
  if (section.uint32() !== section.uint32()) throw invalid('its check numbers differ (a damaged or wrongly decrypted file).');
  const type = section.text();
  if (type !== KEY_TYPE) throw invalid(`it is a "${type}" key; only ssh-ed25519 keys can sign Signet requests.`);
  const publicKey = section.string();
  const secret = section.string();
  const comment = section.text();
  const padding = section.rest();
  if (publicKey.length !== 32 || secret.length !== 64) throw invalid('its Ed25519 key fields have the wrong length.');
  if (!equalBytes(secret.slice(32), publicKey) || !equalBytes(outerPublic, publicBlob(publicKey))) {
    throw invalid('its public and private parts do not belong together.');
  }
  if (padding.length >= BLOCK_SIZE || !padding.every((byte, i) => byte === i + 1)) throw invalid('its padding is malformed.');
  return { seed: secret.slice(0, 32), publicKey, comment };
}

/**
 * Writes the key as `ssh-keygen -N ''` would. The two check numbers are random, as OpenSSH
 * writes them (they only detect a wrong passphrase).
 */
export function encodeOpenSshPrivateKey(key: OpenSshEd25519Key): string {
  const check = globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;
  const secret = new Uint8Array(64);
  secret.set(key.seed, 0);
  secret.set(key.publicKey, 32);
  const section = new Writer().uint32(check).uint32(check).string(KEY_TYPE).string(key.publicKey).string(secret).string(key.comment);
  const padLength = (BLOCK_SIZE - (section.length % BLOCK_SIZE)) % BLOCK_SIZE;
  section.raw(Uint8Array.from({ length: padLength }, (_, i) => i + 1));
  const body = new Writer().raw(encoder.encode(MAGIC)).string('none').string('none').string(new Uint8Array(0)).uint32(1).string(publicBlob(key.publicKey)).string(section.bytes()).bytes();
  const lines = encodeBase64(body).match(/.{1,70}/g) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}
