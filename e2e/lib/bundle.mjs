// Bundles the test pages (`e2e/pages/*.ts` → `e2e/dist/*.js`) with esbuild and copies their HTML.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pages = path.join(here, 'pages');
const dist = path.join(here, 'dist');
const entries = ['publisher', 'viewer'];

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist);
await build({
  entryPoints: entries.map((name) => path.join(pages, `${name}.ts`)),
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome120',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const name of entries) {
  fs.copyFileSync(path.join(pages, `${name}.html`), path.join(dist, `${name}.html`));
}
console.log(`e2e: bundled ${entries.join(', ')} into ${path.relative(process.cwd(), dist) || dist}`);
