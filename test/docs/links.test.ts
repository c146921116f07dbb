import { existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCUMENTS, parseDocument, ROOT } from './markdown.js';

const parsed = new Map(DOCUMENTS.map((path) => [path, parseDocument(path)]));

describe('links between the docs', () => {
  it.each(DOCUMENTS)('every relative link and #anchor in %s leads somewhere that exists', (path) => {
    const broken: string[] = [];
    for (const { target, line } of parsed.get(path)!.links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto: leave the repository
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const linked = file === '' ? path : normalize(join(dirname(path), decodeURIComponent(file)));
      if (!existsSync(join(ROOT, linked))) {
        broken.push(`${path}:${line}: ${target} (no file ${linked})`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      const document = parsed.get(linked) ?? (linked.endsWith('.md') ? parseDocument(linked) : undefined);
      if (document !== undefined && !document.anchors.has(decodeURIComponent(anchor))) {
        broken.push(`${path}:${line}: ${target} (no heading with the anchor #${anchor} in ${linked})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('makes anchors as GitHub does: numbered headings with code and punctuation', () => {
    const protocol = parsed.get('docs/protocol.md')!;
    expect(protocol.anchors).toContain('8-worked-example');
    expect(protocol.anchors).toContain('10-discovery-well-knownsignet');
    expect(protocol.anchors).not.toContain('7-worked-example');
  });
});
