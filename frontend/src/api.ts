// The platform's JSON API as the browser bundle uses it: same origin, the session cookie,
// bounded requests, and every failure turned into an `ApiError` that carries the API's stable
// error code (and, for 402, the balance and the cost) so the pages can explain it.

export type StreamStatus = 'SCHEDULED' | 'LIVE' | 'ENDED';

/** `POST /api/streams/{id}/token`. */
export interface Grant {
  token: string;
  /** The media server's WebSocket URL (`ws://…`/`wss://…`). */
  serverUrl: string;
  role: 'creator' | 'viewer';
  identity: string;
}

/** The fields of a stream the pages read. */
export interface StreamInfo {
  id: string;
  title: string;
  status: StreamStatus;
  scheduledFor: string | null;
  startedAt: string | null;
  endedAt: string | null;
  endedReason: string | null;
  participantCount: number;
  creator: { id: string; name: string };
}

/** The API's error body, or a network failure (`code: 'network'`). */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when no response came. */
    readonly status: number,
    /** The API's stable code (`insufficient_credits`, `gone`, …) or `network`. */
    readonly code: string,
    message: string,
    readonly balance?: number,
    readonly cost?: number,
    /** Seconds to wait before asking again (429 `rate_limited` and `stream_full`). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** How long a request may take before it counts as a network failure. */
const TIMEOUT_MS = 15_000;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const timedOut = e instanceof DOMException && e.name === 'TimeoutError';
    throw new ApiError(0, 'network', timedOut ? 'OnAir did not answer in time.' : 'OnAir could not be reached.');
  }
  if (res.ok) return (await res.json()) as T;
  let err: { code?: string; message?: string; balance?: number; cost?: number; retryAfter?: number } = {};
  try {
    err = ((await res.json()) as { error?: typeof err }).error ?? {};
  } catch {
    // Not the API's JSON (a proxy's error page): the status alone has to do.
  }
  throw new ApiError(
    res.status,
    err.code ?? `http_${res.status}`,
    err.message ?? `OnAir answered ${res.status}.`,
    err.balance,
    err.cost,
    err.retryAfter,
  );
}

/** A token for the stream's room: publish grants for its creator, subscribe-only for everyone else. */
export function fetchToken(streamId: string): Promise<Grant> {
  return call<Grant>('POST', `/api/streams/${encodeURIComponent(streamId)}/token`);
}

export function getStream(streamId: string): Promise<StreamInfo> {
  return call<StreamInfo>('GET', `/api/streams/${encodeURIComponent(streamId)}`);
}

/** `LIVE` charges the go-live cost once (402 when short); `ENDED` ends the stream. */
export function setStatus(streamId: string, status: 'LIVE' | 'ENDED'): Promise<StreamInfo> {
  return call<StreamInfo>('PATCH', `/api/streams/${encodeURIComponent(streamId)}`, { status });
}

/** What removing a participant did (`POST /api/streams/{id}/participants/{identity}/remove`). */
export interface Removal {
  identity: string;
  /** Always true: the identity cannot get a token for this stream again. */
  banned: boolean;
  /** Whether it was in the room and has been sent away. */
  disconnected: boolean;
}

/** Removes a viewer from the stream and bans them from it (its creator or an admin). */
export function removeParticipant(streamId: string, identity: string): Promise<Removal> {
  return call<Removal>(
    'POST',
    `/api/streams/${encodeURIComponent(streamId)}/participants/${encodeURIComponent(identity)}/remove`,
  );
}

/** Why a stream ended, as a viewer reads it (the same sentences as the server-rendered page). */
export function endedReasonText(reason: string | null): string {
  switch (reason) {
    case 'creator':
      return 'The creator ended the stream.';
    case 'admin':
      return 'An administrator ended the stream.';
    case 'credits_exhausted':
      return 'The stream ran out of credits.';
    case 'creator_absent':
      return 'The creator lost their connection and did not come back.';
    case 'room_finished':
      return 'The broadcast finished.';
    case 'cancelled':
      return 'The creator cancelled it before it started.';
    default:
      return '';
  }
}
