// A browser with livekit-client's default options dials the single-PC `/rtc/v1` first; OnAir
// answers it with 404 (and `/rtc/v1/validate` with 404 and CORS), so the client falls back to the
// classic dual-PC `/rtc` and connects.

import assert from 'node:assert/strict';
import { setupSuite } from '../lib/suite.mjs';

const suite = setupSuite();

suite.test('a default client falls back from /rtc/v1 to /rtc and reaches connected', async () => {
  const token = await suite.onair.token('fallback-viewer', 'fallback-room', { canPublish: false });
  const viewer = await suite.openPage('viewer', { token });
  await viewer.waitConnected();

  const paths = viewer.websockets.map((u) => new URL(u).pathname);
  const v1 = paths.indexOf('/rtc/v1');
  const v0 = paths.indexOf('/rtc');
  assert.notEqual(v1, -1, `the client never dialled /rtc/v1 (websockets: ${viewer.websockets.join(', ')})`);
  assert.ok(v0 > v1, `the client did not dial /rtc after /rtc/v1 (websockets: ${viewer.websockets.join(', ')})`);
  const validate = viewer.responses.find((r) => new URL(r.url).pathname === '/rtc/v1/validate');
  assert.ok(validate, 'the client never fetched /rtc/v1/validate (or the response was blocked by CORS)');
  assert.equal(validate.status, 404, '/rtc/v1/validate must answer 404 so the client falls back');

  const v0Url = new URL(viewer.websockets[v0]);
  assert.equal(v0Url.searchParams.get('protocol'), '17');
  assert.equal(v0Url.searchParams.get('sdk'), 'js');
});
