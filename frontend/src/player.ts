// The viewer player on `/watch/{id}`: fetches a viewer token, joins the stream's room with
// livekit-client, shows the creator's camera (and their screen share, prominently, with the
// camera as a picture-in-picture), plays their audio, and keeps the viewer told what is going
// on: connecting, waiting for the creator, reconnecting, ended. Every state change is
// announced through the page's live region.
//
// Choices: the room uses livekit-client's defaults with adaptiveStream off, because the quality
// menu is the player's own: "Auto" asks the server for the layer that fits the player's size
// (followed with a ResizeObserver; video is switched off while the tab is hidden), and
// High/Medium/Low pin a simulcast layer whatever the size. Volume is remembered across visits;
// mute is not (a page that opens silent by surprise looks broken).

import {
  ConnectionState,
  Room,
  RoomEvent,
  Track,
  VideoQuality,
  type RemoteAudioTrack,
  type RemoteParticipant,
  type RemoteTrackPublication,
} from 'livekit-client';
import { Chat } from './chat';
import { ApiError, endedReasonText, fetchToken, getStream, type StreamStatus } from './api';
import type { Announcer } from './announce';
import { departure, isReconnecting, retryDelay } from './connection';
import { IdleHider, bindShortcuts } from './controls';
import { showTrack } from './attach';
import { capitalized, describeError } from './dom';
import { showStatus, showViewers } from './page-status';
import { remember, remembered } from './settings';
import { overlayFor, sentence, type Stop } from './player-overlay';
import { PlayerView, type Overlay, type Quality } from './player-view';

/** How often a viewer waiting for an absent creator asks whether the stream has ended. */
const AWAY_POLL_MS = 5_000;
const VOLUME_KEY = 'onair.volume';

export class Player {
  readonly streamId: string;
  private status: StreamStatus;
  private readonly creatorId: string;
  private readonly view: PlayerView;
  room: Room | null = null;
  private stop: Stop | null = null;
  private creatorLeft = false;
  private muted = false;
  private volume = 1;
  private paused = false;
  private quality: Quality = 'auto';
  /** The chat beside the player, when the page has one. */
  private readonly chat: Chat | null;
  /** Whether the player is full screen, as the last `fullscreenchange` said. */
  private fullscreen = false;
  private attempt = 0;
  private retryTimer: number | undefined;
  private awayTimer: number | undefined;
  private lastOverlay = '';
  private resizeTimer: number | undefined;
  /** What the main picture and the picture-in-picture show (`camera`, `screen_share`). */
  private sources: { main: string | null; pip: string | null } = { main: null, pip: null };

  constructor(
    readonly root: HTMLElement,
    private readonly announcer: Announcer,
  ) {
    this.streamId = root.dataset.streamId ?? '';
    this.status = (root.dataset.status ?? 'LIVE') as StreamStatus;
    this.creatorId = root.dataset.creatorId ?? '';
    // The creator's own watch page does not join (see `start`), so it has no chat: the studio does.
    const chat = root.dataset.viewerIsCreator ? null : document.querySelector<HTMLElement>('[data-onair-chat]');
    this.chat = chat ? new Chat(chat) : null;
    const stored = remembered(VOLUME_KEY);
    if (stored !== null && Number(stored) >= 0 && Number(stored) <= 1) this.volume = Number(stored);
    this.view = new PlayerView(root, {
      togglePause: () => this.setPaused(!this.paused),
      toggleMute: () => this.toggleMute(),
      setVolume: (v) => this.setVolume(v),
      setQuality: (q) => this.setQuality(q),
      toggleFullscreen: () => void this.toggleFullscreen(),
      startPlayback: () => void this.startPlayback(),
    });
    this.view.setSound(this.muted, this.volume);
    this.view.video.addEventListener('loadeddata', () => this.render());
    new IdleHider(root, this.view.bar, () => !this.paused && this.showsVideo() && !this.view.quality.open && !this.view.help.open);
    bindShortcuts([
      { keys: [' ', 'k'], run: () => this.setPaused(!this.paused) },
      { keys: ['m'], run: () => this.toggleMute() },
      { keys: ['f'], run: () => void this.toggleFullscreen() },
      { keys: ['arrowup'], run: () => this.setVolume(Math.min(1, this.volume + 0.1)), within: root },
      { keys: ['arrowdown'], run: () => this.setVolume(Math.max(0, this.volume - 0.1)), within: root },
    ]);
    document.addEventListener('fullscreenchange', () => {
      const on = document.fullscreenElement === root;
      this.fullscreen = on;
      this.view.setFullscreen(on);
      this.announcer.say(on ? 'Full screen' : 'Left full screen');
    });
    document.addEventListener('visibilitychange', () => this.applyQuality());
    new ResizeObserver(() => {
      window.clearTimeout(this.resizeTimer);
      this.resizeTimer = window.setTimeout(() => this.applyQuality(), 300);
    }).observe(this.view.video);
  }

