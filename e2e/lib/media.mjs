// Shared steps of the media tests: a publisher page with camera + microphone (livekit-client
// defaults, so simulcast for the camera), a subscribe-only viewer page, and probes of what the
// viewer decodes, with a description of both sides for failure messages.

import assert from 'node:assert/strict';
import { until } from './wait.mjs';

/** Opens a publisher page as `identity` in `room` and waits until camera and mic are published. */
export async function publishCameraAndMic(suite, identity, room) {
  const publisher = await suite.openPage('publisher', { token: await suite.onair.token(identity, room) });
  await publisher.waitConnected();
  const published = await until(
    async () => {
      const s = await publisher.snapshot();
      if (s.publishError) throw new Error(`publishing failed: ${s.publishError}`);
      return s.published && s.localTracks.length === 2 && s;
    },
    {
      what: 'the publisher has published camera and microphone',
      timeoutMs: 20_000,
      detail: async () => JSON.stringify(await publisher.snapshot()),
    },
  );
  const camera = published.localTracks.find((t) => t.source === 'camera');
  assert.ok(camera, `no camera publication: ${JSON.stringify(published.localTracks)}`);
  return { publisher, camera };
}

/** Opens a subscribe-only viewer page and waits until it has subscribed to `publisher`'s video and audio. */
export async function watch(suite, identity, room, publisher) {
  const token = await suite.onair.token(identity, room, { canPublish: false });
  const viewer = await suite.openPage('viewer', { token });
  await viewer.waitConnected();
  const probe = mediaProbe(publisher, viewer);
  await until(
    async () => {
      const s = await viewer.snapshot();
      const kinds = new Set(s.subscribed.filter((t) => t.participant === publisher.identity).map((t) => t.kind));
      return kinds.has('video') && kinds.has('audio');
    },
    { what: "the viewer has subscribed to the publisher's video and audio", timeoutMs: 20_000, detail: probe.describe },
  );
  return { viewer, ...probe };
}

/** Readers of the viewer's inbound stats and a description of both pages. */
export function mediaProbe(publisher, viewer) {
  const video = () => viewer.call('inboundStats', 'video');
  const audio = () => viewer.call('inboundStats', 'audio');
  const describe = async () =>
    JSON.stringify({
      viewerVideo: await video(),
      viewerAudio: await audio(),
      viewer: await viewer.snapshot(),
      publisherLayers: await publisher.call('outboundVideoStats'),
    });
  return { video, audio, describe };
}

/** Waits until the viewer decodes video frames; returns the first inbound video stats seen. */
export function firstDecodedFrame({ video, describe }, timeoutMs = 20_000) {
  return until(
    async () => {
      const v = await video();
      return v && v.framesDecoded > 0 && v.frameWidth > 0 && v;
    },
    { what: 'the viewer decodes a video frame (framesDecoded > 0, frameWidth > 0)', timeoutMs, detail: describe },
  );
}
