// The publisher mutes, unmutes and then unpublishes its camera; the viewer sees each change.
// Unpublishing has no signal message: livekit-client sets the transceiver inactive and
// renegotiates, and the server must notice it in the new offer.

import assert from 'node:assert/strict';
import { firstDecodedFrame, publishCameraAndMic, watch } from '../lib/media.mjs';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite();

suite.test('mute, unmute and unpublish of the camera reach the viewer', async () => {
  const { publisher, camera } = await publishCameraAndMic(suite, 'creator', 'unpublish-room');
  const m = await watch(suite, 'viewer', 'unpublish-room', publisher);
  await firstDecodedFrame(m);
  const cameraAsSeen = async () =>
    (await m.viewer.call('remoteParticipants'))
      .find((p) => p.identity === 'creator')
      ?.tracks.find((t) => t.sid === camera.sid);

  assert.equal(await publisher.call('setCameraMuted', true), 'ok');
  await until(async () => (await cameraAsSeen())?.muted === true, {
    what: 'the viewer sees the camera muted',
    detail: m.describe,
  });
  assert.equal(await publisher.call('setCameraMuted', false), 'ok');
  await until(async () => (await cameraAsSeen())?.muted === false, {
    what: 'the viewer sees the camera unmuted',
    detail: m.describe,
  });

  assert.equal(await publisher.call('unpublishCamera'), 'ok');
  await until(
    async () => {
      const s = await m.viewer.snapshot();
      return !s.subscribed.some((t) => t.sid === camera.sid) && !(await cameraAsSeen());
    },
    { what: 'the camera track goes away on the viewer', detail: m.describe },
  );
  const mic = (await m.viewer.snapshot()).subscribed.filter((t) => t.participant === 'creator');
  assert.deepEqual(mic.map((t) => t.kind), ['audio'], 'the microphone stays subscribed');
});
