// LiveKit's Node server SDK (`livekit-server-sdk`, RoomService over `application/json`) and its
// WebhookReceiver against a real `onair serve` on free loopback ports. Run by `interop/run`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { AccessToken, DataPacket_Kind, RoomServiceClient, WebhookReceiver } from 'livekit-server-sdk';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.ONAIR_BIN ?? path.join(ROOT, 'target', 'debug', 'onair');
const WAIT_MS = 10_000;

function freePort(udp = false) {
  return new Promise((resolve, reject) => {
    if (udp) {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      s.on('error', reject);
    } else {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      s.on('error', reject);
    }
  });
}

/** Starts `onair serve` with its own data directory and key pair; resolves once /readyz answers. */
async function startOnair(extraEnv = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'onair-interop-node-'));
  const port = await freePort();
  const key = 'onair-test-key';
  const secret = randomBytes(32).toString('base64url');
  const env = {
    ...process.env,
    ONAIR_BIND: `127.0.0.1:${port}`,
    ONAIR_DATA_DIR: path.join(dir, 'data'),
    LIVEKIT_API_KEY: key,
    LIVEKIT_API_SECRET: secret,
    ONAIR_RTC_UDP_PORT: String(await freePort(true)),
    ONAIR_RTC_TCP_PORT: String(await freePort()),
    ONAIR_RTC_ADVERTISE_IP: '127.0.0.1',
    RUST_LOG: process.env.ONAIR_TEST_LOG ?? 'info',
    ...extraEnv,
  };
  for (const name of ['LIVEKIT_URL', 'LIVEKIT_WS_URL', 'DATABASE_URL']) delete env[name];
  const logPath = path.join(dir, 'onair.log');
  const log = openSync(logPath, 'w');
  const proc = spawn(BIN, ['serve'], { env, cwd: dir, stdio: ['ignore', log, log] });
  let spawnError = null;
  proc.once('error', (e) => (spawnError = e));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError) throw new Error(`could not start ${BIN}: ${spawnError.message}`);
    if (proc.exitCode !== null) throw new Error(`onair exited early:\n${readFileSync(logPath, 'utf8')}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // connection refused while it starts
    }
    if (Date.now() > deadline) throw new Error(`onair not ready within 30 s:\n${readFileSync(logPath, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, key, secret, proc, stop, log: () => readFileSync(logPath, 'utf8') };
}

/** The Twirp code, status and message a call failed with. */
async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return { code: e.code, status: e.status, message: e.message };
  }
  assert.fail('the call was expected to fail');
}

