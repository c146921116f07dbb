import { generateKeyPair } from '../../client/keys.js';
import { saveKeyPair } from '../../client/key-file.js';
import { EXIT, UsageError, type Command } from '../command.js';

export const keygenCommand: Command = {
  path: ['keygen'],
  summary: 'Generate an Ed25519 key pair locally',
  usage: `signet keygen [--out FILE] [--format pem|jwk] [--force] [--json]

Generates an Ed25519 key pair on this machine. The private key goes to FILE (mode 0600), the
public key to FILE.pub and to standard output. Upload only the public key.

  --out FILE     private key file (default ./signet-key.pem, or ./signet-key.jwk with --format jwk)
  --format F     pem (PKCS#8 / SPKI, default) or jwk
  --force        overwrite existing files
  --json         print {private_key_file, public_key_file, public_key} as JSON`,
  options: { out: { type: 'string' }, format: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, io }) {
    const format = (values.format as string | undefined) ?? 'pem';
    if (format !== 'pem' && format !== 'jwk') throw new UsageError(`--format must be pem or jwk, not "${format}".`);
    const out = (values.out as string | undefined) ?? `signet-key.${format}`;
    const pair = await generateKeyPair();
    const saved = await saveKeyPair(pair, out, { format, overwrite: values.force === true });
    if (values.json === true) {
      io.stdout.write(JSON.stringify({ private_key_file: saved.privatePath, public_key_file: saved.publicPath, public_key: saved.publicKey.trim() }) + '\n');
    } else {
      io.stderr.write(`private key written to ${saved.privatePath} (mode 0600): keep it secret\npublic key written to ${saved.publicPath}:\n`);
      io.stdout.write(saved.publicKey);
    }
    return EXIT.ok;
  },
};
