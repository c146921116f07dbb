/** A private key in play during a browser test, and the strings and bytes that would betray it. */
export interface SecretKey {
  name: string;
  /** The 32-byte Ed25519 private key (JWK "d"). */
  seed: Buffer;
  /** The PKCS#8 DER of the private key (what a PEM file holds). */
  pkcs8: Buffer;
  /** The public key (JWK "x"), which may be sent: a positive control for the search. */
  x: string;
}

function base64Forms(bytes: Buffer): string[] {
  const b64 = bytes.toString('base64');
  return [b64, b64.replace(/=+$/, ''), bytes.toString('base64url'), encodeURIComponent(b64)];
}

/**
 * Base64 of `bytes` as it would appear inside a longer base64 text, at each of the three byte
 * alignments: the quanta that depend only on `bytes` (the first and last may mix with neighbours).
 */
function embeddedBase64(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const text = Buffer.concat([Buffer.alloc(offset), bytes, Buffer.alloc(2)]).toString('base64');
    const start = Math.ceil(offset / 3) * 4;
    const end = Math.floor((offset + bytes.length) / 3) * 4;
    const middle = text.slice(start, end);
    forms.push(middle, middle.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/** Every encoding of the seed and the PKCS#8 key: base64 (padded or not, url-safe, url-encoded, at any alignment), hex, raw bytes. */
export function secretMarkers(secret: SecretKey): { text: string[]; bytes: Buffer[] } {
  const text = new Set<string>();
  for (const bytes of [secret.seed, secret.pkcs8]) {
    for (const form of [...base64Forms(bytes), ...embeddedBase64(bytes)]) text.add(form);
    text.add(bytes.toString('hex'));
    text.add(bytes.toString('hex').toUpperCase());
  }
  return { text: [...text].filter((marker) => marker.length >= 20), bytes: [secret.seed, secret.pkcs8] };
}
