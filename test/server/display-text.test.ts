import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { createPgSchema, servicesAvailable, type PgSchema } from '../helpers/services.js';

const pgReady = servicesAvailable('names and labels on PostgreSQL', { pg: true });

const REFUSED = ['a\u0000b', 'lone \uD800 surrogate', '   ', '\u200B\u200B', 'invoice\u202Efdp.exe', 'bell\u0007', 'c1\u0085', 'new\nline', 'x'.repeat(201)];

let h: Harness | undefined;
let schema: PgSchema | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
afterAll(async () => schema?.drop());

const engines: Array<[string, boolean, () => Promise<Harness>]> = [
  ['SQLite', true, () => startHarness()],
  [
    'PostgreSQL',
    pgReady,
    async () => {
      schema ??= await createPgSchema('names');
      return startHarness({ databaseUrl: schema.url, masterKey: Buffer.alloc(32, 7).toString('base64') });
    },
  ],
];

for (const [engine, available, open] of engines) {
  describe.skipIf(!available)(`consumer names and key labels at the API (${engine})`, () => {
    it('refuses controls, lone surrogates, bidi and invisible characters, blank and overlong text with 400, never 500', async () => {
      h = await open();
      const admin = await h.addAdmin();
      for (const name of REFUSED) {
        const answer = await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name }, ...admin });
        expect(answer.status, JSON.stringify(name)).toBe(400);
        expect((await answer.json()).code).toBe('invalid_request');
      }
    });

    it('stores names trimmed and NFC-normalised', async () => {
      h = await open();
      const admin = await h.addAdmin();
      const answer = await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: '  Cafe\u0301 Acme  ' }, ...admin });
      expect(answer.status).toBe(201);
      expect((await answer.json()).name).toBe('Caf\u00e9 Acme');
    });
  });
}
