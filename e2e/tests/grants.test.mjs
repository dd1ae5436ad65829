// A token without `canPublish` cannot get media to anyone: livekit-client refuses to publish,
// and a client that ignores its grants is refused by the server; either way the other page
// never sees a track from that participant.

import assert from 'node:assert/strict';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite();
const ROOM = 'grants-room';
/** How long the other page watches for a track that must never arrive. */
const OBSERVE_MS = 3_000;

/** A watcher (full grants) and a subscribe-only participant `identity`, both connected. */
async function watcherAndSubscribeOnly(identity) {
  const watcher = await suite.openPage('viewer', {
    name: `watcher of ${identity}`,
    token: await suite.onair.token(`watcher-${identity}`, ROOM),
  });
  await watcher.waitConnected();
  const token = await suite.onair.token(identity, ROOM, { canPublish: false, canSubscribe: true });
  const viewer = await suite.openPage('viewer', { name: identity, token });
  await viewer.waitConnected();
  await until(async () => (await watcher.call('remoteParticipants')).some((p) => p.identity === identity), {
    what: `the watcher sees ${identity} join`,
    detail: async () => JSON.stringify(await watcher.snapshot()),
  });
  return { watcher, viewer };
}

/** Asserts for OBSERVE_MS that `watcher` sees no track of `identity`. */
async function assertNoTrackArrives(watcher, identity, context) {
  // Absence can only be observed for a while: poll the watcher's view throughout the window.
  const deadline = Date.now() + OBSERVE_MS;
  while (Date.now() < deadline) {
    const seen = (await watcher.call('remoteParticipants')).find((p) => p.identity === identity);
    assert.deepEqual(seen?.tracks ?? [], [], `a track of ${identity} reached the watcher (${context})`);
    assert.deepEqual((await watcher.snapshot()).subscribed.filter((t) => t.participant === identity), []);
    await new Promise((r) => setTimeout(r, 250));
  }
}

suite.test('a subscribe-only participant cannot publish its camera', async () => {
  const { watcher, viewer } = await watcherAndSubscribeOnly('subscribe-only');
  const result = await viewer.call('tryPublishCamera');
  console.log(`subscribe-only publish attempt: ${result}`);
  assert.notEqual(result, 'ok', 'setCameraEnabled(true) succeeded for a subscribe-only token');
  await assertNoTrackArrives(watcher, 'subscribe-only', `publish result: ${result}`);
});

suite.test('the server refuses a client that publishes despite its missing canPublish grant', async () => {
  const { watcher, viewer } = await watcherAndSubscribeOnly('grant-ignoring');
  const result = await viewer.call('tryPublishCameraIgnoringGrants');
  console.log(`grant-ignoring publish attempt: ${result}`);
  assert.notEqual(result, 'ok', 'the server accepted a camera from a token without canPublish');
  await assertNoTrackArrives(watcher, 'grant-ignoring', `publish result: ${result}`);
});
