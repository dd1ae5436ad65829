// What both test pages share: a LiveKit `Room` with the SDK's default options, connected to the
// URL and token given in the page's query string, and a `window.e2e` object through which the
// test reads state and drives the page. Everything returned to the test is plain JSON.

import {
  LogLevel,
  Room,
  RoomEvent,
  Track,
  setLogLevel,
  type RemoteTrack,
  type RemoteTrackPublication,
} from 'livekit-client';

export interface SubscribedTrack {
  sid: string;
  kind: string;
  source: string;
  participant: string;
}

export interface ReceivedData {
  text: string;
  topic?: string;
  /** The sender as the SDK resolved it (the participant the packet names). */
  from?: string;
  kind: string;
}

export interface InboundStats {
  kind: string;
  packetsReceived: number;
  bytesReceived: number;
  framesDecoded?: number;
  frameWidth?: number;
  frameHeight?: number;
  codec?: string;
  /** Chrome's freeze statistics for video (a freeze: a frame gap well above the average). */
  freezeCount?: number;
  totalFreezesDuration?: number;
}

/**
 * Data channels the server opened towards this page (labels and live state). The SDK reports
 * `connected` once a peer connection is up; the server-created `_reliable`/`_lossy` channels of
 * the subscriber connection can open a little later, and a test that needs them waits for them.
 */
const serverChannels: RTCDataChannel[] = [];
const NativePeerConnection = window.RTCPeerConnection;
window.RTCPeerConnection = class extends NativePeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config);
    this.addEventListener('datachannel', (ev) => serverChannels.push(ev.channel));
  }
} as typeof RTCPeerConnection;

/** The state a page exposes and the operations a test may call. */
export class E2E {
  readonly room = new Room();
  state: string = this.room.state;
  error: string | null = null;
  connectedAtMs: number | null = null;
  /** Milliseconds from navigation start to the first frame presented by a remote video. */
  firstVideoFrameMs: number | null = null;
  subscribed: SubscribedTrack[] = [];
  received: ReceivedData[] = [];
  /**
   * Connection and participant events in order (`reconnecting`, `signalReconnecting`,
   * `reconnected`, `participantConnected:<identity>`, `participantDisconnected:<identity>`,
   * `disconnected`), so a test can tell a resume from a full rejoin.
   */
  events: string[] = [];
  /** When each of `events` happened (ms since navigation start). */
  eventTimes: number[] = [];
  private videoElements: HTMLVideoElement[] = [];

  constructor(readonly role: string) {
    setLogLevel(LogLevel.debug);
    const room = this.room;
    room.on(RoomEvent.ConnectionStateChanged, (s) => {
      this.state = s;
      console.log(`e2e(${role}): connection state ${s}`);
    });
    room.on(RoomEvent.Disconnected, (reason) => {
      this.event('disconnected');
      console.log(`e2e(${role}): disconnected, reason ${reason}`);
    });
    room.on(RoomEvent.Reconnecting, () => this.event('reconnecting'));
    room.on(RoomEvent.SignalReconnecting, () => this.event('signalReconnecting'));
    room.on(RoomEvent.Reconnected, () => this.event('reconnected'));
    room.on(RoomEvent.ParticipantConnected, (p) => this.event(`participantConnected:${p.identity}`));
    room.on(RoomEvent.ParticipantDisconnected, (p) => this.event(`participantDisconnected:${p.identity}`));
    room.on(RoomEvent.TrackSubscribed, (track, pub, participant) => {
      this.subscribed.push({
        sid: pub.trackSid,
        kind: track.kind,
        source: pub.source,
        participant: participant.identity,
      });
      console.log(`e2e(${role}): subscribed ${track.kind} ${pub.trackSid} of ${participant.identity}`);
      this.attach(track);
    });
    room.on(RoomEvent.TrackUnsubscribed, (_track, pub) => {
      this.subscribed = this.subscribed.filter((t) => t.sid !== pub.trackSid);
    });
    room.on(RoomEvent.DataReceived, (payload, participant, kind, topic, _enc, identity) => {
      this.received.push({
        text: new TextDecoder().decode(payload),
        topic,
        from: participant?.identity ?? identity,
        kind: kind === undefined ? 'unknown' : kind === 0 ? 'reliable' : 'lossy',
      });
    });
    room.on(RoomEvent.TrackSubscriptionFailed, (sid, participant, reason) =>
      console.log(`e2e(${role}): subscription to ${sid} of ${participant.identity} failed: ${reason}`),
    );
  }

  /** Connects with the query string's `url` and `token`; failures land in `error`. */
  async connect(): Promise<void> {
    const params = new URLSearchParams(location.search);
    const url = params.get('url');
    const token = params.get('token');
    if (!url || !token) {
      this.error = 'the page needs ?url=…&token=…';
      return;
    }
    try {
      await this.room.connect(url, token);
      this.connectedAtMs = performance.now();
    } catch (e) {
      this.error = `connect failed: ${describe(e)}`;
      throw e;
    }
  }

  private attach(track: RemoteTrack) {
    const el = track.attach();
    el.muted = true;
    document.body.append(el);
    if (track.kind === Track.Kind.Video) {
      const video = el as HTMLVideoElement;
      this.videoElements.push(video);
      video.requestVideoFrameCallback(() => {
        this.firstVideoFrameMs ??= performance.now();
      });
    }
  }

