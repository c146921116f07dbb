import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * docs/security.md maps every attack class to the tests that prove it. This keeps that table
 * honest: every class the threat model requires has a row, every test the table names exists under exactly
 * that title, and every test file of test/security/ is named somewhere in the table.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = readFileSync(`${ROOT}docs/security.md`, 'utf8');

/** The attack classes a JWS verifier must resist (research/ and seeds/ name them), and the reliability proofs, by their id in the table's first column. */
const REQUIRED_CLASSES = [
  'alg-none',
  'alg-confusion-public-key',
  'alg-confusion-hmac-key',
  'alg-from-key',
  'kid-injection',
  'header-key-injection',
  'crit',
  'b64-false',
  'duplicate-members',
  'proto-members',
  'bom-utf8',
  'oversize-deep',
  'segments',
  'null-signature',
  'ed25519-malleability',
  'small-order-keys',
  'weak-hmac-secrets',
  'mac-timing',
  'base64-malleability',
  'time-claims',
  'typ-confusion',
  'request-binding',
  'replay',
  'presigned-links',
  'uniform-failures',
  'secrets-at-rest',
  'public-vectors',
  'fuzzing',
  'crash-safety',
  'database-leak',
];

interface Row {
  id: string;
  refs: Array<{ file: string; title: string }>;
}

function tableRows(): Row[] {
  const start = DOC.indexOf('<!-- attack-classes:start -->');
  const end = DOC.indexOf('<!-- attack-classes:end -->');
  expect(start, 'the attack-classes markers in docs/security.md').toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  const lines = DOC.slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  return lines.map((line) => {
    const cells = line.split(' | ');
    const id = /^\| `([a-z0-9-]+)`$/.exec(cells[0]!)?.[1] ?? '';
    const proven = cells.at(-1)!.replace(/ \|$/, '');
    const refs = proven.split('<br>').map((ref) => {
      const match = /^`(test\/[^`]+\.test\.ts)` › (.+)$/.exec(ref.trim());
      return match === null ? { file: '', title: ref } : { file: match[1]!, title: match[2]!.trim() };
    });
    return { id, refs };
  });
}

/** A test file's text with string escapes undone where titles use them. */
const sources = new Map<string, string>();
function source(file: string): string {
  let text = sources.get(file);
  if (text === undefined) {
    text = readFileSync(`${ROOT}${file}`, 'utf8').replace(/\\'/g, "'");
    sources.set(file, text);
  }
  return text;
}

describe('the attack-class table of docs/security.md', () => {
  const rows = tableRows();

  it('has a row for every required attack class, and no repeated or malformed ids', () => {
    const ids = rows.map((r) => r.id);
    expect(REQUIRED_CLASSES.filter((id) => !ids.includes(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id === '')).toEqual([]);
  });

  it('names only tests that exist, by file and exact title', () => {
    const missing: string[] = [];
    for (const row of rows) {
      expect(row.refs.length, row.id).toBeGreaterThan(0);
      for (const { file, title } of row.refs) {
        if (file === '' || !existsSync(`${ROOT}${file}`)) missing.push(`${row.id}: no such test file in "${title}"`);
        else if (!["'", '"', '`'].some((quote) => source(file).includes(`${quote}${title}${quote}`))) {
          missing.push(`${row.id}: ${file} has no test titled "${title}"`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('names every test file of test/security/', () => {
    const named = new Set(rows.flatMap((r) => r.refs.map((ref) => ref.file)));
    const files = readdirSync(`${ROOT}test/security`).filter((f) => f.endsWith('.test.ts') && f !== 'attack-index.test.ts');
    expect(files.filter((f) => !named.has(`test/security/${f}`))).toEqual([]);
  });
});
