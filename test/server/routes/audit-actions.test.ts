import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from '../../../src/store/audit-actions.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

/** Every `action: '...'` literal under src/, the actions the code can write. */
function actionsInSource(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...actionsInSource(path));
    else if (/\.tsx?$/.test(entry.name)) for (const m of readFileSync(path, 'utf8').matchAll(/\baction: '([a-z_]+\.[a-z_]+)'/g)) found.push(m[1]!);
  }
  return found;
}

describe('the audit actions list', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('names every action the code writes to the audit log', () => {
    const written = new Set(actionsInSource(join(__dirname, '../../../src')));
    expect(written.size).toBeGreaterThan(5);
    for (const action of written) expect(AUDIT_ACTIONS, action).toContain(action);
  });

  it('is served to admins at GET /admin/v1/audit/actions, and refused to other keys', async () => {
    const admin = await h.addAdmin();
    const answer = await h.send({ method: 'GET', path: '/admin/v1/audit/actions', ...admin });
    expect(answer.status).toBe(200);
    expect((await answer.json()).items).toEqual([...AUDIT_ACTIONS]);
    const developer = await h.addConsumer('dev', { scopes: ['keys'] });
    expect((await h.send({ method: 'GET', path: '/admin/v1/audit/actions', ...developer })).status).toBe(403);
  });
});
