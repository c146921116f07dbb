import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadClientEnv } from '../../config.js';
import { generateKeyPair, jwkThumbprint, type KeyFormat } from '../../client/keys.js';
import { saveKeyPair } from '../../client/key-file.js';
import { EXIT, UsageError, type Command } from '../command.js';

const FORMATS: readonly KeyFormat[] = ['pem', 'jwk', 'openssh'];

export const keygenCommand: Command = {
  path: ['keygen'],
  summary: 'Generate an Ed25519 key pair locally',
  usage: `signet keygen [--out FILE] [--format pem|jwk|openssh] [--comment TEXT] [--force] [--json]

Generates an Ed25519 key pair on this machine. The private key goes to FILE (mode 0600), the
public key to FILE.pub and to standard output. Upload only the public key; the private key
never leaves this machine.

  --out FILE       private key file (default ~/.config/signet/keys/signet-key.pem, .jwk or
                   .openssh by format: keys/ beside the profile file SIGNET_CONFIG)
  --format F       pem (PKCS#8 private, SPKI public; default), jwk, or openssh (the
                   "openssh-key-v1" private key ssh-keygen writes, and an ssh-ed25519 line)
  --comment TEXT   comment in OpenSSH keys (default empty)
  --force          overwrite existing files
  --json           print {"private_key_file", "public_key_file", "public_key", "thumbprint"} as JSON`,
  options: {
    out: { type: 'string' },
    format: { type: 'string' },
    comment: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
    const format = ((values.format as string | undefined) ?? 'pem') as KeyFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be pem, jwk or openssh, not "${format}".`);
    // By default in the user's own folder, never the current one: a key written into a repository is one commit away from leaking.
    const out = (values.out as string | undefined) ?? join(dirname(loadClientEnv().configFile), 'keys', `signet-key.${format}`);
    await mkdir(dirname(out), { recursive: true, mode: 0o700 });
    const pair = await generateKeyPair();
    const saved = await saveKeyPair(pair, out, { format, comment: (values.comment as string | undefined) ?? '', overwrite: values.force === true });
    const thumbprint = await jwkThumbprint(pair.publicKey);
    if (values.json === true) {
      io.stdout.write(JSON.stringify({ private_key_file: saved.privatePath, public_key_file: saved.publicPath, public_key: saved.publicKey.trim(), thumbprint }) + '\n');
    } else {
      io.stderr.write(`private key written to ${saved.privatePath} (mode 0600): keep it secret\npublic key written to ${saved.publicPath} (thumbprint ${thumbprint}):\n`);
      io.stdout.write(saved.publicKey);
    }
    return EXIT.ok;
  },
};
