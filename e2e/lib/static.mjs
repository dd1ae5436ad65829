// A tiny static file server on 127.0.0.1 for the bundled test pages (`e2e/dist`). The pages are
// on their own origin, so the browser talks to onair cross-origin exactly as a LiveKit app does.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

/** Serves `DIST`; resolves to `{ url, close() }`. */
export function serveStatic() {
  if (!fs.existsSync(path.join(DIST, 'viewer.html'))) {
    throw new Error(`test pages are not bundled in ${DIST}: run \`node e2e/lib/bundle.mjs\` (e2e/run does)`);
  }
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    const file = path.join(DIST, path.normalize(pathname).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(DIST + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
