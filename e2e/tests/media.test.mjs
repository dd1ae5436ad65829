// One page publishes the fake camera and microphone with livekit-client's default options
// (simulcast on for the camera); another page subscribes and decodes. Then the viewer switches
// the simulcast layer it receives down to LOW and back up to HIGH.

import assert from 'node:assert/strict';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite();
const ROOM = 'media-room';
let publisher;
let viewer;

/** The viewer's current inbound video stats (null until a video track is subscribed). */
const video = () => viewer.call('inboundStats', 'video');
const audio = () => viewer.call('inboundStats', 'audio');
const describeMedia = async () =>
  JSON.stringify({
    viewerVideo: await video(),
    viewerAudio: await audio(),
    viewer: await viewer.snapshot(),
    publisherLayers: await publisher.call('outboundVideoStats'),
  });

suite.test('a viewer decodes the video and receives the audio of a simulcast camera + mic publisher', async () => {
  publisher = await suite.openPage('publisher', { token: await suite.onair.token('creator', ROOM) });
  await publisher.waitConnected();
  const published = await until(
    async () => {
      const s = await publisher.snapshot();
      if (s.publishError) throw new Error(`publishing failed: ${s.publishError}`);
      return s.published && s.localTracks.length === 2 && s;
    },
    { what: 'the publisher has published camera and microphone', timeoutMs: 20_000, detail: async () => JSON.stringify(await publisher.snapshot()) },
  );
  const cam = published.localTracks.find((t) => t.source === 'camera');
  assert.ok(cam, `no camera publication: ${JSON.stringify(published.localTracks)}`);
  assert.ok(cam.simulcasted, 'the camera is not published with simulcast');
  assert.match(cam.sid, /^TR_/, 'track sids carry the TR_ prefix');

  const viewerToken = await suite.onair.token('viewer', ROOM, { canPublish: false });
  viewer = await suite.openPage('viewer', { token: viewerToken });
  await viewer.waitConnected();
  await until(
    async () => {
      const s = await viewer.snapshot();
      const kinds = new Set(s.subscribed.filter((t) => t.participant === 'creator').map((t) => t.kind));
      return kinds.has('video') && kinds.has('audio');
    },
    { what: "the viewer has subscribed to the creator's video and audio", timeoutMs: 20_000, detail: describeMedia },
  );

  const first = await until(
    async () => {
      const v = await video();
      return v && v.framesDecoded > 0 && v.frameWidth > 0 && v;
    },
    { what: 'the viewer decodes a video frame (framesDecoded > 0, frameWidth > 0)', timeoutMs: 20_000, detail: describeMedia },
  );
  await until(async () => (await video()).framesDecoded > first.framesDecoded + 10, {
    what: 'the viewer keeps decoding video (framesDecoded grows by more than 10)',
    timeoutMs: 10_000,
    detail: describeMedia,
  });
  const a0 = await until(async () => (await audio())?.packetsReceived > 0 && (await audio()), {
    what: 'the viewer receives audio packets',
    timeoutMs: 10_000,
    detail: describeMedia,
  });
  await until(async () => (await audio()).packetsReceived > a0.packetsReceived + 10, {
    what: 'audio packets keep arriving (packetsReceived grows by more than 10)',
    timeoutMs: 10_000,
    detail: describeMedia,
  });

  const joined = await until(async () => (await viewer.snapshot()).firstVideoFrameMs, {
    what: "the viewer's video element presents a frame",
    timeoutMs: 10_000,
    detail: describeMedia,
  });
  console.log(
    `join time (viewer page load → first decoded video frame): ${Math.round(joined)} ms; ` +
      `codec ${first.codec}, first frame ${first.frameWidth}x${first.frameHeight}`,
  );
});

suite.test('switching the viewer to LOW lowers the decoded width, and HIGH raises it again', async () => {
  assert.ok(viewer && publisher, 'needs the pages of the previous test');
  const width = async () => (await video())?.frameWidth ?? 0;

  assert.equal(await viewer.call('setVideoQuality', 'high'), 'ok');
  // Chrome enables its upper simulcast layers only once its bandwidth estimate (fed by the
  // server's transport-cc or REMB feedback) covers them: wait for at least two.
  const widths = await until(
    async () => {
      const layers = await publisher.call('outboundVideoStats');
      const w = layers.filter((l) => l.active !== false && l.frameWidth > 0).map((l) => l.frameWidth);
      return w.length >= 2 && w;
    },
    { what: 'the publisher encodes at least two simulcast layers', timeoutMs: 20_000, detail: describeMedia },
  );
  // HIGH must deliver something wider than the lowest layer.
  const lowest = Math.min(...widths);
  const high = await until(async () => (await width()) > lowest && (await width()), {
    what: `the viewer decodes a layer wider than the lowest (${lowest}px) at HIGH`,
    timeoutMs: 20_000,
    detail: describeMedia,
  });

  assert.equal(await viewer.call('setVideoQuality', 'low'), 'ok');
  const low = await until(async () => {
    const w = await width();
    return w > 0 && w < high && w;
  }, { what: `the decoded width drops below ${high}px after LOW`, timeoutMs: 15_000, detail: describeMedia });
  const lowFrames = (await video()).framesDecoded;
  await until(async () => (await video()).framesDecoded > lowFrames + 10, {
    what: 'the viewer keeps decoding on the LOW layer',
    timeoutMs: 10_000,
    detail: describeMedia,
  });

  assert.equal(await viewer.call('setVideoQuality', 'high'), 'ok');
  const back = await until(async () => (await width()) > low && (await width()), {
    what: `the decoded width rises above ${low}px after HIGH`,
    timeoutMs: 15_000,
    detail: describeMedia,
  });
  console.log(`layer switch: HIGH ${high}px → LOW ${low}px → HIGH ${back}px`);
});
