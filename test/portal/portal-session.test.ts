import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPortal } from '../../scripts/build-portal.js';
import { exportPrivateKey, type Ed25519KeyPair } from '../../src/client/keys.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`skipping the portal session browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/**
 * The portal's behaviour around one signed-in session, each test in a fresh browser context: what
 * happens when the key dies under the page, where keyboard focus goes, and how it reads on a phone.
 */
describe.skipIf(!hasChromium)('a portal session in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let files: string;
  let tick: ReturnType<typeof setInterval> | undefined;
  let admin: { pair: Ed25519KeyPair; kid: string };
  const problems: string[] = [];

  beforeAll(async () => {
    files = mkdtempSync(join(tmpdir(), 'signet-portal-session-'));
    const portalDir = mkdtempSync(join(tmpdir(), 'signet-portal-'));
    await buildPortal(portalDir);
    h = await startHarness({ portalDir }, { socketOrigin: true });
    tick = setInterval(() => h.clock.set(Date.now()), 20);
    h.clock.set(Date.now());
    admin = await h.addAdmin('provider');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
  });

  afterAll(async () => {
    clearInterval(tick);
    await browser?.close();
    await h?.close();
  });

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await (await browser.newContext({ acceptDownloads: true, viewport })).newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
    });
    return page;
  }

  /** A consumer with one key, and the page signed in with that key's file. */
  async function signedIn(name: string, page: Page): Promise<{ kid: string; consumerId: string; pair: Ed25519KeyPair }> {
    const consumer = await h.addConsumer(name, { scopes: ['keys'] });
    const file = join(files, `signet-${consumer.kid}.pem`);
    writeFileSync(file, await exportPrivateKey(consumer.pair, 'pem'), { mode: 0o600 });
    await page.goto(`${h.baseUrl}/portal/`);
    const form = page.getByTestId('keyfile-form');
    await form.getByLabel('Private key file').setInputFiles(file);
    await expect.poll(() => form.getByLabel('Key id').inputValue()).toBe(consumer.kid);
    await form.getByRole('button', { name: 'Use this key' }).click();
    await page.getByTestId('keys-table').waitFor();
    return { kid: consumer.kid, consumerId: consumer.record.consumer.id, pair: consumer.pair };
  }

  async function enrollmentCode(name: string): Promise<string> {
    const consumer = await (await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name }, ...admin })).json();
    const answer = await h.send({ method: 'POST', path: `/admin/v1/consumers/${consumer.id}/enrollment-codes`, json: {}, ...admin });
    return (await answer.json()).code as string;
  }

  it('goes back to sign-in with a clear sentence when the key is revoked while the page is open, offering no key forms', async () => {
    const page = await newPage();
    const { kid } = await signedIn('Revoked Ltd', page);
    const revoked = await h.send({ method: 'POST', path: `/admin/v1/keys/${kid}/revoke`, json: { force: true }, ...admin });
    expect(revoked.status).toBe(200);

    await page.getByRole('region', { name: 'Your keys' }).getByRole('button', { name: 'Refresh' }).click();
    await page.getByTestId('keyfile-form').waitFor();
    const notice = page.getByRole('status').first();
    expect(await notice.textContent()).toMatch(new RegExp(`The key this browser signed with \\(${kid}\\) no longer works: .*revoked.*\\(key_revoked\\)\\. Sign in with another key file`));
    expect(await page.getByTestId('add-key-form').count()).toBe(0);
    expect(await page.getByTestId('whoami').count()).toBe(0);
    await page.context().close();
  });

  it('keeps keyboard focus on the busy button, and moves it to the one-time download after enrolling', async () => {
    const page = await newPage();
    await page.goto(`${h.baseUrl}/portal/#/enroll?code=${await enrollmentCode('Focus Inc')}`);
    await page.getByTestId('enroll-form').getByLabel('Key label').press('Enter');
    const panel = page.getByTestId('download-panel');
    await panel.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName)).toBe('download-panel');
    // One Tab from the panel reaches its download link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^Download signet-key_/);
    await panel.getByRole('button', { name: 'Close without saving' }).click();

    // A slow answer keeps the Add key button busy; focus stays on it, not on <body>.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/v1/keys', async (route) => {
      await held;
      await route.continue();
    });
    const add = page.getByTestId('add-key-form').getByRole('button', { name: 'Add key' });
    await add.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('add-key-form').getByRole('button', { name: 'Adding…' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Adding…');
    release();
    await panel.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('download-panel');
    await page.context().close();
  });

  it('keeps the enrollment notice to the Keys tab and drops it on rotation; the old key says when it expires; the expiry choice resets; no HMAC form without the hmac mode', async () => {
    const page = await newPage();
    await page.goto(`${h.baseUrl}/portal/#/enroll?code=${await enrollmentCode('Notice Co')}`);
    await page
      .getByTestId('enroll-form')
      .getByRole('button', { name: /enroll/ })
      .click();
    await page.getByTestId('download-panel').getByRole('button', { name: 'Close without saving' }).click();
    const enrolled = page.getByText(/^Enrolled as Notice Co/);
    await enrolled.waitFor();
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByTestId('total-requests').waitFor();
    expect(await enrolled.count()).toBe(0);
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByTestId('keys-table').waitFor();
    // This consumer may sign only with Ed25519: no HMAC form is offered.
    expect(await page.getByTestId('add-hmac-key-form').count()).toBe(0);

    const form = page.getByTestId('add-key-form');
    await form.getByLabel('Expires').selectOption({ label: 'in 30 days' });
    await form.getByRole('button', { name: 'Add key' }).click();
    await page.getByTestId('download-panel').getByRole('button', { name: 'Close without saving' }).click();
    expect(await form.getByLabel('Expires').inputValue()).toBe('never');

    const own = (await page.locator('tr.own').getAttribute('data-kid'))!;
    await page.locator('tr.own').getByRole('button', { name: 'Rotate' }).click();
    await page
      .getByRole('form', { name: `Rotate ${own}` })
      .getByLabel('Old key keeps working')
      .selectOption({ label: '1 hour' });
    await page
      .getByRole('form', { name: `Rotate ${own}` })
      .getByRole('button', { name: 'Rotate key' })
      .click();
    await page.getByTestId('download-panel').waitFor();
    await expect.poll(() => page.locator('tr.own').getAttribute('data-kid')).not.toBe(own);
    expect(await page.getByText(/^Enrolled as Notice Co/).count()).toBe(0);
    // The old key is still active for the hour, and says so; the times read relative, exact on hover.
    const old = page.locator(`tr[data-kid="${own}"]`);
    expect(await old.getByTestId('expiring').textContent()).toMatch(/expires in (1 hour|60 minutes)/);
    expect(await old.locator('time').first().getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    await page.context().close();
  });

  it('signs an admin in with the files `signet admin init` wrote, and offers the audit filter the server’s actions (enrollment_code.cancel among them) and names consumers beside their ids', async () => {
    const page = await newPage();
    // As `signet admin init` leaves them: the key file named after the profile, the kid only in the config file.
    const file = join(files, 'admin-3f9a1c2b7d4e.pem');
    writeFileSync(file, await exportPrivateKey(admin.pair, 'pem'), { mode: 0o600 });
    const config = join(files, 'config.json');
    const profiles = {
      other: { server: h.origin, kid: 'key_0000000000000000000000', key_file: '/home/x/other.pem' },
      admin: { server: h.origin, kid: admin.kid, key_file: `/home/x/.config/signet/keys/admin-3f9a1c2b7d4e.pem` },
    };
    writeFileSync(config, JSON.stringify({ default_profile: 'admin', profiles }, null, 2));
    await page.goto(`${h.baseUrl}/portal/`);
    const form = page.getByTestId('keyfile-form');
    await form.getByLabel('Private key file').setInputFiles(file);
    expect(await form.getByLabel('Key id').inputValue()).toBe('');
    await form.getByLabel('CLI config file (optional)').setInputFiles(config);
    await expect.poll(() => form.getByLabel('Key id').inputValue()).toBe(admin.kid);
    await form.getByRole('button', { name: 'Use this key' }).click();
    await page.getByRole('link', { name: 'Audit log' }).click();
    const select = page.getByLabel('Action');
    await expect.poll(() => select.locator('option').allTextContents()).toContain('enrollment_code.cancel');
    const table = page.getByTestId('audit-table');
    await table.locator('tr[data-action]').first().waitFor();
    await expect.poll(() => table.textContent()).toMatch(/(provider|Focus Inc|Notice Co) con_/);
    await page.context().close();
  });

  it('fits a phone: row buttons on screen without page scroll, the snippet key selector inside its card, chart labels at least 11px', async () => {
    const page = await newPage({ width: 390, height: 844 });
    await signedIn('A Consumer With A Rather Long Name', page);
    const form = page.getByTestId('add-key-form');
    await form.getByLabel('Label').fill('a-second-machine-with-a-long-label');
    await form.getByRole('button', { name: 'Add key' }).click();
    await page.getByTestId('download-panel').getByRole('button', { name: 'Close without saving' }).click();
    await expect.poll(() => page.locator('tr[data-kid]').count()).toBe(2);
    const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    for (const button of await page.getByTestId('keys-table').getByRole('button', { name: 'Revoke' }).all()) {
      const box = (await button.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }

    await page.getByRole('link', { name: 'Code snippets' }).click();
    const select = page.getByRole('region', { name: 'Code snippets' }).locator('select');
    await select.waitFor();
    const card = (await page.getByRole('region', { name: 'Code snippets' }).boundingBox())!;
    const box = (await select.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(card.x + card.width);
    expect(await pageWidth()).toBeLessThanOrEqual(390);

    await page.getByRole('link', { name: 'Usage' }).click();
    await page.locator('figure.chart svg text').first().waitFor();
    const smallest = await page.evaluate(() =>
      Math.min(...Array.from(document.querySelectorAll('figure.chart svg text')).map((t) => parseFloat(getComputedStyle(t).fontSize) * (t as SVGGraphicsElement).getScreenCTM()!.a)),
    );
    expect(smallest).toBeGreaterThanOrEqual(11);
    expect(await pageWidth()).toBeLessThanOrEqual(390);
    await page.context().close();
  });

  it('shows a new developer a getting-started checklist ticked from the server’s answers, gone once all is done', async () => {
    const page = await newPage();
    const { kid, pair } = await signedIn('Onboard GmbH', page);
    const steps = page.getByTestId('onboarding').locator('li');
    await expect.poll(() => steps.evaluateAll((items) => items.map((li) => li.getAttribute('data-done')))).toEqual(['true', 'false', 'false']);

    // A first call from a program (what the snippets send), then the Keys tab opened afresh.
    expect((await h.send({ method: 'POST', path: '/v1/echo', json: { hello: 'world' }, pair, kid })).status).toBe(200);
    await expect
      .poll(async () => {
        await page.getByRole('link', { name: 'Code snippets' }).click();
        await page.getByRole('link', { name: 'Keys' }).click();
        await page.getByTestId('onboarding').waitFor();
        return steps.evaluateAll((items) => items.map((li) => li.getAttribute('data-done')));
      })
      .toEqual(['true', 'true', 'false']);

    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByTestId('total-requests').waitFor();
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByTestId('keys-table').waitFor();
    await expect.poll(() => page.getByTestId('onboarding').count()).toBe(0);
    await page.context().close();
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(problems).toEqual([]);
  });
});
