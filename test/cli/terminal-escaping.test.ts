import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/client/keys.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { shown } from '../../src/cli/terminal-text.js';
import { printedJson as json, runInProcess as run, withCliHarness } from '../helpers/cli-process.js';
import type { Harness } from '../helpers/harness.js';

/** What a hostile label or name could carry: clear screen, OSC 52 clipboard write, OSC 8 link, a C1 CSI, a bidi override, a forged row. */
const HOSTILE = 'x\u001b[2J\u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b]8;;https://evil.test\u0007link\u001b]8;;\u0007\u009b31m\u202Efdp.exe\r\ncon_forged  active    admin';
/** Nothing that a terminal acts on or reorders. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('stored text in the CLI output', () => {
  let h: Harness;
  let dir: string;
  let consumerId: string;
  withCliHarness('signet-escaping-', (s) => ({ h, dir } = s));

  it('escapes control, C1 and bidi characters of names and labels in every human-readable line, and C1 and bidi in --json', async () => {
    expect((await run('admin', 'init', '--db', join(dir, 'signet.sqlite'), '--server', h.baseUrl)).code).toBe(0);
    // Stored before names and labels were checked at the API (or written straight to the database).
    const pair = await generateKeyPair();
    consumerId = newConsumerId();
    await h.stores.credentials.createConsumerWithKey(
      { id: consumerId, name: HOSTILE },
      { id: newKeyId(), consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey), label: HOSTILE, scopes: ['keys'] },
      h.clock.now(),
    );
    for (const argv of [
      ['admin', 'consumers', 'list'],
      ['admin', 'consumers', 'show', consumerId],
      ['admin', 'keys', 'list', consumerId],
    ]) {
      const printed = await run(...argv);
      expect(printed.code).toBe(0);
      expect(printed.stdout).not.toMatch(UNSAFE);
      expect(printed.stdout).toContain(shown(HOSTILE));
      // The forged row stays inside its own line.
      expect(printed.stdout.split('\n').some((line) => line.startsWith('con_forged'))).toBe(false);
    }
    const listed = await run('admin', 'consumers', 'list', '--json');
    expect(listed.stdout).not.toMatch(UNSAFE);
    expect(json(listed).items.some((c: { name: string }) => c.name === HOSTILE)).toBe(true);
  });
});
