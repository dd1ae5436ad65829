// A full stream. With three seats (the creator's and two viewers'), a third viewer's player
// says the stream is full and when it will ask again, while the creator still gets in: the
// platform refuses viewer tokens, not the creator's, once every other seat is counted.

import assert from 'node:assert/strict';
import { person } from '../lib/app.mjs';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite({ extraEnv: { ONAIR_MAX_PARTICIPANTS: '3' } });

suite.test('a viewer who finds every seat taken is told the stream is full, and the creator still gets in', async () => {
  const creator = await person(suite, 'creator', { account: { email: 'packed@example.test' } });
  const created = await creator.api('POST', '/api/streams', { title: 'Packed house' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  for (const n of [1, 2]) {
    const viewer = await person(suite, `viewer ${n}`);
    const watch = await viewer.open(`/watch/${id}`, `watch ${n}`);
    await watch.waitFor('the player joins the room', (x) => x.state === 'connected');
  }
  // The media server's participant_joined webhooks count both: no seat is left for viewers.
  const late = await person(suite, 'late viewer');
  const refusal = await until(
    async () => {
      const res = await late.api('POST', `/api/streams/${id}/token`);
      return res.status === 429 && res.body?.error?.code === 'stream_full' ? res : null;
    },
    { what: 'the token endpoint turns a third viewer away', timeoutMs: 10_000 },
  );
  assert.equal(refusal.body.error.code, 'stream_full');
  assert.equal(refusal.body.error.retryAfter, 15);

  const watch = await late.open(`/watch/${id}`, 'watch late');
  const full = await watch.waitFor('the player says the stream is full', (x) => x.stop === 'full');
  // It asks again after Retry-After, spread by up to half again so a crowd does not return at once.
  assert.match(full.overlay, /^This stream is full\. Every seat is taken\. Trying again in (1[5-9]|2[0-3]) s\.$/);
  assert.ok(full.announcements.includes(full.overlay), `announcements: ${full.announcements}`);
  await watch.page.getByRole('button', { name: 'Try again now' }).waitFor({ timeout: 5_000 });

  const own = await creator.api('POST', `/api/streams/${id}/token`);
  assert.equal(own.status, 200, 'the creator keeps a seat in their own full stream');
  assert.equal(own.body.role, 'creator');
});
