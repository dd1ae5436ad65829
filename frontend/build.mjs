// Bundles `src/main.ts` with esbuild into the web crate's embedded assets:
// `crates/onair-web/assets/app.js` and its source map `app.js.map`.
//
//   node build.mjs           write both files
//   node build.mjs --check   build in memory and fail if the committed files differ (stale)
//
// The output is deterministic (pinned esbuild, no timestamps, paths relative to the repository),
// so a check on any machine reproduces the committed bytes. The bundle's `sourceMappingURL`
// names the map by its content-addressed URL (`app.js.<hash>.map`, the hash computed exactly as
// `pages/assets.rs` does: the first 6 bytes of its SHA-256, in hex), so both files are served
// with immutable caching.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const assets = path.resolve(here, '..', 'crates', 'onair-web', 'assets');
const jsPath = path.join(assets, 'app.js');
const mapPath = path.join(assets, 'app.js.map');
const check = process.argv.includes('--check');

const result = await build({
  entryPoints: [path.join(here, 'src', 'main.ts')],
  outfile: jsPath,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: 'external',
  sourcesContent: true,
  legalComments: 'eof',
  charset: 'utf8',
  write: false,
  logLevel: 'warning',
  absWorkingDir: here,
});

const out = (suffix) => {
  const f = result.outputFiles.find((o) => o.path.endsWith(suffix));
  if (!f) throw new Error(`esbuild produced no ${suffix}`);
  return Buffer.from(f.contents);
};
const map = out('.js.map');
const hash = createHash('sha256').update(map).digest().subarray(0, 6).toString('hex');
const js = Buffer.concat([out('.js'), Buffer.from(`//# sourceMappingURL=app.js.${hash}.map\n`)]);

const rel = (p) => path.relative(path.resolve(here, '..'), p);
if (check) {
  const stale = [
    [jsPath, js],
    [mapPath, map],
  ].filter(([p, bytes]) => !fs.existsSync(p) || !fs.readFileSync(p).equals(bytes));
  if (stale.length) {
    console.error(
      `frontend: ${stale.map(([p]) => rel(p)).join(' and ')} ${stale.length > 1 ? 'are' : 'is'} stale: ` +
        'the committed bundle does not match frontend/src. Run `frontend/build` and commit the result.',
    );
    process.exit(1);
  }
  console.log(`frontend: ${rel(jsPath)} (${js.length} bytes) matches frontend/src`);
} else {
  fs.writeFileSync(jsPath, js);
  fs.writeFileSync(mapPath, map);
  console.log(`frontend: wrote ${rel(jsPath)} (${js.length} bytes) and ${rel(mapPath)} (${map.length} bytes)`);
}
