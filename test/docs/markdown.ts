import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** README.md and every docs/*.md, as paths relative to the repository. */
export const DOCUMENTS: readonly string[] = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

export interface CodeBlock {
  document: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** The reason of a `<!-- docs-test: skip (REASON) -->` marker just above the fence, if any. */
  skip: string | undefined;
}

export interface ParsedDocument {
  path: string;
  blocks: CodeBlock[];
  /** Heading anchors as GitHub makes them (duplicates get -1, -2, ...). */
  anchors: Set<string>;
  /** Link targets outside code, with their line. */
  links: Array<{ target: string; line: number }>;
}

const SKIP_MARKER = /^<!-- docs-test: skip \((.+)\) -->$/;

/** Splits a document into fenced code, headings and links, ignoring what is inside code. */
export function parseDocument(path: string): ParsedDocument {
  const lines = readFileSync(join(ROOT, path), 'utf8').split('\n');
  const slugger = new GithubSlugger();
  const parsed: ParsedDocument = { path, blocks: [], anchors: new Set(), links: [] };
  let fence: { line: number; lang: string; body: string[]; skip: string | undefined } | undefined;
  let previous = '';
  lines.forEach((text, index) => {
    const open = /^```(\S*)\s*$/.exec(text);
    if (fence !== undefined) {
      if (/^```\s*$/.test(text)) {
        parsed.blocks.push({ document: path, line: fence.line, lang: fence.lang, code: fence.body.join('\n') + '\n', skip: fence.skip });
        fence = undefined;
      } else fence.body.push(text);
      return;
    }
    if (open !== null) {
      fence = { line: index + 1, lang: open[1]!, body: [], skip: SKIP_MARKER.exec(previous.trim())?.[1] };
      return;
    }
    if (text.trim() !== '') previous = text;
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(text);
    if (heading !== null) parsed.anchors.add(slugger.slug(heading[1]!.replace(/`/g, '')));
    const prose = text.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) parsed.links.push({ target: match[1]!, line: index + 1 });
  });
  return parsed;
}

/** The shell blocks the docs test runs: sh, bash and shell fences (console fences are transcripts). */
export const isShellBlock = (block: CodeBlock): boolean => ['sh', 'bash', 'shell'].includes(block.lang);