describe('RoomService over JSON (livekit-server-sdk)', () => {
  let onair;
  let rooms;
  before(async () => {
    onair = await startOnair();
    rooms = new RoomServiceClient(onair.url, onair.key, onair.secret, { failover: false });
  });
  after(async () => onair?.stop());

  test('rooms are created, listed, updated and deleted', async () => {
    const room = await rooms.createRoom({
      name: 'show',
      emptyTimeout: 60,
      departureTimeout: 5,
      maxParticipants: 10,
      metadata: 'first',
    });
    assert.match(room.sid, /^RM_/);
    assert.deepEqual(
      [room.name, room.emptyTimeout, room.departureTimeout, room.maxParticipants, room.metadata],
      ['show', 60, 5, 10, 'first'],
    );
    const same = await rooms.createRoom({ name: 'show' });
    assert.equal(same.sid, room.sid);
    assert.equal(same.emptyTimeout, 60);
    await rooms.createRoom({ name: 'other' });
    assert.deepEqual((await rooms.listRooms()).map((r) => r.name), ['other', 'show']);
    assert.deepEqual((await rooms.listRooms(['show', 'missing'])).map((r) => r.sid), [room.sid]);
    const updated = await rooms.updateRoomMetadata('show', 'live');
    assert.equal(updated.metadata, 'live');
    assert.deepEqual(await rooms.listParticipants('show'), []);
    await rooms.sendData('show', new TextEncoder().encode('nobody here'), DataPacket_Kind.RELIABLE, {});

    await rooms.deleteRoom('show');
    await rooms.deleteRoom('other');
    assert.deepEqual(await rooms.listRooms(), []);
    assert.deepEqual(await failure(rooms.deleteRoom('show')), {
      code: 'not_found',
      status: 404,
      message: 'requested room does not exist',
    });
  });

  test('participant methods on unknown rooms and participants answer not_found', async () => {
    await rooms.createRoom({ name: 'empty' });
    const calls = {
      listParticipants: () => rooms.listParticipants('nowhere'),
      getParticipant: () => rooms.getParticipant('empty', 'nobody'),
      removeParticipant: () => rooms.removeParticipant('empty', 'nobody'),
      mutePublishedTrack: () => rooms.mutePublishedTrack('empty', 'nobody', 'TR_abcdefghijkl', true),
      updateParticipant: () => rooms.updateParticipant('empty', 'nobody', { metadata: 'x' }),
      updateSubscriptions: () => rooms.updateSubscriptions('empty', 'nobody', [], true),
      updateRoomMetadata: () => rooms.updateRoomMetadata('nowhere', 'x'),
      sendData: () => rooms.sendData('nowhere', new Uint8Array([1]), DataPacket_Kind.RELIABLE, {}),
    };
    for (const [name, call] of Object.entries(calls)) {
      const err = await failure(call());
      assert.equal(err.code, 'not_found', `${name}: ${JSON.stringify(err)}`);
      assert.equal(err.status, 404, name);
    }
    await rooms.deleteRoom('empty');
  });

  test('a missing grant or a wrong secret is refused', async () => {
    const joinOnly = new AccessToken(onair.key, onair.secret, { identity: 'mallory' });
    joinOnly.addGrant({ roomJoin: true, room: 'studio' });
    const jwt = await joinOnly.toJwt();
    const res = await fetch(`${onair.url}/twirp/livekit.RoomService/ListRooms`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${jwt}` },
      body: '{}',
    });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).code, 'unauthenticated');
    const wrong = new RoomServiceClient(onair.url, onair.key, 'not-the-secret-'.padEnd(48, 'x'), { failover: false });
    const err = await failure(wrong.listRooms());
    assert.deepEqual([err.code, err.status], ['unauthenticated', 401]);
  });
});

describe('webhooks (livekit-server-sdk WebhookReceiver)', () => {
  test('room_started and room_finished verify and arrive in order', async () => {
    const received = [];
    const waiting = [];
    let receiver;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        try {
          const event = await receiver.receive(body, req.headers.authorization);
          received.push(event);
          waiting.splice(0).forEach((wake) => wake());
          res.writeHead(200).end();
        } catch (e) {
          received.push(new Error(String(e)));
          res.writeHead(401).end();
        }
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${server.address().port}/hook`;
    let onair;
    try {
      onair = await startOnair({ ONAIR_WEBHOOK_URLS: hook });
    } catch (e) {
      server.close();
      throw e;
    }
    receiver = new WebhookReceiver(onair.key, onair.secret);
    const until = async (n) => {
      const deadline = Date.now() + WAIT_MS;
      while (received.length < n) {
        if (Date.now() > deadline) assert.fail(`only ${received.length} of ${n} webhooks within ${WAIT_MS} ms`);
        await new Promise((r) => {
          waiting.push(r);
          setTimeout(r, 100);
        });
      }
    };
    try {
      const rooms = new RoomServiceClient(onair.url, onair.key, onair.secret, { failover: false });
      const room = await rooms.createRoom({ name: 'hooked' });
      await until(1);
      await rooms.deleteRoom('hooked');
      await until(2);
      for (const e of received) assert.ok(!(e instanceof Error), String(e));
      assert.deepEqual(received.map((e) => e.event), ['room_started', 'room_finished']);
      assert.ok(received.every((e) => e.room?.sid === room.sid && e.id.startsWith('EV_')));
    } finally {
      await onair.stop();
      server.close();
    }
  });
});
