// What the player and the studio share about the media connection: the words for each
// connection state, what a disconnect reason means for the person in front of the page, and
// the delay before an automatic retry.

import { ConnectionQuality, ConnectionState, DisconnectReason } from 'livekit-client';

/**
 * The connection state as a short label ("Reconnecting…"); once connected, with the quality
 * the media server measured (loss and round trip), e.g. "Connected, excellent quality".
 */
export function connectionLabel(state: ConnectionState, quality = ConnectionQuality.Unknown): string {
  switch (state) {
    case ConnectionState.Connecting:
      return 'Connecting…';
    case ConnectionState.Connected:
      return quality === ConnectionQuality.Unknown || quality === ConnectionQuality.Lost
        ? 'Connected'
        : `Connected, ${quality} quality`;
    case ConnectionState.Reconnecting:
    case ConnectionState.SignalReconnecting:
      return 'Reconnecting…';
    case ConnectionState.Disconnected:
      return 'Disconnected';
    default:
      return String(state);
  }
}

export function isReconnecting(state: ConnectionState): boolean {
  return state === ConnectionState.Reconnecting || state === ConnectionState.SignalReconnecting;
}

/** Why the room let go of this page, as the page has to react to it. */
export type Departure =
  /** This page asked for it (leaving, ending the stream): nothing to show. */
  | 'left'
  /** The room is gone: the stream ended (or was deleted). */
  | 'ended'
  /** The same identity joined elsewhere (another tab or device) and took over. */
  | 'elsewhere'
  /** A moderator (or the platform, e.g. unpaid go-live) removed this participant. */
  | 'removed'
  /** Anything else: the network, the server restarting. Worth retrying. */
  | 'lost';

export function departure(reason: DisconnectReason | undefined): Departure {
  switch (reason) {
    case DisconnectReason.CLIENT_INITIATED:
      return 'left';
    case DisconnectReason.ROOM_DELETED:
    case DisconnectReason.ROOM_CLOSED:
      return 'ended';
    case DisconnectReason.DUPLICATE_IDENTITY:
      return 'elsewhere';
    case DisconnectReason.PARTICIPANT_REMOVED:
      return 'removed';
    default:
      return 'lost';
  }
}

/** Milliseconds before retry number `attempt` (0-based): 1 s, 2 s, 4 s … up to 30 s, with jitter. */
export function retryDelay(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
