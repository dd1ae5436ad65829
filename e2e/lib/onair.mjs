// A real `onair serve` for one test file: free loopback ports, a temporary data directory and
// a random LiveKit key pair, so test files cannot leak state into each other. Tokens are minted
// with LiveKit's own `livekit-server-sdk`, exactly as a LiveKit application does.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';
import { within } from './wait.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const STARTUP_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 15_000;

/** A free TCP port on 127.0.0.1 (the kernel picks it; released before onair binds it). */
export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A free UDP port on 127.0.0.1. */
export function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

export class Onair {
  constructor({ httpUrl, wsUrl, apiKey, apiSecret, dataDir, tmpDir, logPath, child }) {
    Object.assign(this, { httpUrl, wsUrl, apiKey, apiSecret, dataDir, tmpDir, logPath, child });
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      // A spawn failure emits 'error' and never 'exit'.
      child.once('error', (e) => resolve({ code: null, signal: null, error: e }));
    });
  }

  /**
   * A participant token for `room`. `grants` are LiveKit VideoGrant fields (`canPublish`,
   * `canSubscribe`, `canPublishData`, …); `roomJoin` and `room` are always set.
   */
  async token(identity, room, { ttl = '10m', name, ...grants } = {}) {
    const at = new AccessToken(this.apiKey, this.apiSecret, { identity, name, ttl });
    at.addGrant({ roomJoin: true, room, ...grants });
    return at.toJwt();
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch (e) {
      return `(no log: ${e.message})`;
    }
  }

  /** The last `chars` characters of the server log, for failure reports. */
  logTail(chars = 20_000) {
    const text = this.log();
    return text.length > chars ? `…${text.slice(-chars)}` : text;
  }

  running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then wait for a graceful exit; returns `{ code, signal }`. */
  async stop() {
    if (this.running()) {
      this.child.kill('SIGTERM');
      try {
        await within(this.exit, SHUTDOWN_TIMEOUT_MS, 'onair did not exit after SIGTERM');
      } catch (e) {
        this.child.kill('SIGKILL');
        await this.exit;
        throw e;
      }
    }
    return this.exit;
  }

  /** Removes the temporary directory (data and log). */
  cleanup() {
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

async function waitReady(server) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastError = 'no attempt';
  while (Date.now() < deadline) {
    if (!server.running()) {
      const { code, signal } = await server.exit;
      throw new Error(
        `onair exited (code ${code}, signal ${signal}) before answering /readyz:\n${server.logTail()}`,
      );
    }
    try {
      const res = await fetch(`${server.httpUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      lastError = `HTTP ${res.status}`;
    } catch (e) {
      lastError = e.cause?.code ?? e.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `onair did not answer GET /readyz with 200 within ${STARTUP_TIMEOUT_MS} ms (last: ${lastError}):\n${server.logTail()}`,
  );
}

/** Starts `onair serve` (binary from `ONAIR_BIN`, else `target/debug/onair`) and waits until ready. */
export async function startOnair({ extraEnv = {} } = {}) {
  const bin = process.env.ONAIR_BIN || path.join(ROOT, 'target', 'debug', 'onair');
  if (!fs.existsSync(bin)) {
    throw new Error(`onair binary not found at ${bin}: run \`cargo build --bin onair\` (e2e/run does)`);
  }
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-e2e-'));
  const dataDir = path.join(tmpDir, 'data');
  fs.mkdirSync(dataDir);
  const logPath = path.join(tmpDir, 'onair.log');
  const httpPort = await freeTcpPort();
  const apiKey = 'onair-e2e-key';
  const apiSecret = randomBytes(32).toString('base64url');
  const env = {
    ...process.env,
    ONAIR_BIND: `127.0.0.1:${httpPort}`,
    ONAIR_DATA_DIR: dataDir,
    LIVEKIT_API_KEY: apiKey,
    LIVEKIT_API_SECRET: apiSecret,
    ONAIR_RTC_UDP_PORT: String(await freeUdpPort()),
    ONAIR_RTC_TCP_PORT: String(await freeTcpPort()),
    ONAIR_RTC_ADVERTISE_IP: '127.0.0.1',
    // The media server's debug lines say why a packet or request was dropped; they are few.
    RUST_LOG: process.env.ONAIR_TEST_LOG || 'info,onair_sfu=debug',
    ...extraEnv,
  };
  // The embedded media server must be the one under test, and the store a fresh SQLite file.
  delete env.LIVEKIT_URL;
  delete env.LIVEKIT_WS_URL;
  delete env.DATABASE_URL;
  const logFd = fs.openSync(logPath, 'w');
  const child = spawn(bin, ['serve'], { env, cwd: tmpDir, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const server = new Onair({
    httpUrl: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}`,
    apiKey,
    apiSecret,
    dataDir,
    tmpDir,
    logPath,
    child,
  });
  try {
    await waitReady(server);
  } catch (e) {
    if (server.running()) {
      child.kill('SIGKILL');
      await server.exit;
    }
    throw e;
  }
  return server;
}
