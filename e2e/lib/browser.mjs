// Headless Debian Chromium, driven by playwright-core (no downloaded browser), with fake camera
// and microphone. Each opened page records its console, page errors, the WebSocket URLs it
// dialled and the HTTP statuses it received, for assertions and for failure reports.

import { chromium } from 'playwright-core';
import { fatal, until } from './wait.mjs';

export const CHROMIUM = process.env.ONAIR_CHROMIUM || '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * Launches Chromium. `grantMedia: false` leaves out the flag that accepts every camera and
 * microphone prompt, so the browser itself denies them unless a context grants the permission.
 */
export function launchChromium({ grantMedia = true } = {}) {
  const args = grantMedia ? ARGS : ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 30_000 });
}

/** One test page and what it has done so far. */
export class TestPage {
  constructor(name, page, identity) {
    this.name = name;
    /** The participant identity the page's token carries. */
    this.identity = identity;
    this.page = page;
    /** Console lines and page errors, in order. */
    this.console = [];
    /** URLs of WebSockets the page opened. */
    this.websockets = [];
    /** `{ url, status }` of every HTTP response the page received. */
    this.responses = [];
    /** `{ url, failure }` of requests that got no response (CORS, refused, …). */
    this.failedRequests = [];
    page.on('console', (m) => this.console.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => this.console.push(`[pageerror] ${e.stack ?? e}`));
    page.on('websocket', (ws) => this.websockets.push(ws.url()));
    page.on('response', (r) => this.responses.push({ url: r.url(), status: r.status() }));
    page.on('requestfailed', (r) =>
      this.failedRequests.push({ url: r.url(), failure: r.failure()?.errorText }),
    );
  }

  /** Calls `window.e2e[method](...args)` in the page and returns its (serialisable) result. */
  call(method, ...args) {
    return this.page.evaluate(([m, a]) => window.e2e[m](...a), [method, args]);
  }

  /** The page's exported state (`window.e2e.snapshot()`). */
  snapshot() {
    return this.page.evaluate(() => window.e2e?.snapshot() ?? { loaded: false });
  }

  /** Waits until the room reports `connected`; fails with the page's error and state otherwise. */
  async waitConnected(timeoutMs = 20_000) {
    return until(
      async () => {
        const s = await this.snapshot();
        if (s.error) throw fatal(`the ${this.name} page failed to connect: ${s.error}`);
        return s.state === 'connected' && s;
      },
      {
        what: `the ${this.name} page's room reaches \`connected\``,
        timeoutMs,
        detail: async () => JSON.stringify(await this.snapshot()),
      },
    );
  }

  /**
   * The page's state, both peer connections (states and SDP), console and network record, for
   * failure reports.
   */
  async report(lines = 200) {
    const inPage = async (what, fn) => {
      try {
        return JSON.stringify(await this.page.evaluate(fn), null, 1);
      } catch (e) {
        return `(could not read ${what}: ${e.message.split('\n')[0]})`;
      }
    };
    const pathOf = (u) => new URL(u).pathname;
    // Tokens are secrets and the v1 join request is kilobytes of base64: keep reports readable.
    const short = (text) =>
      text
        .replace(/access_token=[\w.%-]+/g, 'access_token=…')
        .replace(/join_request=([\w%=-]+)/g, (_, v) => `join_request=<${v.length} chars>`);
    return [
      `=== ${this.name} page ===`,
      `--- state ---`,
      await inPage('state', () => window.e2e?.snapshot()),
      `--- peer connections ---`,
      await inPage('peer connections', () => window.e2e?.transports()),
      `--- websockets ---`,
      ...this.websockets.map(short),
      `--- HTTP responses other than the page itself ---`,
      ...this.responses
        .filter((r) => !/\.(html|js|map)$/.test(pathOf(r.url)))
        .map((r) => short(`${r.status} ${r.url}`)),
      ...this.failedRequests.map((r) => short(`FAILED ${r.failure} ${r.url}`)),
      `--- last ${lines} console lines ---`,
      short(this.console.slice(-lines).join('\n')),
    ].join('\n');
  }
}

/**
 * Opens `page` (`publisher` or `viewer`) from the static server in a fresh browser context,
 * connecting to `wsUrl` with `token`. `name` labels it in reports.
 */
export async function openPage(browser, staticUrl, page, { name = page, wsUrl, token }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const identity = JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).sub;
  const p = new TestPage(name, await context.newPage(), identity);
  p.context = context;
  const q = new URLSearchParams({ url: wsUrl, token });
  await p.page.goto(`${staticUrl}/${page}.html?${q}`, { timeout: 15_000 });
  return p;
}
