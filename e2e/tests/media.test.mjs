// One page publishes the fake camera and microphone with livekit-client's default options
// (simulcast on for the camera); another page subscribes and decodes both.

import assert from 'node:assert/strict';
import { firstDecodedFrame, publishCameraAndMic, watch } from '../lib/media.mjs';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite();

suite.test('a viewer decodes the video and receives the audio of a simulcast camera + mic publisher', async () => {
  const { publisher, camera } = await publishCameraAndMic(suite, 'creator', 'media-room');
  assert.ok(camera.simulcasted, 'the camera is not published with simulcast');
  assert.match(camera.sid, /^TR_/, 'track sids carry the TR_ prefix');

  const m = await watch(suite, 'viewer', 'media-room', publisher);
  const first = await firstDecodedFrame(m);
  await until(async () => (await m.video()).framesDecoded > first.framesDecoded + 10, {
    what: 'the viewer keeps decoding video (framesDecoded grows by more than 10)',
    timeoutMs: 10_000,
    detail: m.describe,
  });
  const a0 = await until(async () => (await m.audio())?.packetsReceived > 0 && (await m.audio()), {
    what: 'the viewer receives audio packets',
    timeoutMs: 10_000,
    detail: m.describe,
  });
  await until(async () => (await m.audio()).packetsReceived > a0.packetsReceived + 10, {
    what: 'audio packets keep arriving (packetsReceived grows by more than 10)',
    timeoutMs: 10_000,
    detail: m.describe,
  });
  assert.equal(a0.codec, 'audio/opus');

  const joined = await until(async () => (await m.viewer.snapshot()).firstVideoFrameMs, {
    what: "the viewer's video element presents a frame",
    timeoutMs: 10_000,
    detail: m.describe,
  });
  console.log(
    `join time (viewer page load → first decoded video frame): ${Math.round(joined)} ms; ` +
      `codec ${first.codec}, first frame ${first.frameWidth}x${first.frameHeight}`,
  );
});
