// The viewer asks for the LOW simulcast layer and then HIGH again
// (RemoteTrackPublication.setVideoQuality); the decoded width must follow.

import assert from 'node:assert/strict';
import { firstDecodedFrame, publishCameraAndMic, watch } from '../lib/media.mjs';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite();

suite.test('switching the viewer to LOW lowers the decoded width, and HIGH raises it again', async () => {
  const { publisher } = await publishCameraAndMic(suite, 'creator', 'layers-room');
  const m = await watch(suite, 'viewer', 'layers-room', publisher);
  await firstDecodedFrame(m);
  const width = async () => (await m.video())?.frameWidth ?? 0;

  assert.equal(await m.viewer.call('setVideoQuality', 'high'), 'ok');
  // Chrome enables its upper simulcast layers only once its bandwidth estimate (fed by the
  // server's transport-cc or REMB feedback) covers them: wait for at least two.
  const widths = await until(
    async () => {
      const layers = await publisher.call('outboundVideoStats');
      const w = layers.filter((l) => l.active !== false && l.frameWidth > 0).map((l) => l.frameWidth);
      return w.length >= 2 && w;
    },
    { what: 'the publisher encodes at least two simulcast layers', timeoutMs: 20_000, detail: m.describe },
  );
  // HIGH must deliver something wider than the lowest layer.
  const lowest = Math.min(...widths);
  const high = await until(async () => (await width()) > lowest && (await width()), {
    what: `the viewer decodes a layer wider than the lowest (${lowest}px) at HIGH`,
    timeoutMs: 20_000,
    detail: m.describe,
  });

  assert.equal(await m.viewer.call('setVideoQuality', 'low'), 'ok');
  const low = await until(
    async () => {
      const w = await width();
      return w > 0 && w < high && w;
    },
    { what: `the decoded width drops below ${high}px after LOW`, timeoutMs: 15_000, detail: m.describe },
  );
  const lowFrames = (await m.video()).framesDecoded;
  await until(async () => (await m.video()).framesDecoded > lowFrames + 10, {
    what: 'the viewer keeps decoding on the LOW layer',
    timeoutMs: 10_000,
    detail: m.describe,
  });

  assert.equal(await m.viewer.call('setVideoQuality', 'high'), 'ok');
  const back = await until(async () => (await width()) > low && (await width()), {
    what: `the decoded width rises above ${low}px after HIGH`,
    timeoutMs: 15_000,
    detail: m.describe,
  });
  console.log(`layer switch: HIGH ${high}px → LOW ${low}px → HIGH ${back}px`);
});
