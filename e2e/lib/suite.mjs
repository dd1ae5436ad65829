// The per-file fixture: one `onair serve`, one static page server and one Chromium for all the
// tests of a file, torn down after it. `suite.test()` wraps `node:test`'s `test()` so a failing
// test's error carries the server log and every open page's console and network record.

import assert from 'node:assert/strict';
import { after, before, test as nodeTest } from 'node:test';
import { launchChromium, openPage } from './browser.mjs';
import { startOnair } from './onair.mjs';
import { serveStatic } from './static.mjs';

export function setupSuite({ extraEnv } = {}) {
  const suite = {
    onair: null,
    pages: null,
    browser: null,
    open: [],
    failed: false,

    /** Opens a test page (`publisher` or `viewer`) connecting to this file's onair. */
    async openPage(kind, { name = kind, token }) {
      const p = await openPage(this.browser, this.pages.url, kind, { name, wsUrl: this.onair.wsUrl, token });
      this.open.push(p);
      return p;
    },

    async closePage(p) {
      this.open = this.open.filter((x) => x !== p);
      await p.context.close();
    },

    /** Everything a failure report needs. */
    async diagnostics() {
      const parts = [];
      for (const p of this.open) parts.push(await p.report());
      if (this.onair) parts.push(`--- onair log (${this.onair.logPath}) ---\n${this.onair.logTail(15_000)}`);
      return parts.join('\n');
    },

    /** `node:test`'s `test()`, with diagnostics attached to any failure. */
    test(name, fn) {
      return nodeTest(name, async (t) => {
        try {
          await fn(t);
        } catch (e) {
          this.failed = true;
          const err = e instanceof Error ? e : new Error(String(e));
          err.message = `${err.message}\n\n${await this.diagnostics()}`;
          throw err;
        }
      });
    },
  };

  before(async () => {
    suite.onair = await startOnair({ extraEnv });
    suite.pages = await serveStatic();
    suite.browser = await launchChromium();
  });

  after(async () => {
    for (const p of suite.open) await p.context.close().catch(() => {});
    await suite.browser?.close().catch(() => {});
    await suite.pages?.close();
    if (!suite.onair) return;
    const { code, signal } = await suite.onair.stop();
    const log = suite.onair.logTail(5_000);
    // Kept for inspection when something failed, or on request (ONAIR_E2E_KEEP=1).
    if (!suite.failed && code === 0 && !process.env.ONAIR_E2E_KEEP) suite.onair.cleanup();
    else console.log(`onair data and log kept in ${suite.onair.tmpDir}`);
    assert.equal(code, 0, `onair exited with code ${code} (signal ${signal}) after SIGTERM:\n${log}`);
  });

  return suite;
}
