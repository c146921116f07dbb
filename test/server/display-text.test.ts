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

    it('warns, without refusing, about a name that looks like an existing one: case, full-width, accents, Cyrillic letters, spacing', async () => {
      h = await open();
      const admin = await h.addAdmin();
      const first = await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: 'Globex Corp' }, ...admin });
      expect(first.status).toBe(201);
      const original = await first.json();
      expect(original.warnings).toBeUndefined();
      const lookAlikes = [original.id];
      for (const name of ['globex corp', 'ＧＬＯＢＥＸ Corp', 'Glóbex Corp', 'Glоbех Соrр', 'Globex-Corp']) {
        const answer = await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name }, ...admin });
        expect(answer.status, name).toBe(201);
        const body = await answer.json();
        expect(body.warnings, name).toEqual([expect.objectContaining({ code: 'look_alike_name' })]);
        expect(lookAlikes, name).toContain(body.warnings[0].consumer_id);
        lookAlikes.push(body.id);
      }
      const distinct = await (await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: 'Initech' }, ...admin })).json();
      expect(distinct.warnings).toBeUndefined();
      const renamed = await h.send({ method: 'PATCH', path: `/admin/v1/consumers/${distinct.id}`, json: { name: 'GLOBEX corp' }, ...admin });
      expect(lookAlikes).toContain((await renamed.json()).warnings[0].consumer_id);
      // Renaming a consumer to its own name is not a look-alike of itself.
      const alone = await (await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: 'Vandelay Industries' }, ...admin })).json();
      const same = await h.send({ method: 'PATCH', path: `/admin/v1/consumers/${alone.id}`, json: { name: 'Vandelay Industries' }, ...admin });
      expect((await same.json()).warnings).toBeUndefined();
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
