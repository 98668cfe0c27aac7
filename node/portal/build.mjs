// Builds the portal into dist/ (checked in, so that building the node needs no JavaScript
// tools): one minified script bundling src/app.js with the verification library and the
// @noble packages, the minified stylesheet, the page and its icon. `npm run build`;
// `npm run check-dist` rebuilds into a temporary directory and fails if dist/ differs.
import { build } from 'esbuild';
import { mkdirSync, copyFileSync, readFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'lx-portal-')) : join(here, 'dist');
mkdirSync(out, { recursive: true });

const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning', target: ['es2022'] };
await build({ ...common, entryPoints: [join(here, 'src/app.js')], outfile: join(out, 'app.js'), format: 'iife' });
await build({ ...common, entryPoints: [join(here, 'src/app.css')], outfile: join(out, 'app.css') });
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'src/favicon.svg'), join(out, 'favicon.svg'));

let total = 0;
for (const f of ['app.js', 'app.css']) {
  const raw = readFileSync(join(out, f));
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  console.log(`${f}: ${raw.length} bytes, ${gz} gzipped`);
}
console.log(`script + style: ${total} bytes gzipped (budget 204800)`);
if (total > 200 * 1024) {
  console.error('over the 200 KB budget');
  process.exit(1);
}
if (check) {
  const dist = join(here, 'dist');
  const differ = readdirSync(out).filter((f) => !readFileSync(join(out, f)).equals(readFileSync(join(dist, f))));
  if (differ.length) {
    console.error(`dist/ is stale (${differ.join(', ')}): run npm run build in node/portal and commit dist/`);
    process.exit(1);
  }
  console.log('dist/ matches the sources');
}
