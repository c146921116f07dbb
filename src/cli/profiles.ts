import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ClientEnv } from '../config.js';
import { UsageError } from './command.js';

/**
 * CLI profiles, like the AWS CLI's: a JSON file of named profiles, each naming a server, a key id
 * and a private key file. The file holds no secret itself, only the path of the key file.
 */
export const ProfileSchema = z.object({
  server: z.string().url(),
  kid: z.string().min(1),
  key_file: z.string().min(1),
});
export type Profile = z.infer<typeof ProfileSchema>;

const ProfileFileSchema = z.object({
  default_profile: z.string().optional(),
  profiles: z.record(z.string(), ProfileSchema).default({}),
});
export type ProfileFile = z.infer<typeof ProfileFileSchema>;

export async function readProfileFile(path: string): Promise<ProfileFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new UsageError(`Cannot read the profile file ${path}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`The profile file ${path} is not valid JSON.`);
  }
  const parsed = ProfileFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(`The profile file ${path} is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Adds or replaces one profile, atomically (write to a temporary file, then rename). */
export async function saveProfile(path: string, name: string, profile: Profile, options: { makeDefault?: boolean } = {}): Promise<void> {
  const file = await readProfileFile(path);
  file.profiles[name] = ProfileSchema.parse(profile);
  if (options.makeDefault === true || file.default_profile === undefined) file.default_profile = name;
  await writeProfileFile(path, file);
}

/**
 * Removes one profile (its key file stays: it may be the only copy of a key the server knows).
 * Returns the removed profile, or undefined when there was none of that name.
 */
export async function removeProfile(path: string, name: string): Promise<Profile | undefined> {
  const file = await readProfileFile(path);
  const removed = file.profiles[name];
  if (removed === undefined) return undefined;
  delete file.profiles[name];
  if (file.default_profile === name) delete file.default_profile;
  await writeProfileFile(path, file);
  return removed;
}

async function writeProfileFile(path: string, file: ProfileFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, path);
}

export interface ResolvedProfile {
  name: string | undefined;
  server: string | undefined;
  kid: string | undefined;
  keyFile: string | undefined;
}

/**
 * Which server, kid and key file a command uses: flags first, then SIGNET_* variables, then the
 * chosen profile (--profile, SIGNET_PROFILE, or the file's default).
 */
export async function resolveProfile(env: ClientEnv, flags: { profile?: string; server?: string; kid?: string; keyFile?: string }): Promise<ResolvedProfile> {
  const file = await readProfileFile(env.configFile);
  const name = flags.profile ?? env.profile ?? file.default_profile;
  const profile = name === undefined ? undefined : file.profiles[name];
  if (name !== undefined && profile === undefined && (flags.profile !== undefined || env.profile !== undefined)) {
    throw new UsageError(`No profile named "${name}" in ${env.configFile}.`);
  }
  return {
    name,
    server: flags.server ?? env.server ?? profile?.server,
    kid: flags.kid ?? env.kid ?? profile?.kid,
    keyFile: flags.keyFile ?? env.keyFile ?? profile?.key_file,
  };
}
