import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPortal } from '../../scripts/build-portal.js';
import { exportPrivateKey, generateKeyPair, importPrivateKey } from '../../src/client/keys.js';
import { loadPrivateKeyFile } from '../../src/client/key-file.js';
import { publicKeyToJwk } from '../../src/protocol/public-key.js';
import { disposeCli } from '../helpers/cli-process.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sendWith, setModes } from '../helpers/hmac.js';
import { available, runNodeSnippet, runPythonSnippet, runShellSnippet } from './run-snippets.js';
import { secretMarkers, type SecretKey } from './secret-markers.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = suiteRuns('the portal browser tests', existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const PYTHON = '/usr/bin/python3';

/** Screenshots of the main screens, for people (gitignored; docs/portal.md describes them). */
const SHOTS = join(__dirname, '../../test-output/portal');

interface Captured {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * One story in one browser: an admin (their own browser context) creates a consumer and an
 * enrollment code; a developer (another context, as on another machine) enrolls, calls, sees
 * usage, rotates and revokes; every request either page sends is captured and searched for
 * private-key material at the end.
 */
describe.skipIf(!hasChromium)('the developer portal in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let admin: Page;
  let dev: Page;
  let downloads: string;
  let adminKeyFile: string;
  const secrets: SecretKey[] = [];
  const captured: Promise<Captured>[] = [];
  const problems: string[] = [];
  let code = '';
  let enrolledKid = '';
  let rotatedKid = '';
  let addedKid = '';
  let hmacKid = '';
  /** The server-made HMAC secret: the browser receives it once and must never send it. */
  let hmacSecret = '';
  let provider: Awaited<ReturnType<Harness['addAdmin']>>;
  /** The server's ManualClock follows the real time, this far behind. */
  let serverBehindMs = 0;
  let tick: ReturnType<typeof setInterval> | undefined;

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    context.on('request', (request) => {
      captured.push(
        request
          .allHeaders()
          // A request still in flight when the browser closes: what the page set is in headers().
          .catch(() => request.headers())
          .then((headers) => ({ url: request.url(), method: request.method(), headers, body: request.postDataBuffer() ?? Buffer.alloc(0) })),
      );
    });
    return context;
  }

