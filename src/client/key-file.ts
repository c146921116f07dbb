import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { SignetError } from '../protocol/errors.js';
import { exportPrivateKey, exportPublicKey, importPrivateKey, type Ed25519KeyPair, type KeyFormat } from './keys.js';

/**
 * Node-only: key files on disk. Private key files are created with mode 0600, and, as ssh does,
 * loading one that group or others can read is refused unless the caller opts out.
 */
export async function saveKeyPair(
  pair: Ed25519KeyPair,
  path: string,
  options: { format?: 'jwk' | 'pem'; publicFormat?: KeyFormat; overwrite?: boolean } = {},
): Promise<{ privatePath: string; publicPath: string; publicKey: string }> {
  const privateText = await exportPrivateKey(pair, options.format ?? 'pem');
  const publicKey = exportPublicKey(pair.publicKey, options.publicFormat ?? options.format ?? 'pem');
  const flag = options.overwrite === true ? 'w' : 'wx';
  try {
    await writeFile(path, privateText, { mode: 0o600, flag });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SignetError('conflict', { detail: `${path} already exists; refusing to overwrite a key file.` });
    }
    throw error;
  }
  // writeFile's mode is masked by the umask and ignored for existing files: set it explicitly.
  await chmod(path, 0o600);
  const publicPath = `${path}.pub`;
  await writeFile(publicPath, publicKey, { mode: 0o644, flag });
  return { privatePath: path, publicPath, publicKey };
}

export async function loadPrivateKeyFile(path: string, options: { allowInsecurePermissions?: boolean } = {}): Promise<Ed25519KeyPair> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new SignetError('invalid_request', { detail: `Cannot read the key file ${path}.` });
  }
  if (options.allowInsecurePermissions !== true && process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new SignetError('invalid_request', {
      detail: `Permissions ${mode} for ${path} are too open: a private key must not be readable by others. Run: chmod 600 ${path}`,
    });
  }
  return importPrivateKey(await readFile(path, 'utf8'));
}
