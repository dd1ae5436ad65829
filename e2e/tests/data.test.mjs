// Data packets between browsers: livekit-client sends them on its `_reliable` / `_lossy`
// channels of the publisher peer connection, and the server relays them to the other
// participants (with the sender's identity) on the channels of their subscriber connection.

import assert from 'node:assert/strict';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

const suite = setupSuite();
const ROOM = 'data-room';

suite.test('a reliable data packet reaches the other page with the sender identity and topic', async () => {
  const alice = await suite.openPage('viewer', { name: 'alice', token: await suite.onair.token('alice', ROOM) });
  const bob = await suite.openPage('viewer', { name: 'bob', token: await suite.onair.token('bob', ROOM) });
  await alice.waitConnected();
  await bob.waitConnected();
  await until(async () => (await alice.call('remoteParticipants')).some((p) => p.identity === 'bob'), {
    what: 'alice sees bob in the room',
    detail: async () => JSON.stringify(await alice.snapshot()),
  });

  // The server relays on the receiver's subscriber-connection `_reliable` channel, which may
  // open after the SDK already reports `connected`: the server holds reliable packets until it
  // opens, so bob sends at once.
  assert.equal(await bob.call('sendData', 'hello from bob', 'lk.chat'), 'ok');
  const got = await until(
    async () => (await alice.snapshot()).received.find((d) => d.text === 'hello from bob'),
    { what: "alice receives bob's data packet", detail: async () => JSON.stringify((await alice.snapshot()).received) },
  );
  assert.equal(got.from, 'bob', 'the packet names its sender');
  assert.equal(got.topic, 'lk.chat');
  assert.deepEqual((await bob.snapshot()).received, [], 'the sender does not receive its own packet');
});