  /** Joins the room unless there is nothing to watch (ended, or the viewer is the creator). */
  start(): void {
    if (this.status === 'ENDED') return;
    if (this.root.dataset.viewerIsCreator === 'true') {
      this.halt({ kind: 'creator' });
      return;
    }
    void this.connect();
  }

  private async connect(): Promise<void> {
    window.clearTimeout(this.retryTimer);
    this.stop = null;
    this.creatorLeft = false;
    this.render('Connecting…');
    let room: Room | null = null;
    try {
      const grant = await fetchToken(this.streamId);
      room = new Room({ adaptiveStream: false, dynacast: false });
      this.watch(room);
      this.room = room;
      this.chat?.attach(room, this.creatorId);
      await room.connect(grant.serverUrl, grant.token);
      this.attempt = 0;
      for (const p of room.remoteParticipants.values()) this.adopt(p);
      this.render();
    } catch (e) {
      if (room && this.room === room) {
        this.room = null;
        await room.disconnect();
      }
      this.failed(e);
    }
  }

  /** A failed join: the API's answer says whether retrying makes sense. */
  private failed(e: unknown): void {
    if (e instanceof ApiError && e.status === 410) {
      void this.ended();
      return;
    }
    if (e instanceof ApiError && e.code === 'banned') {
      // The creator or a moderator removed this viewer.
      this.halt({ kind: 'removed' });
      return;
    }
    if (e instanceof ApiError && e.status === 404) {
      this.halt({ kind: 'error', message: 'This stream no longer exists.' });
      return;
    }
    if (e instanceof ApiError && e.code === 'stream_full') {
      // Seats free as viewers leave: ask again when told, spread out so that a crowd turned
      // away together does not come back together (and without counting it as a failure).
      const wait = Math.round((e.retryAfter ?? 15) * 1000 * (1 + Math.random() * 0.5));
      this.halt({ kind: 'full', retryInMs: wait });
      this.retryTimer = window.setTimeout(() => void this.connect(), wait);
      return;
    }
    const wait = e instanceof ApiError && e.retryAfter ? e.retryAfter * 1000 : retryDelay(this.attempt);
    this.attempt += 1;
    console.warn('onair: joining the stream failed', e);
    this.halt({
      kind: 'error',
      message: e instanceof ApiError && e.status === 429 ? 'Too many attempts.' : `${capitalized(describeError(e))}.`,
      retryInMs: wait,
    });
    this.retryTimer = window.setTimeout(() => void this.connect(), wait);
  }