  /** Remote participants as seen by this page, with their track publications. */
  remoteParticipants() {
    return [...this.room.remoteParticipants.values()].map((p) => ({
      identity: p.identity,
      sid: p.sid,
      tracks: [...p.trackPublications.values()].map((t) => ({
        sid: t.trackSid,
        kind: t.kind,
        source: t.source,
        subscribed: t.isSubscribed,
        muted: t.isMuted,
        simulcasted: t.simulcasted ?? false,
      })),
    }));
  }

  /** The first remote publication of `kind` (`video` or `audio`). */
  publication(kind: string): RemoteTrackPublication | undefined {
    for (const p of this.room.remoteParticipants.values()) {
      for (const t of p.trackPublications.values()) {
        if (t.kind === kind && t.track) return t;
      }
    }
    return undefined;
  }

  /** `inbound-rtp` stats of the first subscribed remote track of `kind`, or null. */
  async inboundStats(kind: string): Promise<InboundStats | null> {
    const track = this.publication(kind)?.track;
    const report = await track?.getRTCStatsReport();
    if (!report) return null;
    let found: InboundStats | null = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === kind) {
        found = {
          kind,
          packetsReceived: s.packetsReceived ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          framesDecoded: s.framesDecoded,
          frameWidth: s.frameWidth,
          frameHeight: s.frameHeight,
          codec: s.codecId ? report.get(s.codecId)?.mimeType : undefined,
          freezeCount: s.freezeCount,
          totalFreezesDuration: s.totalFreezesDuration,
        };
      }
    });
    return found;
  }

  /** Publishes the (fake) camera; returns 'ok' or the error's description. */
  async tryPublishCamera(): Promise<string> {
    try {
      await this.room.localParticipant.setCameraEnabled(true);
      return 'ok';
    } catch (e) {
      return describe(e);
    }
  }

  /**
   * Publishes the camera as a client that ignores the `canPublish=false` of its JoinResponse
   * would: the SDK's own check is switched off first, so only the server can refuse.
   */
  async tryPublishCameraIgnoringGrants(): Promise<string> {
    const perms = this.room.localParticipant.permissions;
    if (perms) {
      perms.canPublish = true;
      perms.canPublishSources = [];
    }
    return this.tryPublishCamera();
  }

  /** `label: readyState` of every data channel the server opened towards this page. */
  serverDataChannels(): Record<string, string> {
    return Object.fromEntries(serverChannels.map((c) => [c.label, c.readyState]));
  }

  /** Sends `text` as a data packet to the room; returns 'ok' or the error's description. */
  async sendData(text: string, topic: string, reliable = true): Promise<string> {
    try {
      await this.room.localParticipant.publishData(new TextEncoder().encode(text), { reliable, topic });
      return 'ok';
    } catch (e) {
      return describe(e);
    }
  }

  private event(name: string) {
    this.events.push(name);
    this.eventTimes.push(performance.now());
  }

  /** Milliseconds since navigation start, on the page's clock (for timing events). */
  now(): number {
    return performance.now();
  }

  /**
   * Runs one of livekit-client's own failure simulations (`signal-reconnect`,
   * `resume-reconnect`, …); returns 'ok' or the error's description.
   */
  async simulate(scenario: string): Promise<string> {
    try {
      await this.room.simulateScenario(scenario as Parameters<Room['simulateScenario']>[0]);
      return 'ok';
    } catch (e) {
      return describe(e);
    }
  }

  /** Local publications (sid, kind, source, simulcast) of this page. */
  localTracks() {
    return [...this.room.localParticipant.trackPublications.values()].map((t) => ({
      sid: t.trackSid,
      kind: t.kind,
      source: t.source,
      simulcasted: t.simulcasted ?? false,
    }));
  }

  /**
   * Both peer connections as the SDK holds them: states and the SDP each side sent, so a failure
   * report shows exactly what the browser offered and what the server answered.
   */
  transports() {
    const mgr = this.room.engine?.pcManager;
    // PCTransport is internal to the SDK; its getters are stable across 2.x.
    const one = (t: any) =>
      t && {
        connectionState: t.getConnectionState(),
        iceConnectionState: t.getICEConnectionState(),
        signalingState: t.getSignallingState(),
        local: t.getLocalDescription()?.sdp ?? null,
        remote: t.getRemoteDescription()?.sdp ?? null,
      };
    return { publisher: one(mgr?.publisher), subscriber: one(mgr?.subscriber) };
  }

  snapshot() {
    return {
      loaded: true,
      role: this.role,
      sid: this.room.localParticipant.sid,
      state: this.state,
      events: this.events,
      eventTimes: this.eventTimes,
      error: this.error,
      connectedAtMs: this.connectedAtMs,
      firstVideoFrameMs: this.firstVideoFrameMs,
      subscribed: this.subscribed,
      received: this.received,
      localTracks: this.localTracks(),
      remoteParticipants: this.remoteParticipants(),
    };
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) {
    const extra = (e as { reason?: unknown; status?: unknown });
    const bits = [e.name, e.message];
    if (extra.reason !== undefined) bits.push(`reason=${String(extra.reason)}`);
    if (extra.status !== undefined) bits.push(`status=${String(extra.status)}`);
    return bits.join(': ');
  }
  return String(e);
}

declare global {
  interface Window {
    e2e: unknown;
  }
}
