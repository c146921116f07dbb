import { build, type Metafile } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The portal's source folder and where `npm run build` puts the served files. */
export const PORTAL_SOURCE = fileURLToPath(new URL('../src/portal/', import.meta.url));
export const PORTAL_OUTPUT = fileURLToPath(new URL('../dist/portal/', import.meta.url));

/** Files copied as they are; the server fills the two <meta> placeholders of index.html. */
export const PORTAL_STATIC_FILES = ['index.html', 'portal.css', 'favicon.svg'];

/**
 * The portal is browser code: it may use the client kit (with its libraries jose and
 * @noble/ed25519), the protocol and preact, and nothing of the server, the stores or the CLI (and
 * no Node built-in, which esbuild refuses for the browser).
 */
const ALLOWED_INPUT = /^(src\/portal\/|src\/client\/|src\/protocol\/|node_modules\/preact\/|node_modules\/@noble\/ed25519\/|node_modules\/jose\/|node_modules\/structured-headers\/)/;

/** Bundles src/portal into `outdir`: portal.js (one ES module, preact included), its map, and the static files. */
export async function buildPortal(outdir: string = PORTAL_OUTPUT): Promise<Metafile> {
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: [join(PORTAL_SOURCE, 'main.tsx')],
    outfile: join(outdir, 'portal.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const strays = Object.keys(result.metafile.inputs).filter((input) => !ALLOWED_INPUT.test(input));
  if (strays.length > 0)
    throw new Error(
      `The portal bundle may only use src/portal, src/client, src/protocol, preact and the client kit's browser-safe libraries (jose, @noble/ed25519, structured-headers); it pulled in: ${strays.join(', ')}`,
    );
  for (const file of PORTAL_STATIC_FILES) await copyFile(join(PORTAL_SOURCE, file), join(outdir, file));
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const metafile = await buildPortal();
  const [file, output] = Object.entries(metafile.outputs).find(([name]) => name.endsWith('.js'))!;
  console.log(`wrote ${file} (${output.bytes} bytes) and ${PORTAL_STATIC_FILES.join(', ')}`);
}
