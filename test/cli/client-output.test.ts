import { describe, expect, it } from 'vitest';
import { COLORS, paletteFor, PLAIN } from '../../src/cli/color.js';
import { main } from '../../src/cli/main.js';
import { renderClaims, renderProblem } from '../../src/cli/explain.js';

const ANSI = /\u001b\[\d+m/;

function capture() {
  let stdout = '';
  let stderr = '';
  return {
    io: { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

const mismatch = {
  code: 'binding_mismatch',
  detail: 'The token was signed for a different request: body_sha256 differ.',
  mismatches: [{ claim: 'body_sha256', expected: 'AAAA-server', received: 'AAAB-token' }],
  request_id: 'req-1',
};

describe('explaining refusals', () => {
  it('prints expected and received per claim, with a caret at the first difference and a hint', () => {
    const text = renderProblem(mismatch, { explain: true });
    expect(text).toContain('error binding_mismatch: The token was signed for a different request');
    expect(text).toContain('- expected (server): AAAA-server');
    expect(text).toContain('+ received (token):  AAAB-token');
    const lines = text.split('\n');
    const received = lines.find((l) => l.includes('+ received'))!;
    const caret = lines.find((l) => l.includes('^'))!;
    expect(caret.indexOf('^')).toBe(received.indexOf('AAAB') + 3);
    expect(text).toContain('--data-binary');
    expect(text).toContain('request id req-1');
    expect(text).not.toMatch(ANSI);
  });

  it('colours expected in green and received in red when given the colour palette', () => {
    const text = renderProblem(mismatch, { explain: true, palette: COLORS });
    expect(text).toContain('\u001b[32mAAAA-server\u001b[39m');
    expect(text).toContain('\u001b[31mAAAB-token\u001b[39m');
  });

  it('uses colour only on a terminal and never with NO_COLOR', () => {
    expect(paletteFor({ isTTY: true }, { noColor: false })).toBe(COLORS);
    expect(paletteFor({ isTTY: true }, { noColor: true })).toBe(PLAIN);
    expect(paletteFor({ isTTY: false }, { noColor: false })).toBe(PLAIN);
    expect(paletteFor({}, { noColor: false })).toBe(PLAIN);
  });

  it('prints every signed claim with readable times', () => {
    const text = renderClaims({ method: 'GET', url: 'https://api.example.com/x', body_sha256: 'h', aud: 'https://api.example.com', iat: 1767225600, exp: 1767225660, jti: 'j' }, 'key_1', 0);
    for (const expected of ['kid          key_1', 'url          https://api.example.com/x', 'iat          1767225600 (2026-01-01T00:00:00Z)', 'lifetime 60 s']) {
      expect(text).toContain(expected);
    }
  });
});

describe('consumer command help and usage errors', () => {
  const commands = [['keygen'], ['request'], ['sign'], ['presign'], ['profile', 'add'], ['profile', 'list'], ['profile', 'show']];
  for (const path of commands) {
    it(`signet ${path.join(' ')} --help prints its usage and exits 0`, async () => {
      const out = capture();
      expect(await main([...path, '--help'], out.io)).toBe(0);
      expect(out.stdout.startsWith(`signet ${path.join(' ')}`)).toBe(true);
    });
  }

  it('an unknown flag is a usage error (exit 2) with the usage line, not a stack trace', async () => {
    const out = capture();
    expect(await main(['sign', 'GET', '/x', '--bogus'], out.io)).toBe(2);
    expect(out.stderr).toContain('Usage: signet sign METHOD PATH|URL');
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('keygen refuses an unknown format as a usage error', async () => {
    const out = capture();
    expect(await main(['keygen', '--format', 'der'], out.io)).toBe(2);
    expect(out.stderr).toContain('--format must be pem, jwk or openssh');
  });
});
