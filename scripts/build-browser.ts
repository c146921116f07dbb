import { analyzeMetafile, build, type Metafile } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The client kit's browser entry: must import no Node built-in (esbuild fails if it does). */
export const BROWSER_ENTRY = fileURLToPath(new URL('../src/client/browser.ts', import.meta.url));
export const BROWSER_BUNDLE = fileURLToPath(new URL('../dist/browser/signet-client.js', import.meta.url));

/** Bundles the browser-safe client kit into one ES module for `<script type="module">`. */
export async function buildBrowserBundle(outfile: string = BROWSER_BUNDLE): Promise<Metafile> {
  const result = await build({
    entryPoints: [BROWSER_ENTRY],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const metafile = await buildBrowserBundle();
  const [file, output] = Object.entries(metafile.outputs).find(([name]) => name.endsWith('.js'))!;
  // The size a browser downloads is the gzip one; --analyze says which module brought each byte.
  const gzipped = gzipSync(await readFile(file), { level: 9 }).length;
  console.log(`wrote ${file} (${output.bytes} bytes, ${gzipped} gzipped)`);
  if (process.argv.includes('--analyze')) console.log(await analyzeMetafile(metafile, { verbose: true }));
}
