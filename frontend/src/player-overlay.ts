// What the player's overlay says, decided from the facts the player knows (a pure function, so
// every state has exactly one wording): stopped states (ended, elsewhere, removed, full, error), the
// connection (connecting, reconnecting), and the creator (absent, away, audio only, paused).

import { ConnectionState } from 'livekit-client';
import type { StreamStatus } from './api';
import { connectionLabel, isReconnecting } from './connection';
import type { Overlay } from './player-view';

/** Terminal or blocking states; while `null` the overlay follows the room. */
export type Stop =
  | { kind: 'ended'; reason: string }
  | { kind: 'elsewhere' }
  | { kind: 'removed' }
  | { kind: 'error'; message: string; retryInMs?: number }
  | { kind: 'full'; retryInMs: number }
  | { kind: 'creator' };

export interface Facts {
  stop: Stop | null;
  state: ConnectionState;
  status: StreamStatus;
  creatorPresent: boolean;
  /** The creator was in the room and left (the grace period runs). */
  creatorLeft: boolean;
  creatorAudio: boolean;
  hasVideo: boolean;
  /** The main video element has a frame to show. */
  hasFrames: boolean;
  paused: boolean;
  /** What "Try again" / "Watch here" do. */
  reconnect: () => void;
}

/** The overlay for `f`, or `null` when the picture plays uncovered. */
export function overlayFor(f: Facts): Overlay | null {
  const stop = f.stop;
  if (stop) {
    switch (stop.kind) {
      case 'ended':
        return { line: 'Stream ended', sub: stop.reason || undefined, tone: 'ended' };
      case 'elsewhere':
        return {
          line: 'Playing in another window',
          sub: 'You opened this stream somewhere else with the same account.',
          tone: 'info',
          action: { label: 'Watch here', run: f.reconnect },
        };
      case 'removed':
        return { line: 'You were removed from this stream', sub: 'The creator or a moderator removed you.', tone: 'error' };
      case 'full':
        return {
          line: 'This stream is full',
          sub: `Every seat is taken. Trying again in ${Math.ceil(stop.retryInMs / 1000)} s.`,
          tone: 'info',
          action: { label: 'Try again now', run: f.reconnect },
        };
      case 'creator':
        return {
          line: 'This is your stream',
          sub: 'Watching it here would take over your broadcast’s connection. Use the studio preview, or a private window to see what viewers see.',
          tone: 'info',
        };
      case 'error':
        return {
          line: 'Connection lost',
          sub: `${stop.message}${stop.retryInMs ? ` Trying again in ${Math.ceil(stop.retryInMs / 1000)} s.` : ''}`,
          tone: 'error',
          action: { label: 'Try again now', run: f.reconnect },
        };
    }
  }
  if (isReconnecting(f.state)) return { line: 'Reconnecting…', tone: 'info', banner: f.hasFrames };
  if (f.state !== ConnectionState.Connected) return { line: connectionLabel(f.state), tone: 'info' };
  if (!f.creatorPresent) {
    if (f.creatorLeft) return { line: 'The creator’s connection dropped', sub: 'Waiting for them to come back…', tone: 'info' };
    if (f.status === 'SCHEDULED') return { line: '', tone: 'info', server: true };
    return { line: 'Waiting for the creator', sub: 'The video starts as soon as they are on air.', tone: 'info' };
  }
  if (!f.hasVideo) {
    if (f.creatorAudio) return { line: 'Audio only', sub: 'The creator’s camera is off.', tone: 'info' };
    return { line: 'The creator is getting ready', sub: 'The video starts in a moment.', tone: 'info' };
  }
  if (!f.hasFrames) return { line: 'Loading video…', tone: 'info' };
  if (f.paused) return { line: 'Paused', sub: 'Press play to go back to the live picture.', tone: 'info', banner: true };
  return null;
}

/** The overlay as one announcement: "The creator is getting ready. The video starts in a moment." */
export function sentence(o: Overlay): string {
  if (!o.sub) return o.line;
  return /[.…!?]$/.test(o.line) ? `${o.line} ${o.sub}` : `${o.line}. ${o.sub}`;
}