  function watch(page: Page): Page {
    // Fail a step well inside the test's own timeout, with the locator that was not found.
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A refused call (401, 409, ...) is logged by Chromium as a failed resource; that is expected here.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
    });
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** Saves the download the link starts, and remembers its key as a secret that must never be sent. */
  async function download(page: Page): Promise<{ path: string; name: string }> {
    const [event] = await Promise.all([
      page.waitForEvent('download'),
      page
        .getByTestId('download-panel')
        .getByRole('link', { name: /^Download / })
        .click(),
    ]);
    const name = event.suggestedFilename();
    const path = join(downloads, name);
    await event.saveAs(path);
    const pem = readFileSync(path, 'utf8');
    const pair = await importPrivateKey(pem, { extractable: true });
    const jwk = JSON.parse(await exportPrivateKey(pair, 'jwk')) as { d: string; x: string };
    secrets.push({ name, seed: Buffer.from(jwk.d, 'base64url'), pkcs8: pemBody(pem), x: jwk.x });
    return { path, name };
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    downloads = mkdtempSync(join(tmpdir(), 'signet-portal-downloads-'));
    const portalDir = mkdtempSync(join(tmpdir(), 'signet-portal-'));
    await buildPortal(portalDir);
    // The public origin is the socket's, so the page, the snippets and the CLI all sign for what they call.
    h = await startHarness({ portalDir }, { socketOrigin: true });
    // The server's clock runs five minutes behind the browser's at first: the portal must learn the offset.
    serverBehindMs = 5 * 60_000;
    tick = setInterval(() => h.clock.set(Date.now() - serverBehindMs), 20);
    h.clock.set(Date.now() - serverBehindMs);
    provider = await h.addAdmin('provider');
    adminKeyFile = join(downloads, `signet-${provider.kid}.pem`);
    const adminPem = await exportPrivateKey(provider.pair, 'pem');
    writeFileSync(adminKeyFile, adminPem, { mode: 0o600 });
    const adminJwk = JSON.parse(await exportPrivateKey(provider.pair, 'jwk')) as { d: string; x: string };
    secrets.push({ name: 'admin key file', seed: Buffer.from(adminJwk.d, 'base64url'), pkcs8: pemBody(adminPem), x: adminJwk.x });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    admin = watch(await (await newContext()).newPage());
    dev = watch(await (await newContext()).newPage());
  });

  // A failed step leaves both pages on disk, to see what the user would have seen.
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail') return;
    const name = context.task.name.replace(/[^a-z]+/gi, '-').slice(0, 40);
    await shot(admin, `failed-${name}-admin`).catch(() => undefined);
    await shot(dev, `failed-${name}-developer`).catch(() => undefined);
  });

  afterAll(async () => {
    clearInterval(tick);
    disposeCli();
    await browser?.close();
    await h?.close();
  });

  it('lets an admin sign in with a key file that stays in the page, create a consumer and an enrollment code', async () => {
    await admin.goto(`${h.baseUrl}/portal/`);
    const form = admin.getByTestId('keyfile-form');
    await form.getByLabel('Private key file').setInputFiles(adminKeyFile);
    // The key id is read from the file name signet-<kid>.pem.
    await expect.poll(() => form.getByLabel('Key id').inputValue()).toMatch(/^key_/);
    await form.getByRole('button', { name: 'Use this key' }).click();
    await admin.getByRole('navigation', { name: 'Portal sections' }).getByRole('link', { name: 'Consumers' }).waitFor();
    expect(await admin.getByTestId('whoami').textContent()).toContain('provider');

    const create = admin.getByTestId('create-consumer-form');
    // An empty name: the server's field error is shown under the name field.
    await create.getByRole('button', { name: 'Create consumer' }).click();
    await create.locator('[data-field="name"]').waitFor();
    await create.getByLabel('Name').fill('Acme Corp');
    await create.getByLabel('Plan').selectOption('metered');
    await create.getByRole('button', { name: 'Create consumer' }).click();
    const row = admin.locator('tr[data-consumer="Acme Corp"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('metered');
    await expect.poll(() => create.locator('[data-field="name"]').count()).toBe(0);
    await shot(admin, 'admin-consumers');

    await row.getByRole('button', { name: 'Enrollment codes' }).click();
    await admin.getByRole('button', { name: 'Create enrollment code' }).click();
    const result = admin.getByTestId('enrollment-code');
    code = (await result.getByLabel('Enrollment code', { exact: true }).textContent())!.trim();
    expect(code).toMatch(/^sgnt_enroll_[A-Za-z0-9]{32}$/);
    expect(await result.getByLabel('Enrollment link', { exact: true }).textContent()).toBe(`${h.origin}/portal/#/enroll?code=${code}`);
    // The consumer's code list below the form catches up at once: the new code, pending, created by this admin.
    const listed = admin.getByTestId('enrollment-codes-table').locator(`tr[data-code-id="${await result.getAttribute('data-code-id')}"]`);
    await expect.poll(() => listed.getAttribute('data-state')).toBe('pending');
    expect(await listed.textContent()).toContain(provider.kid);
    await shot(admin, 'admin-enrollment-code');
  });

  it('enrolls a developer with the code: the key pair is made in the browser, the private key downloads once and the CLI loads it', async () => {
    await dev.goto(`${h.baseUrl}/portal/#/enroll?code=${code}`);
    const form = dev.getByTestId('enroll-form');
    expect(await form.getByLabel('Enrollment code', { exact: true }).inputValue()).toBe(code);

    // A wrong code is refused, and the refusal is shown under the code field; the real code still works after.
    await form.getByLabel('Enrollment code', { exact: true }).fill('signet_enroll_00000000000000000000000000000000');
    await form.getByRole('button', { name: /enroll/ }).click();
    const codeError = form.locator('[data-field="code"]');
    await codeError.waitFor();
    expect(await codeError.textContent()).toMatch(/enrollment code/i);

    await form.getByLabel('Enrollment code', { exact: true }).fill(code);
    await form.getByLabel('Key label').fill('laptop');
    await form.getByLabel('Key label').press('Enter'); // keyboard submit
    const panel = dev.getByTestId('download-panel');
    await panel.waitFor();
    await dev.getByTestId('keys-table').waitFor();
    enrolledKid = (await dev.locator('tr.own').getAttribute('data-kid'))!;
    expect(enrolledKid).toMatch(/^key_/);
    expect(await dev.getByTestId('whoami').textContent()).toContain('Acme Corp');
    const row = dev.locator(`tr[data-kid="${enrolledKid}"]`);
    expect(await row.textContent()).toMatch(/laptop.*this browser.*active/);
    await shot(dev, 'enrolled');

    const saved = await download(dev);
    expect(saved.name).toBe(`signet-${enrolledKid}.pem`);
    expect(readFileSync(saved.path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    chmodSync(saved.path, 0o600);
    const pair = await loadPrivateKeyFile(saved.path);
    const answer = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid: enrolledKid });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ key_id: enrolledKid, consumer_name: 'Acme Corp' });
    await panel.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => panel.count()).toBe(0);

    // What the browser keeps is non-extractable: it signs, but its bytes cannot be read back.
    const kept = await dev.evaluate(
      () =>
        new Promise<{ kid: string; extractable: boolean; exportRefused: boolean }>((resolve, reject) => {
          const open = indexedDB.open('signet-portal');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('identity').objectStore('identity').get('current');
            get.onsuccess = async () => {
              const key = get.result.privateKey as CryptoKey;
              const exportRefused = await crypto.subtle.exportKey('pkcs8', key).then(
                () => false,
                () => true,
              );
              resolve({ kid: get.result.kid, extractable: key.extractable, exportRefused });
            };
          };
        }),
    );
    expect(kept).toEqual({ kid: enrolledKid, extractable: false, exportRefused: true });
  });

  it('makes a signed call from the page and shows it in the usage chart, with the plan limits', async () => {
    await dev.getByRole('link', { name: 'Usage' }).click();
    const total = dev.getByTestId('total-requests');
    await total.waitFor();
    const before = Number((await total.textContent())!.replace(/,/g, ''));
    await dev.getByTestId('try-request').click();
    expect(await dev.getByTestId('try-result').textContent()).toContain(`200 OK: signed as ${enrolledKid} of Acme Corp`);
    // The try and the reload of the chart are themselves signed calls: the total grows by at least the try.
    await expect.poll(async () => Number((await total.textContent())!.replace(/,/g, ''))).toBeGreaterThan(before);
    expect(await dev.locator('svg rect[data-class="2xx"]').count()).toBeGreaterThan(0);
    const limits = dev.getByTestId('limits');
    // The built-in plan "metered": 20 per second, 100,000 per calendar month.
    expect(await limits.textContent()).toContain('metered');
    expect(await limits.locator('tr[data-window="per_second"]').textContent()).toContain('20 per 1s');
    expect(await limits.locator('tr[data-window="per_month"]').textContent()).toContain('100,000 per month');
    await shot(dev, 'usage');
  });

  // Its own timeout: three child processes (python, an esbuild bundle run by node, bash with the CLI) run in turn, slow on a loaded machine.
  it('offers snippets filled in with the key id, and the Python, Node and curl ones run as written', async () => {
    // The server's clock is put right; the page, which learnt the old offset, must correct itself again.
    serverBehindMs = 0;
    await dev.getByRole('link', { name: 'Code snippets' }).click();
    const curl = (await dev.getByLabel('curl snippet', { exact: true }).textContent())!;
    const node = (await dev.getByLabel('Node.js snippet', { exact: true }).textContent())!;
    const python = (await dev.getByLabel('Python snippet', { exact: true }).textContent())!;
    for (const text of [curl, node, python]) {
      expect(text).toContain(enrolledKid);
      expect(text).toContain(`signet-${enrolledKid}.pem`);
      expect(text).toContain(h.origin);
    }
    expect(curl).toContain(`signet sign GET ${h.origin}/v1/whoami --profile Acme-Corp`);
    await shot(dev, 'snippets');

    const pythonReady = suiteRuns(
      'the run of the Python snippet',
      (await available(PYTHON, ['-c', 'import cryptography, requests'])) ? undefined : '/usr/bin/python3 lacks cryptography or requests (apt-get install python3-cryptography python3-requests)',
    );
    if (pythonReady) {
      const output = await runPythonSnippet(PYTHON, python, downloads);
      expect(output).toContain(`200 {'consumer_id'`);
      expect(output).toContain(`'key_id': '${enrolledKid}'`);
      expect(output).toContain(`'body': '{"hello": "world"}'`);
    }

    const fromNode = await runNodeSnippet(node, downloads);
    expect(fromNode).toContain(`key_id: '${enrolledKid}'`);
    expect(fromNode).toContain(`body: '{"hello":"world"}'`);

    if (suiteRuns('the run of the curl snippet', (await available('curl', ['--version'])) ? undefined : 'no curl (apt-get install curl)')) {
      const fromCurl = await runShellSnippet(curl, downloads, join(downloads, 'signet-config.json'));
      expect(fromCurl).toContain(`"key_id":"${enrolledKid}"`);
      expect(fromCurl).toContain(`"body":"{\\"hello\\":\\"world\\"}"`);
    }
  }, 120_000);

  it('adds a key for another machine: made in the browser, downloaded once, with its label and expiry', async () => {
    await dev.getByRole('link', { name: 'Keys' }).click();
    const form = dev.getByTestId('add-key-form');
    await form.getByLabel('Label').fill('ci-server');
    await form.getByLabel('Expires').selectOption({ label: 'in 30 days' });
    await form.getByRole('button', { name: 'Add key' }).click();
    const panel = dev.getByTestId('download-panel');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('New key registered');
    const saved = await download(dev);
    addedKid = /signet-(key_[A-Za-z0-9]+)\.pem/.exec(saved.name)![1]!;
    const row = dev.locator(`tr[data-kid="${addedKid}"]`);
    await row.waitFor();
    expect(await row.textContent()).toMatch(/ci-server.*active.*expires in 30 days.*never.*in 30 days/);
    // The browser keeps signing with its own key; the new one is only in the download.
    expect(await dev.locator('tr.own').getAttribute('data-kid')).toBe(enrolledKid);
    chmodSync(saved.path, 0o600);
    const answer = await h.send({ method: 'GET', path: '/v1/whoami', pair: await loadPrivateKeyFile(saved.path), kid: addedKid });
    expect(await answer.json()).toMatchObject({ key_id: addedKid, consumer_name: 'Acme Corp' });
    await panel.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => panel.count()).toBe(0);
  });

  it('adds an HMAC key only once the consumer allows hmac: the server-made secret is shown once, signs, and is gone from the page after', async () => {
    await dev.getByRole('link', { name: 'Keys' }).click();
    await dev.getByTestId('keys-table').waitFor();
    // Acme Corp allows only ed25519 so far: no HMAC form is offered.
    expect(await dev.getByTestId('add-hmac-key-form').count()).toBe(0);

    const consumerId = (await admin.locator('tr[data-consumer="Acme Corp"]').locator('code').first().textContent())!;
    await setModes(h, { pair: provider.pair, kid: provider.kid }, consumerId, ['ed25519', 'hmac']);
    // The Keys tab, opened afresh, asks the server again and now offers the form.
    await dev.getByRole('link', { name: 'Usage' }).click();
    await dev.getByTestId('total-requests').waitFor();
    await dev.getByRole('link', { name: 'Keys' }).click();
    const form = dev.getByTestId('add-hmac-key-form');
    await form.getByLabel('Label').fill('legacy-device');
    await form.getByLabel('Expires').selectOption({ label: 'in 90 days' });
    await form.getByRole('button', { name: 'Add HMAC key' }).click();
    const panel = dev.getByTestId('hmac-secret-panel');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('the server holds this secret');
    expect(await panel.textContent()).toContain('docs/modes.md');
    const shown = (await panel.getByLabel('HMAC secret', { exact: true }).textContent())!.trim();
    expect(shown).toMatch(/^sgnt_hs_/);
    hmacSecret = shown;
    await shot(dev, 'hmac-secret');

    const [event] = await Promise.all([dev.waitForEvent('download'), panel.getByRole('link', { name: /^Download / }).click()]);
    hmacKid = /^signet-(key_[A-Za-z0-9]+)\.secret$/.exec(event.suggestedFilename())![1]!;
    const path = join(downloads, event.suggestedFilename());
    await event.saveAs(path);
    const secret = readFileSync(path, 'utf8');
    expect(secret).toBe(`${shown}\n`);
    const answer = await sendWith(h, { method: 'GET', path: '/v1/whoami', key: secret.trim(), kid: hmacKid });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ key_id: hmacKid, mode: 'hmac', consumer_name: 'Acme Corp' });

    const row = dev.locator(`tr[data-kid="${hmacKid}"]`);
    await row.waitFor();
    expect(await row.textContent()).toMatch(/legacy-device.*hmac.*active/);
    expect(await row.getByRole('button', { name: 'Rotate' }).count()).toBe(0);

    await panel.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => panel.count()).toBe(0);
    expect(await dev.content()).not.toContain(shown);
    expect(await dev.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).not.toContain(shown);
    // The form is back for the next key; the browser keeps signing with its own Ed25519 key.
    await dev.getByTestId('add-hmac-key-form').waitFor();
    expect(await dev.locator('tr.own').getAttribute('data-kid')).toBe(enrolledKid);
  });

  it('rotates the browser key: the page signs with the new key, which downloads once and survives a reload', async () => {
    await dev.getByRole('link', { name: 'Keys' }).click();
    const row = dev.locator(`tr[data-kid="${enrolledKid}"]`);
    await row.getByRole('button', { name: 'Rotate' }).click();
    const form = dev.getByRole('form', { name: `Rotate ${enrolledKid}` });
    await form.getByLabel('Old key keeps working').selectOption({ label: '1 hour' });
    await form.getByRole('button', { name: 'Rotate key' }).click();
    const panel = dev.getByTestId('download-panel');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('Key rotated');
    await expect.poll(async () => dev.locator('tr.own').getAttribute('data-kid')).not.toBe(enrolledKid);
    rotatedKid = (await dev.locator('tr.own').getAttribute('data-kid'))!;
    const saved = await download(dev);
    expect(saved.name).toBe(`signet-${rotatedKid}.pem`);
    expect(await dev.getByTestId('whoami').textContent()).toContain(rotatedKid);
    // The old key keeps working for the overlap: it now has an expiry.
    expect(await dev.locator(`tr[data-kid="${enrolledKid}"]`).textContent()).toMatch(/active\s*expires in (1 hour|60 minutes)/);

    await dev.reload();
    await dev.getByTestId('keys-table').waitFor();
    expect(await dev.getByTestId('whoami').textContent()).toContain(rotatedKid);
  });

  it('revokes the old key: it is refused from the next request on', async () => {
    const row = dev.locator(`tr[data-kid="${enrolledKid}"]`);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await dev
      .getByRole('form', { name: `Revoke ${enrolledKid}` })
      .getByRole('button', { name: 'Revoke key' })
      .click();
    await expect.poll(async () => row.textContent()).toContain('revoked');
    await shot(dev, 'keys');
    await dev.setViewportSize({ width: 390, height: 844 });
    await shot(dev, 'keys-phone');
    await dev.setViewportSize({ width: 1280, height: 900 });

    const pair = await loadPrivateKeyFile(join(downloads, `signet-${enrolledKid}.pem`));
    const answer = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid: enrolledKid });
    expect(answer.status).toBe(401);
    expect((await answer.json()).code).toBe('key_revoked');
  });

  it('lists a consumer’s enrollment codes for the admin and cancels a pending one after asking; enrolling with it is then refused', async () => {
    const row = admin.locator('tr[data-consumer="Acme Corp"]');
    const consumerId = (await row.locator('code').first().textContent())!;
    const toggle = row.getByRole('button', { name: 'Enrollment codes' });
    // Still open from the first test, showing that code: close it and open it afresh.
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await toggle.click();
    await expect.poll(() => admin.getByTestId('enrollment-codes').count()).toBe(0);
    await toggle.click();
    const table = admin.getByTestId('enrollment-codes-table');
    // The developer's code: used, with the time and the key it enrolled, and nothing to cancel.
    const used = table.locator('tr[data-state="used"]');
    await used.waitFor();
    expect(await used.textContent()).toMatch(new RegExp(`used \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC.*${enrolledKid}`));
    expect(await used.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);

    await admin.getByRole('button', { name: 'Create enrollment code' }).click();
    const result = admin.getByTestId('enrollment-code');
    const leaked = (await result.getByLabel('Enrollment code', { exact: true }).textContent())!.trim();
    const leakedId = (await result.getAttribute('data-code-id'))!;
    const listed = table.locator(`tr[data-code-id="${leakedId}"]`);
    await expect.poll(() => listed.getAttribute('data-state')).toBe('pending');

    // Cancel asks first: keeping the code leaves it pending on the server.
    await listed.getByRole('button', { name: 'Cancel', exact: true }).click();
    const confirm = admin.getByRole('form', { name: `Cancel ${leakedId}` });
    expect(await confirm.textContent()).toContain('cannot be undone');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    const asAdmin = { pair: provider.pair, kid: provider.kid };
    const pending = await (await h.send({ method: 'GET', path: `/admin/v1/consumers/${consumerId}/enrollment-codes?state=pending`, ...asAdmin })).json();
    expect(pending.items.map((c: { id: string }) => c.id)).toEqual([leakedId]);

    await listed.getByRole('button', { name: 'Cancel', exact: true }).click();
    await confirm.getByRole('button', { name: 'Cancel code' }).click();
    await expect.poll(() => listed.getAttribute('data-state')).toBe('cancelled');
    expect(await listed.textContent()).toMatch(/cancelled \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(await listed.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);
    await shot(admin, 'admin-enrollment-codes');

    // Whoever holds the cancelled code is refused as if they had mistyped it.
    const key = await generateKeyPair();
    const refused = await h.send({ method: 'POST', path: '/v1/enroll', json: { code: leaked, public_key: publicKeyToJwk(key.publicKey) }, proof: key });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'invalid_enrollment_code', reason: 'unknown' });
  });

  it('shows the server’s refusal when a code was used before the admin confirmed its cancellation, and the list then shows it used', async () => {
    const table = admin.getByTestId('enrollment-codes-table');
    const result = admin.getByTestId('enrollment-code');
    const before = await result.getAttribute('data-code-id');
    await admin.getByRole('button', { name: 'Create another code' }).click();
    await admin.getByRole('button', { name: 'Create enrollment code' }).click();
    await expect.poll(() => result.getAttribute('data-code-id')).not.toBe(before);
    const raced = (await result.getByLabel('Enrollment code', { exact: true }).textContent())!.trim();
    const racedId = (await result.getAttribute('data-code-id'))!;
    const listed = table.locator(`tr[data-code-id="${racedId}"]`);
    await expect.poll(() => listed.getAttribute('data-state')).toBe('pending');

    await listed.getByRole('button', { name: 'Cancel', exact: true }).click();
    const confirm = admin.getByRole('form', { name: `Cancel ${racedId}` });
    await confirm.waitFor();
    // Meanwhile the code is used.
    const key = await generateKeyPair();
    const enrolled = await h.send({ method: 'POST', path: '/v1/enroll', json: { code: raced, public_key: publicKeyToJwk(key.publicKey) }, proof: key });
    expect(enrolled.status).toBe(201);
    const racedKid = (await enrolled.json()).key.id as string;

    await confirm.getByRole('button', { name: 'Cancel code' }).click();
    const refusal = confirm.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(new RegExp(`already used .*${racedKid}.*revoke that key instead.*\\(conflict\\)`));
    await expect.poll(() => listed.getAttribute('data-state')).toBe('used');
    expect(await listed.textContent()).toContain(racedKid);
  });

  it('lets the admin revoke a consumer’s key only after confirming: kept on "Keep it", refused from the next request once revoked', async () => {
    const consumerRow = admin.locator('tr[data-consumer="Acme Corp"]');
    await consumerRow.getByRole('button', { name: 'Keys' }).click();
    const keyRow = admin.locator(`tr[data-kid="${addedKid}"]`);
    const revoke = keyRow.getByRole('button', { name: `Revoke ${addedKid}` });
    const confirm = admin.getByRole('form', { name: `Revoke ${addedKid}` });
    const pair = await loadPrivateKeyFile(join(downloads, `signet-${addedKid}.pem`));
    const call = () => h.send({ method: 'GET', path: '/v1/whoami', pair, kid: addedKid });

    await revoke.click();
    expect(await confirm.textContent()).toContain('cannot be undone');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await keyRow.textContent()).toContain('active');
    expect((await call()).status).toBe(200);

    await revoke.click();
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(async () => keyRow.textContent()).toContain('revoked');
    const answer = await call();
    expect(answer.status).toBe(401);
    expect((await answer.json()).code).toBe('key_revoked');
  });

  it('shows the admin everyone’s usage and the audit log of all this, and disables the consumer', async () => {
    await admin.getByRole('link', { name: 'All usage' }).click();
    const groups = admin.getByTestId('usage-groups');
    await groups.waitFor();
    expect(await groups.textContent()).toContain('Acme Corp');
    expect(await admin.locator('svg rect[data-class="2xx"]').count()).toBeGreaterThan(0);
    await shot(admin, 'admin-usage');

    await admin.getByRole('link', { name: 'Audit log' }).click();
    const audit = admin.getByTestId('audit-table');
    await audit.locator('tr[data-action="key.revoke"]').first().waitFor();
    for (const action of ['consumer.create', 'enrollment_code.create', 'enrollment_code.cancel', 'key.enroll', 'key.rotate', 'key.revoke']) {
      expect(await audit.locator(`tr[data-action="${action}"]`).count(), action).toBeGreaterThan(0);
    }
    await shot(admin, 'admin-audit');

    await admin.getByRole('link', { name: 'Consumers' }).click();
    const row = admin.locator('tr[data-consumer="Acme Corp"]');
    await row.getByRole('button', { name: 'Disable' }).click();
    await admin.getByRole('button', { name: 'Disable consumer' }).click();
    await expect.poll(async () => row.textContent()).toContain('disabled');

    await dev.getByRole('link', { name: 'Usage' }).click();
    await dev.getByTestId('try-request').click();
    await expect.poll(async () => dev.getByTestId('try-result').textContent()).toContain('403 consumer_disabled');
  });

  it('pages a long code list with More instead of dropping codes, and keeps a later page in view after a cancel', async () => {
    // After the audit test: these 52 entries would push the ones it looks for off the audit log's first page.
    const asAdmin = { pair: provider.pair, kid: provider.kid };
    const consumer = await (await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: 'Initech' }, ...asAdmin })).json();
    const ids: string[] = [];
    for (let n = 0; n < 51; n++) {
      const created = await h.send({ method: 'POST', path: `/admin/v1/consumers/${consumer.id}/enrollment-codes`, json: {}, ...asAdmin });
      ids.push((await created.json()).id);
    }
    // The consumers card's own Refresh comes before any in a code panel inside its table.
    await admin.getByRole('region', { name: 'Consumers', exact: true }).getByRole('button', { name: 'Refresh', exact: true }).first().click();
    const row = admin.locator('tr[data-consumer="Initech"]');
    await row.getByRole('button', { name: 'Enrollment codes' }).click();
    const codes = admin.getByTestId('enrollment-codes');
    const rows = codes.locator('tr[data-code-id]');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await codes.textContent()).toContain('Showing the 50 oldest codes; there are more.');
    await codes.getByRole('button', { name: 'More', exact: true }).click();
    await expect.poll(() => rows.count()).toBe(51);
    expect(await codes.getByRole('button', { name: 'More', exact: true }).count()).toBe(0);

    const last = codes.locator(`tr[data-code-id="${ids[50]}"]`);
    await last.getByRole('button', { name: 'Cancel', exact: true }).click();
    await admin
      .getByRole('form', { name: `Cancel ${ids[50]}` })
      .getByRole('button', { name: 'Cancel code' })
      .click();
    await expect.poll(() => last.getAttribute('data-state')).toBe('cancelled');
    expect(await rows.count()).toBe(51);
    await row.getByRole('button', { name: 'Enrollment codes' }).click();
  });

  it('still offers the download and signs for the tab when the browser cannot keep keys (no IndexedDB)', async () => {
    const consumer = await (await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: 'Globex' }, pair: provider.pair, kid: provider.kid })).json();
    const answer = await h.send({ method: 'POST', path: `/admin/v1/consumers/${consumer.id}/enrollment-codes`, json: {}, pair: provider.pair, kid: provider.kid });
    const context = await newContext();
    await context.addInitScript(() => {
      IDBFactory.prototype.open = () => {
        throw new DOMException('IndexedDB is switched off here.', 'InvalidStateError');
      };
    });
    const page = watch(await context.newPage());
    await page.goto(`${h.baseUrl}/portal/#/enroll?code=${(await answer.json()).code}`);
    await page
      .getByTestId('enroll-form')
      .getByRole('button', { name: /enroll/ })
      .click();
    await page.getByTestId('download-panel').waitFor();
    expect(await page.getByRole('status').first().textContent()).toContain('could not keep the key');
    expect(await page.getByTestId('whoami').textContent()).toContain('Globex');
    const saved = await download(page);
    const kid = /signet-(key_[A-Za-z0-9]+)\.pem/.exec(saved.name)![1]!;
    // The tab signs with it: its own key list loaded through a signed call.
    await page.locator(`tr[data-kid="${kid}"]`).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    await context.close();
  });

  it('never sends a private key: no request either page made carries one, in any encoding', async () => {
    const requests = await Promise.all(captured);
    expect(requests.length).toBeGreaterThan(20);
    // Every key in play: the admin's file, the enrolled key, the added key, the rotated key, the key of the tab without storage.
    expect(secrets.map((s) => s.name)).toEqual(['admin key file', `signet-${enrolledKid}.pem`, `signet-${addedKid}.pem`, `signet-${rotatedKid}.pem`, expect.stringMatching(/^signet-key_/)]);
    // The search can find what it looks for: the enrolled public key is in the enroll request's body.
    const enroll = requests.find((r) => r.method === 'POST' && r.url.endsWith('/v1/enroll') && r.body.includes(secrets[1]!.x));
    expect(enroll, 'the enrollment request carrying the public key').toBeDefined();
    for (const secret of secrets) {
      const markers = secretMarkers(secret);
      for (const request of requests) {
        const text = [request.url, ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`), request.body.toString('latin1')].join('\n');
        for (const marker of markers.text) expect(text.includes(marker), `${secret.name} in ${request.method} ${request.url}`).toBe(false);
        for (const bytes of markers.bytes) expect(request.body.includes(bytes), `${secret.name} bytes in ${request.method} ${request.url}`).toBe(false);
      }
    }
    // The HMAC secret came from the server in a response; no request sends it back or anywhere else.
    expect(hmacSecret).toMatch(/^sgnt_hs_/);
    for (const request of requests) {
      const text = [request.url, ...Object.values(request.headers), request.body.toString('latin1')].join('\n');
      expect(text.includes(hmacSecret), `the HMAC secret in ${request.method} ${request.url}`).toBe(false);
    }
    // No cookies either way: every call stands on its own signature.
    expect(requests.filter((r) => 'cookie' in r.headers)).toEqual([]);
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(problems).toEqual([]);
  });
});

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, ''), 'base64');
}