  private watch(room: Room): void {
    room
      .on(RoomEvent.ConnectionStateChanged, () => this.render())
      .on(RoomEvent.ParticipantConnected, (p) => {
        this.adopt(p);
        this.render();
      })
      .on(RoomEvent.ParticipantDisconnected, (p) => {
        if (p.identity === this.creatorId) {
          this.creatorLeft = true;
          this.pollWhileAway();
        }
        this.render();
      })
      .on(RoomEvent.TrackSubscribed, (track, pub, p) => {
        if (p.identity !== this.creatorId) return;
        if (track.kind === Track.Kind.Audio) {
          const el = track.attach();
          this.view.audioBox.append(el);
          (track as RemoteAudioTrack).setVolume(this.muted ? 0 : this.volume);
          if (this.paused) el.pause();
        }
        if (this.status === 'SCHEDULED') {
          // The creator's first track takes a scheduled stream live.
          this.status = 'LIVE';
          showStatus('LIVE');
        }
        this.applyQuality(pub);
        this.render();
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => {
        // Audio elements are the track's own; the video elements are the player's and stay
        // (render() gives them whatever is left to show).
        if (track.kind === Track.Kind.Audio) for (const el of track.detach()) el.remove();
        this.render();
      })
      .on(RoomEvent.TrackMuted, () => this.render())
      .on(RoomEvent.TrackUnmuted, () => this.render())
      .on(RoomEvent.AudioPlaybackStatusChanged, () => this.render())
      .on(RoomEvent.VideoPlaybackStatusChanged, () => this.render())
      .on(RoomEvent.Disconnected, (reason) => {
        if (this.room !== room) return;
        this.room = null;
        this.detachAll();
        switch (departure(reason)) {
          case 'left':
            return;
          case 'ended':
            void this.ended();
            return;
          case 'elsewhere':
            this.halt({ kind: 'elsewhere' });
            return;
          case 'removed':
            this.halt({ kind: 'removed' });
            return;
          case 'lost':
            this.failed(new Error('the connection to the stream was lost'));
        }
      });
  }

  /** Counts a participant in and, for the creator, clears an absence. */
  private adopt(p: RemoteParticipant): void {
    if (p.identity === this.creatorId) {
      this.creatorLeft = false;
      window.clearTimeout(this.awayTimer);
    }
  }

  /** While the creator is away (the grace period), asks now and then whether the stream ended. */
  private pollWhileAway(): void {
    window.clearTimeout(this.awayTimer);
    this.awayTimer = window.setTimeout(async () => {
      if (!this.creatorLeft || this.stop) return;
      try {
        const s = await getStream(this.streamId);
        if (s.status === 'ENDED') {
          await this.ended(s.endedReason);
          return;
        }
      } catch (e) {
        console.warn('onair: checking the stream failed', e);
      }
      this.pollWhileAway();
    }, AWAY_POLL_MS);
  }

  /** The stream is over: says why (asking the API when the reason is not known yet). */
  private async ended(reason?: string | null): Promise<void> {
    window.clearTimeout(this.awayTimer);
    window.clearTimeout(this.retryTimer);
    this.status = 'ENDED';
    this.root.dataset.status = 'ENDED';
    showStatus('ENDED');
    if (reason === undefined) {
      try {
        reason = (await getStream(this.streamId)).endedReason;
      } catch {
        reason = null;
      }
    }
    const room = this.room;
    this.room = null;
    this.detachAll();
    await room?.disconnect();
    this.halt({ kind: 'ended', reason: endedReasonText(reason ?? null) });
  }

  private halt(stop: Stop): void {
    this.stop = stop;
    this.render();
  }

  private creator(): RemoteParticipant | undefined {
    return this.room?.getParticipantByIdentity(this.creatorId) as RemoteParticipant | undefined;
  }

  private pub(source: Track.Source): RemoteTrackPublication | undefined {
    const pub = this.creator()?.getTrackPublication(source);
    return pub?.track && !pub.isMuted ? pub : undefined;
  }

  private showsVideo(): boolean {
    return this.room?.state === ConnectionState.Connected && !this.view.video.hidden;
  }

  /** Viewers in the room: everyone visible but the creator, this page included. */
  viewerCount(): number {
    if (!this.room) return 0;
    let n = 1;
    for (const p of this.room.remoteParticipants.values()) if (p.identity !== this.creatorId) n += 1;
    return n;
  }

  /** Puts the right tracks on the video elements and the right words on the overlay. */
  private render(announce?: string): void {
    const screen = this.pub(Track.Source.ScreenShare);
    const camera = this.pub(Track.Source.Camera);
    const main = screen ?? camera;
    const pip = screen ? camera : undefined;
    this.place(this.view.video, main);
    this.place(this.view.pip, pip);
    this.sources = { main: main?.source ?? null, pip: pip?.source ?? null };
    const hasFrames = Boolean(main) && this.view.video.readyState >= 2;
    const overlay = this.overlay(Boolean(main), hasFrames);
    const connected = this.room?.state === ConnectionState.Connected || isReconnecting(this.room?.state ?? ConnectionState.Disconnected);
    this.view.show(overlay, Boolean(main) && hasFrames && !this.stop);
    this.view.pip.hidden = !pip || Boolean(this.stop);
    this.view.showBar(connected && !this.stop && Boolean(this.creator()));
    this.view.setViewers(this.viewerCount());
    this.chat?.setEnabled(this.room?.state === ConnectionState.Connected);
    if (this.status === 'LIVE' && this.room) showViewers(this.viewerCount());
    const audioBlocked = this.audioBlocked();
    // A blocked page is silent: its controls say so, and "unmute" lifts the block.
    this.view.setSound(this.muted || audioBlocked, this.volume);
    const videoBlocked = Boolean(this.room && !this.room.canPlaybackVideo && main);
    this.view.promptSound((audioBlocked || videoBlocked) && !this.stop);
    const said = announce ?? (overlay ? sentence(overlay) : 'Playing live.');
    if (said !== this.lastOverlay) {
      this.lastOverlay = said;
      this.announcer.say(said);
    }
    if (audioBlocked && !this.stop) this.announcer.say('Sound is off: your browser blocked it. Use “Turn sound on”.');
  }

  private overlay(hasVideo: boolean, hasFrames: boolean): Overlay | null {
    const creator = this.creator();
    return overlayFor({
      stop: this.stop,
      state: this.room?.state ?? ConnectionState.Connecting,
      status: this.status,
      creatorPresent: Boolean(creator),
      creatorLeft: this.creatorLeft,
      creatorAudio: [...(creator?.audioTrackPublications.values() ?? [])].some((p) => p.track && !p.isMuted),
      hasVideo,
      hasFrames,
      paused: this.paused,
      reconnect: () => void this.connect(),
    });
  }

  /** Attaches `pub`'s track to `el` (detaching whatever it showed before). */
  private place(el: HTMLVideoElement, pub: RemoteTrackPublication | undefined): void {
    if (showTrack(el, pub?.videoTrack) && pub && this.paused) el.pause();
  }

  private detachAll(): void {
    this.place(this.view.video, undefined);
    this.place(this.view.pip, undefined);
    this.view.audioBox.replaceChildren();
  }

  private audioTracks(): RemoteAudioTrack[] {
    const pubs = this.creator()?.audioTrackPublications.values() ?? [];
    return [...pubs].map((p) => p.audioTrack).filter((t): t is RemoteAudioTrack => Boolean(t));
  }

  /** Whether the browser refused to play the creator's audio without a click. */
  private audioBlocked(): boolean {
    return Boolean(this.room && !this.room.canPlaybackAudio && this.creator()?.audioTrackPublications.size);
  }

  /** Mute or unmute; while the browser blocks sound, "unmute" is the click that lifts the block. */
  toggleMute(): void {
    this.setMuted(this.audioBlocked() ? false : !this.muted);
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    if (!muted && this.volume === 0) this.volume = 0.5;
    for (const t of this.audioTracks()) t.setVolume(muted ? 0 : this.volume);
    this.view.setSound(this.muted, this.volume);
    this.announcer.say(muted ? 'Muted' : `Sound on, volume ${Math.round(this.volume * 100)}%`);
    // Unmuting is a user gesture: the moment to lift a browser's autoplay block.
    if (!muted && this.room && !this.room.canPlaybackAudio) void this.startPlayback();
  }

  setVolume(volume: number): void {
    this.volume = Math.round(volume * 100) / 100;
    this.muted = this.volume === 0;
    remember(VOLUME_KEY, String(this.volume));
    for (const t of this.audioTracks()) t.setVolume(this.volume);
    this.view.setSound(this.muted, this.volume);
    this.announcer.say(this.muted ? 'Muted' : `Volume ${Math.round(this.volume * 100)}%`);
  }

  setPaused(paused: boolean): void {
    if (!this.room) return;
    this.paused = paused;
    const media = [this.view.video, this.view.pip, ...this.view.audioBox.querySelectorAll('audio')];
    for (const el of media) {
      if (paused) el.pause();
      else if (el.srcObject) void el.play().catch(() => this.render());
    }
    this.view.setPaused(paused);
    this.render(paused ? 'Paused' : 'Playing live.');
  }

  /** Lifts the browser's autoplay block (must run inside a click or key press). */
  async startPlayback(): Promise<void> {
    if (!this.room) return;
    try {
      await this.room.startAudio();
      if (!this.room.canPlaybackVideo) await this.room.startVideo();
    } catch (e) {
      console.warn('onair: the browser still refuses to play', e);
    }
    this.render();
  }

  setQuality(q: Quality): void {
    this.quality = q;
    this.applyQuality();
    this.announcer.say(`Quality: ${q}`);
  }

  /** Applies the quality choice to the creator's video publications (or to `only`). */
  private applyQuality(only?: RemoteTrackPublication): void {
    const pubs = only ? [only] : [...(this.creator()?.videoTrackPublications.values() ?? [])];
    for (const pub of pubs) {
      if (pub.kind !== Track.Kind.Video || !pub.isSubscribed) continue;
      pub.setEnabled(document.visibilityState !== 'hidden');
      if (this.quality === 'auto') {
        const el = pub.source === Track.Source.Camera && this.pub(Track.Source.ScreenShare) ? this.view.pip : this.view.video;
        const ratio = window.devicePixelRatio || 1;
        const width = Math.max(160, Math.round((el.clientWidth || this.root.clientWidth) * ratio));
        const height = Math.max(90, Math.round((el.clientHeight || this.root.clientHeight) * ratio));
        pub.setVideoDimensions({ width, height });
      } else {
        pub.setVideoQuality({ high: VideoQuality.HIGH, medium: VideoQuality.MEDIUM, low: VideoQuality.LOW }[this.quality]);
      }
    }
  }

  async toggleFullscreen(): Promise<void> {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.root.requestFullscreen({ navigationUI: 'hide' });
    } catch (e) {
      this.announcer.say(`Full screen is not available here (${describeError(e)}).`);
    }
  }

  /** What a test or a support session may read. */
  snapshot() {
    const v = this.view.video;
    return {
      state: this.room?.state ?? 'disconnected',
      stop: this.stop?.kind ?? null,
      status: this.status,
      overlay: this.lastOverlay,
      viewers: this.viewerCount(),
      muted: this.muted,
      volume: this.volume,
      paused: this.paused,
      quality: this.quality,
      // What the player shows: set by `fullscreenchange`, which Chromium dispatches a frame after
      // `document.fullscreenElement` changes.
      fullscreen: this.fullscreen,
      controlsHidden: this.root.classList.contains('is-idle'),
      video: { width: v.videoWidth, height: v.videoHeight, currentTime: v.currentTime, hidden: v.hidden },
      videoPaused: v.paused,
      shows: { ...this.sources, pipVisible: !this.view.pip.hidden },
      chat: this.chat?.messages ?? [],
      framesDecoded: v.getVideoPlaybackQuality().totalVideoFrames,
      audioVolumes: [...this.view.audioBox.querySelectorAll('audio')].map((a) => a.volume),
      audioBlocked: this.audioBlocked(),
      soundPrompt: this.view.soundPromptShown,
      announcements: this.announcer.history.map((a) => a.text),
    };
  }
}
