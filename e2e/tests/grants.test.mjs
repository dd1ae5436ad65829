// A token without `canPublish` cannot get media to anyone: publishing fails, and the other page
// never sees a track from that participant.

import assert from 'node:assert/strict';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite();
const ROOM = 'grants-room';
/** How long the other page watches for a track that must never arrive. */
const OBSERVE_MS = 3_000;

suite.test('a subscribe-only participant cannot publish its camera', async () => {
  const watcher = await suite.openPage('viewer', { name: 'watcher', token: await suite.onair.token('watcher', ROOM) });
  await watcher.waitConnected();
  const viewerToken = await suite.onair.token('subscribe-only', ROOM, { canPublish: false, canSubscribe: true });
  const viewer = await suite.openPage('viewer', { token: viewerToken });
  await viewer.waitConnected();
  await until(
    async () => (await watcher.call('remoteParticipants')).some((p) => p.identity === 'subscribe-only'),
    { what: 'the watcher sees the subscribe-only participant join', detail: async () => JSON.stringify(await watcher.snapshot()) },
  );

  const result = await viewer.call('tryPublishCamera');
  // Whether the client refuses (its JoinResponse says canPublish=false) or the server does, no
  // track of this participant may reach the watcher. Absence can only be observed for a while.
  const deadline = Date.now() + OBSERVE_MS;
  while (Date.now() < deadline) {
    const seen = (await watcher.call('remoteParticipants')).find((p) => p.identity === 'subscribe-only');
    assert.deepEqual(seen?.tracks ?? [], [], `a track of the subscribe-only participant reached the watcher (publish result: ${result})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const local = (await viewer.snapshot()).localTracks;
  assert.ok(
    result !== 'ok' || local.length === 0,
    `setCameraEnabled(true) succeeded for a subscribe-only token and left publications ${JSON.stringify(local)}`,
  );
  console.log(`subscribe-only publish attempt: ${result}`);
});
