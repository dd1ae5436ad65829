// The publisher's signal connection is dropped with livekit-client's own simulations while a
// viewer watches. `signal-reconnect` closes the WebSocket without a leave: the client resumes
// (`reconnect=1&sid=…`, with the token the server refreshed), keeps its participant sid and
// tracks, and the viewer never sees it leave and keeps decoding. `resume-reconnect` makes the
// client abandon a successful resume and rejoin from scratch: the new session replaces the old
// one (same identity) and the viewer decodes the republished camera.

import assert from 'node:assert/strict';
import { TokenVerifier } from 'livekit-server-sdk';
import { firstDecodedFrame, publishCameraAndMic, watch } from '../lib/media.mjs';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite();

/** Waits until the viewer's decoded frame count grows by more than `n`. */
async function keepsDecoding(m, n, what) {
  const from = (await m.video())?.framesDecoded ?? 0;
  await until(async () => ((await m.video())?.framesDecoded ?? 0) > from + n, {
    what,
    timeoutMs: 15_000,
    detail: m.describe,
  });
}

suite.test('a publisher whose signal connection drops resumes without the viewer noticing', async () => {
  const { publisher, camera } = await publishCameraAndMic(suite, 'creator', 'resume-room');
  const m = await watch(suite, 'viewer', 'resume-room', publisher);
  await firstDecodedFrame(m);
  const before = await publisher.snapshot();
  assert.match(before.sid, /^PA_/);
  const originalToken = new URL(publisher.websockets.find((u) => u.includes('/rtc?'))).searchParams.get('access_token');
  const viewerEventsBefore = (await m.viewer.snapshot()).events.length;
  const freezesBefore = await m.video();

  const simulatedAt = await publisher.call('now');
  assert.equal(await publisher.call('simulate', 'signal-reconnect'), 'ok');
  const after = await until(
    async () => {
      const s = await publisher.snapshot();
      return s.events.includes('reconnected') && s.state === 'connected' && s;
    },
    {
      what: 'the publisher reports Reconnected and is connected again',
      timeoutMs: 20_000,
      detail: async () => JSON.stringify(await publisher.snapshot()),
    },
  );
  const reconnecting = after.events.filter((e) => e === 'signalReconnecting' || e === 'reconnecting');
  assert.ok(reconnecting.length > 0, `no Reconnecting/SignalReconnecting before Reconnected: ${after.events}`);
  assert.equal(after.sid, before.sid, 'a resume keeps the participant sid (a full rejoin would not)');
  assert.deepEqual(
    after.localTracks.map((t) => t.sid).sort(),
    before.localTracks.map((t) => t.sid).sort(),
    'the tracks keep their sids',
  );

  // The client resumed on /rtc with its session id and the token the server refreshed.
  const resumeUrl = publisher.websockets.map((u) => new URL(u)).find((u) => u.searchParams.get('reconnect') === '1');
  assert.ok(resumeUrl, `no reconnect=1 connection among ${publisher.websockets.length} websockets`);
  assert.equal(resumeUrl.pathname, '/rtc');
  assert.equal(resumeUrl.searchParams.get('sid'), before.sid);
  const resumeToken = resumeUrl.searchParams.get('access_token');
  assert.notEqual(resumeToken, originalToken, 'the resume used the refreshed token');
  const claims = await new TokenVerifier(suite.onair.apiKey, suite.onair.apiSecret).verify(resumeToken);
  assert.equal(claims.sub, 'creator');
  assert.equal(claims.video.room, 'resume-room');

  await keepsDecoding(m, 30, 'the viewer keeps decoding the camera after the resume (framesDecoded grows by more than 30)');
  const freezesAfter = await m.video();
  const resumedAt = after.eventTimes[after.events.indexOf('reconnected')];
  console.log(
    `resume: signal closed → Reconnected in ${Math.round(resumedAt - simulatedAt)} ms; ` +
      `viewer video freezes during it: ${(freezesAfter.freezeCount ?? 0) - (freezesBefore.freezeCount ?? 0)} ` +
      `(${Math.round(((freezesAfter.totalFreezesDuration ?? 0) - (freezesBefore.totalFreezesDuration ?? 0)) * 1000)} ms)`,
  );
  const viewer = await m.viewer.snapshot();
  const seen = viewer.events.slice(viewerEventsBefore);
  assert.deepEqual(seen, [], `the viewer saw the publisher come and go: ${seen}`);
  const creator = viewer.remoteParticipants.find((p) => p.identity === 'creator');
  assert.equal(creator?.sid, before.sid);
  assert.ok(creator.tracks.some((t) => t.sid === camera.sid && t.subscribed), 'the viewer is still subscribed to the camera');
});

suite.test('a client that abandons its resume rejoins, replacing its old session', async () => {
  const { publisher } = await publishCameraAndMic(suite, 'creator2', 'rejoin-room');
  const m = await watch(suite, 'viewer2', 'rejoin-room', publisher);
  await firstDecodedFrame(m);
  const before = await publisher.snapshot();

  assert.equal(await publisher.call('simulate', 'resume-reconnect'), 'ok');
  const after = await until(
    async () => {
      const s = await publisher.snapshot();
      return s.sid !== before.sid && s.events.includes('reconnected') && s.state === 'connected' && s;
    },
    {
      what: 'the publisher rejoins with a new participant sid',
      timeoutMs: 30_000,
      detail: async () => JSON.stringify(await publisher.snapshot()),
    },
  );
  assert.match(after.sid, /^PA_/);
  await until(
    async () => {
      const v = await m.viewer.snapshot();
      const p = v.remoteParticipants.filter((x) => x.identity === 'creator2');
      return p.length === 1 && p[0].sid === after.sid && p[0].tracks.some((t) => t.kind === 'video' && t.subscribed);
    },
    { what: 'the viewer sees exactly one creator2, the new session, with its camera subscribed', timeoutMs: 20_000, detail: m.describe },
  );
  await keepsDecoding(m, 30, "the viewer decodes the rejoined publisher's camera (framesDecoded grows by more than 30)");
});
