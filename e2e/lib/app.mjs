// OnAir's own pages in the browser (not the test pages): a browser context per person, signed
// up through the API so the context holds the session cookie, and the page's state read
// through the bundle's debugging handle (`window.onair.snapshot()`). Each page records what
// `TestPage` records, and its failure report shows the bundle's state and announcements.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestPage } from './browser.mjs';
import { until } from './wait.mjs';

const AXE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'axe-core', 'axe.min.js');

/** A page of the real site (`/watch/{id}`, `/studio/{id}`) with the bundle mounted. */
export class AppPage extends TestPage {
  /** `window.onair.snapshot()`: the player's or the studio's state. */
  snapshot() {
    return this.page.evaluate(() => window.onair?.snapshot() ?? { loaded: false });
  }

  /** Waits until `probe(snapshot)` is truthy; returns that snapshot. */
  waitFor(what, probe, timeoutMs = 20_000) {
    return until(
      async () => {
        const s = await this.snapshot();
        return probe(s) && s;
      },
      { what: `${this.name}: ${what}`, timeoutMs, detail: async () => JSON.stringify(await this.snapshot()) },
    );
  }

  async report(lines = 120) {
    let state;
    try {
      state = JSON.stringify(await this.snapshot(), null, 1);
    } catch (e) {
      state = `(could not read the page's state: ${e.message.split('\n')[0]})`;
    }
    const pathOf = (u) => new URL(u).pathname;
    return [
      `=== ${this.name} page (${this.page.url()}) ===`,
      state,
      `--- HTTP responses other than assets ---`,
      ...this.responses.filter((r) => !pathOf(r.url).startsWith('/assets/')).map((r) => `${r.status} ${pathOf(r.url)}`),
      ...this.failedRequests.map((r) => `FAILED ${r.failure} ${r.url}`),
      `--- last ${lines} console lines ---`,
      this.console
        .filter((l) => !l.startsWith('[debug]'))
        .slice(-lines)
        .join('\n')
        .replace(/access_token=[\w.%-]+/g, 'access_token=…'),
    ].join('\n');
  }

  /**
   * axe-core's WCAG 2.1 A/AA violations on the page as it is now (rule id, impact, the first
   * offending nodes). axe is evaluated through the DevTools protocol, which the page's CSP does
   * not govern, so the page keeps its real CSP.
   */
  async axeViolations() {
    if (!(await this.page.evaluate(() => Boolean(window.axe)))) {
      await this.page.evaluate(fs.readFileSync(AXE, 'utf8'));
    }
    return this.page.evaluate(async () => {
      const result = await window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
      }));
    });
  }
}

/**
 * A person with their own browser context (cookies, permissions). `account` signs them up
 * through the API first; without it they are a guest.
 */
export async function person(suite, name, { account, viewport = { width: 1280, height: 720 } } = {}) {
  const context = await suite.browser.newContext({ viewport, baseURL: suite.onair.httpUrl });
  let profile = null;
  if (account) {
    const res = await context.request.post('/api/auth/signup', {
      data: { email: account.email, password: account.password ?? 'correct horse battery staple', name: account.name ?? name },
    });
    if (res.status() !== 201) throw new Error(`signing up ${account.email} answered ${res.status()}: ${await res.text()}`);
    profile = await res.json();
  }
  return {
    name,
    context,
    profile,
    /** Calls the JSON API with this person's cookies; returns `{ status, body }`. */
    async api(method, url, data) {
      const res = await context.request.fetch(url, { method, data, failOnStatusCode: false });
      const text = await res.text();
      let body = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status(), body };
    },
    /** Opens `url` of the site in a new tab of this context. */
    async open(url, label = `${name} ${url}`) {
      const p = new AppPage(label, await context.newPage(), profile?.id ?? 'guest');
      p.context = context;
      suite.open.push(p);
      await p.page.goto(url, { timeout: 15_000 });
      return p;
    },
  };
}
