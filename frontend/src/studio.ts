// The creator's broadcast room on `/studio/{id}`: camera and microphone preview with device
// pickers and toggles, "Go live", a live timer, the viewer count and list, the connection state
// and "End stream".
//
// Going live: join the room with the creator token first (so an unreachable media server costs
// nothing), then `PATCH {status: LIVE}` — the one place the go-live cost is charged, so a 402
// is shown before anything is published — then publish the previewed tracks (simulcast, the
// livekit-client default; dynacast on). A stream that is already LIVE (the page was reloaded,
// the connection was lost) is resumed without a charge. The media server's `track_published`
// webhook would also take the stream live; after the PATCH it finds it LIVE and does nothing.

import { ConnectionQuality, ConnectionState, Room, RoomEvent, type LocalTrack, type RemoteParticipant } from 'livekit-client';
import { ApiError, endedReasonText, fetchToken, getStream, removeParticipant, setStatus, type StreamStatus } from './api';
import type { Announcer } from './announce';
import { Chat } from './chat';
import { departure, isReconnecting, retryDelay } from './connection';
import { clock, describeError, fill, h } from './dom';
import { LocalMedia, deviceProblem, type DeviceKind } from './studio-media';
import { StudioView, type Phase } from './studio-view';


export class Studio {
  readonly streamId: string;
  private status: StreamStatus;
  private phase: Phase = 'preview';
  room: Room | null = null;
  private readonly media = new LocalMedia();
  private startedAt: number | null;
  private timer: number | undefined;
  private retryTimer: number | undefined;
  private attempt = 0;
  private readonly view: StudioView;
  private readonly el: StudioView['el'];
  /** The chat under the viewer list. */
  private readonly chat: Chat | null;

  constructor(
    readonly root: HTMLElement,
    private readonly announcer: Announcer,
  ) {
    this.streamId = root.dataset.streamId ?? '';
    this.status = (root.dataset.status ?? 'SCHEDULED') as StreamStatus;
    this.startedAt = root.dataset.startedAt ? Date.parse(root.dataset.startedAt) : null;
    this.view = new StudioView(root);
    this.el = this.view.el;
    const chat = document.querySelector<HTMLElement>('[data-onair-chat]');
    this.chat = chat ? new Chat(chat) : null;
  }

  start(): void {
    for (const el of this.root.querySelectorAll<HTMLElement>('[data-js]')) el.hidden = false;
    if (this.status === 'ENDED') {
      this.finish(null);
      return;
    }
    this.el.camera.addEventListener('click', () => void this.toggle('camera'));
    this.el.mic.addEventListener('click', () => void this.toggle('mic'));
    this.el.screen.addEventListener('click', () => void this.toggleScreen());
    this.el.cameraSelect.addEventListener('change', () => void this.pick('videoinput', this.el.cameraSelect.value));
    this.el.micSelect.addEventListener('change', () => void this.pick('audioinput', this.el.micSelect.value));
    this.el.retry.addEventListener('click', () => void this.openDevices());
    this.el.goLive.addEventListener('click', () => void this.goLive());
    this.el.viewerList.addEventListener('click', (e) => {
      const button = (e.target as Element | null)?.closest<HTMLButtonElement>('button[data-remove]');
      if (button) void this.remove(button);
    });
    this.el.endForm.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.end();
    });
    this.media.addEventListener('change', () => {
      void this.unpublishEnded();
      this.render();
    });
    navigator.mediaDevices?.addEventListener('devicechange', () => void this.listDevices());
    window.addEventListener('beforeunload', (e) => {
      if (this.phase !== 'live') return;
      // Leaving takes the stream off the air (the grace period then ends it): ask first.
      e.preventDefault();
      e.returnValue = '';
    });
    this.el.goLive.textContent = this.status === 'LIVE' ? 'Resume broadcast' : 'Go live';
    if (this.status === 'LIVE') this.startTimer();
    this.render();
    void this.openDevices();
  }

  /** Opens camera and microphone for the preview and says what did not work. */
  private async openDevices(): Promise<void> {
    this.el.retry.hidden = true;
    this.setStage('Starting your camera…', 'Your browser may ask for permission.');
    const { camera, mic } = await this.media.open();
    const failed = camera.error !== undefined || mic.error !== undefined;
    const problem = failed ? deviceProblem({ camera: camera.error, microphone: mic.error }) : '';
    this.alert(problem);
    this.el.retry.hidden = !failed;
    if (failed) this.announcer.say(problem);
    await this.listDevices();
    this.render();
  }

  private async listDevices(): Promise<void> {
    const fillSelect = async (select: HTMLSelectElement, kind: DeviceKind, noun: string) => {
      const devices = await this.media.devices(kind);
      const active = await this.media.activeDevice(kind);
      fill(
        select,
        ...devices.map((d, i) =>
          h('option', { value: d.deviceId, selected: d.deviceId === active }, d.label || `${noun} ${i + 1}`),
        ),
      );
      select.disabled = devices.length === 0;
      if (devices.length === 0) fill(select, h('option', { value: '' }, `No ${noun.toLowerCase()} found`));
    };
    try {
      await Promise.all([
        fillSelect(this.el.cameraSelect, 'videoinput', 'Camera'),
        fillSelect(this.el.micSelect, 'audioinput', 'Microphone'),
      ]);
    } catch (e) {
      console.warn('onair: listing devices failed', e);
    }
  }

  private async pick(kind: DeviceKind, deviceId: string): Promise<void> {
    if (!deviceId) return;
    const problem = await this.media.setDevice(kind, deviceId);
    this.alert(problem ?? '');
    if (!problem) this.announcer.say(`${kind === 'videoinput' ? 'Camera' : 'Microphone'} changed.`);
    if (this.phase === 'live' && !problem) await this.publishMissing();
    this.render();
  }

  private async toggle(source: 'camera' | 'mic'): Promise<void> {
    const on = !this.media.isOn(source);
    await this.media.setEnabled(source, on);
    this.announcer.say(`${source === 'camera' ? 'Camera' : 'Microphone'} ${on ? 'on' : 'off'}.`);
    this.render();
  }

  private async toggleScreen(): Promise<void> {
    if (this.media.screen.length) {
      const stopped = this.media.stopScreen();
      await this.unpublish(stopped);
      this.announcer.say('Screen sharing stopped.');
    } else {
      const problem = await this.media.startScreen();
      this.alert(problem ?? '');
      if (problem) this.announcer.say(problem);
      else {
        if (this.phase === 'live') await this.publishMissing();
        this.announcer.say(this.phase === 'live' ? 'Sharing your screen with viewers.' : 'Screen ready: it goes out when you go live.');
      }
    }
    this.render();
  }

  /** Joins, goes live (charging once) and publishes; resumes without a charge when already LIVE. */
  async goLive(): Promise<void> {
    if (this.phase === 'connecting' || this.phase === 'live') return;
    window.clearTimeout(this.retryTimer);
    if (this.media.tracks().length === 0) {
      this.alert('Turn on a camera, a microphone or a screen share first: there is nothing to broadcast yet.');
      return;
    }
    this.alert('');
    this.phase = 'connecting';
    this.render('Going live…');
    // The previewed tracks belong to the page, not to one connection: a lost connection or a
    // failed go-live must leave them running for the preview and the next attempt.
    const room = new Room({ dynacast: true, stopLocalTrackOnUnpublish: false });
    try {
      const grant = await fetchToken(this.streamId);
      if (grant.role !== 'creator') throw new Error('only the stream’s creator can broadcast it');
      this.watch(room);
      this.room = room;
      this.chat?.attach(room, grant.identity);
      await room.connect(grant.serverUrl, grant.token);
      if (this.status === 'SCHEDULED') {
        const stream = await setStatus(this.streamId, 'LIVE').catch(async (e: unknown) => {
          // Another request (a webhook, a second tab) may have won the race: fine if it is LIVE.
          if (e instanceof ApiError && e.status === 409) {
            const now = await getStream(this.streamId);
            if (now.status === 'LIVE') return now;
          }
          throw e;
        });
        this.status = stream.status;
        this.startedAt = stream.startedAt ? Date.parse(stream.startedAt) : Date.now();
      }
      await this.publishMissing();
      this.phase = 'live';
      this.attempt = 0;
      this.el.goLive.textContent = 'Resume broadcast';
      this.startTimer();
      this.render('You are live.');
    } catch (e) {
      this.room = null;
      await room.disconnect(false);
      this.phase = 'preview';
      this.goLiveFailed(e);
    }
  }

  private goLiveFailed(e: unknown): void {
    if (e instanceof ApiError && e.code === 'insufficient_credits') {
      this.alert(
        `Going live costs ${e.cost ?? this.root.dataset.cost} credits and your balance is ${e.balance ?? 0}. Nothing was charged and nothing was broadcast.`,
        { href: '/studio#credits', label: 'See your credits' },
      );
    } else if (e instanceof ApiError && e.status === 410) {
      void this.stopped();
      return;
    } else {
      this.alert(`Could not go live: ${describeError(e)}`);
    }
    this.render('Not live.');
  }

  private watch(room: Room): void {
    room
      .on(RoomEvent.ConnectionStateChanged, () => this.render())
      .on(RoomEvent.ConnectionQualityChanged, (quality, participant) => {
        if (participant !== room.localParticipant) return;
        this.render(
          quality === ConnectionQuality.Poor ? 'Your connection is poor: viewers may see the video stutter.' : undefined,
        );
      })
      .on(RoomEvent.ParticipantConnected, () => this.render())
      .on(RoomEvent.ParticipantDisconnected, () => this.render())
      .on(RoomEvent.Disconnected, (reason) => {
        if (this.room !== room) return;
        this.room = null;
        const wasLive = this.phase === 'live';
        this.phase = 'preview';
        switch (departure(reason)) {
          case 'left':
            break;
          case 'ended':
            void this.stopped();
            return;
          case 'elsewhere':
            this.alert('You are broadcasting this stream from another tab or device, so this one stopped.');
            break;
          case 'removed':
            void this.removed();
            break;
          case 'lost':
            if (wasLive) {
              const wait = retryDelay(this.attempt++);
              this.alert(`The connection to the media server was lost. Trying again in ${Math.ceil(wait / 1000)} s…`);
              this.retryTimer = window.setTimeout(() => void this.goLive(), wait);
            }
        }
        this.render(wasLive ? 'You are off the air.' : undefined);
      });
  }

  /** Taken out of the room by the platform: unpaid go-live, or a moderator. */
  private async removed(): Promise<void> {
    try {
      const s = await getStream(this.streamId);
      this.alert(
        s.status === 'SCHEDULED'
          ? 'OnAir took you off the air because your credits do not cover going live.'
          : 'You were removed from the broadcast room.',
        s.status === 'SCHEDULED' ? { href: '/studio#credits', label: 'See your credits' } : undefined,
      );
    } catch {
      this.alert('You were removed from the broadcast room.');
    }
  }

  /** Publishes every previewed track that is not published yet. */
  private async publishMissing(): Promise<void> {
    const room = this.room;
    if (!room) return;
    const published = new Set([...room.localParticipant.trackPublications.values()].map((p) => p.track));
    for (const track of this.media.tracks()) {
      if (!published.has(track)) await room.localParticipant.publishTrack(track);
    }
  }

  private async unpublish(tracks: LocalTrack[]): Promise<void> {
    for (const t of tracks) await this.room?.localParticipant.unpublishTrack(t, true);
  }

  /** Unpublishes tracks that ended by themselves (the browser's "Stop sharing"). */
  private async unpublishEnded(): Promise<void> {
    const room = this.room;
    if (!room) return;
    const current = new Set(this.media.tracks());
    for (const pub of [...room.localParticipant.trackPublications.values()]) {
      if (pub.track && !current.has(pub.track)) await room.localParticipant.unpublishTrack(pub.track, true);
    }
  }

  /** "End stream" (or "Cancel stream" before it started), confirmed in the page's `<details>`. */
  async end(): Promise<void> {
    const submit = this.el.endSubmit;
    submit.disabled = true;
    try {
      const s = await setStatus(this.streamId, 'ENDED');
      await this.finish(s.endedReason);
    } catch (e) {
      if (e instanceof ApiError && e.status === 410) await this.stopped();
      else this.alert(`Could not end the stream: ${describeError(e)}`);
    } finally {
      submit.disabled = false;
    }
  }

  /**
   * "Remove" on a viewer, after a confirmation: the platform disconnects them, revokes the
   * token they hold and refuses them a new one for this stream. The list redraws when the room
   * reports them gone.
   */
  async remove(button: HTMLButtonElement): Promise<void> {
    const identity = button.dataset.remove ?? '';
    const name = button.dataset.name ?? 'this viewer';
    // A guest's identity is new with every token: removing one cannot keep them out.
    const consequence = identity.startsWith('guest-')
      ? 'They are disconnected (a guest can come back as a new guest).'
      : 'They are disconnected and cannot come back to this stream.';
    if (!identity || !window.confirm(`Remove ${name}? ${consequence}`)) return;
    button.disabled = true;
    try {
      await removeParticipant(this.streamId, identity);
      this.announcer.say(`${name} was removed from the stream.`);
    } catch (e) {
      button.disabled = false;
      this.alert(`Could not remove ${name}: ${describeError(e)}`);
    }
  }

  /** Ended elsewhere (an admin, credits, the room closed): find out why and stop. */
  private async stopped(): Promise<void> {
    let reason: string | null = null;
    try {
      reason = (await getStream(this.streamId)).endedReason;
    } catch {
      // The reason is a nicety; the stream is over either way.
    }
    await this.finish(reason);
  }

  private async finish(reason: string | null): Promise<void> {
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.timer);
    this.status = 'ENDED';
    this.phase = 'ended';
    const room = this.room;
    this.room = null;
    await room?.disconnect();
    this.media.close();
    this.el.end.open = false;
    this.alert('');
    this.setStage('Stream ended', endedReasonText(reason) || 'Thanks for streaming.');
    this.render('Stream ended.');
  }

  private startTimer(): void {
    window.clearInterval(this.timer);
    const tick = () => {
      this.el.timer.textContent = this.startedAt ? clock((Date.now() - this.startedAt) / 1000) : '—';
      this.el.onAir.textContent = `Live ${this.el.timer.textContent}`;
      this.el.onAir.setAttribute('aria-hidden', 'true');
    };
    tick();
    this.timer = window.setInterval(tick, 1000);
  }

  /** Viewers: everyone else in the room (the creator is the local participant). */
  viewers(): RemoteParticipant[] {
    return this.room ? [...this.room.remoteParticipants.values()] : [];
  }

  private alert(text: string, link?: { href: string; label: string }): void {
    this.view.alert(text, link);
  }

  private setStage(line: string, sub: string): void {
    this.view.setStage(line, sub);
  }

  /** Draws the whole studio from the current state; announces `say` (or a connection change). */
  private render(say?: string): void {
    const state = this.room?.state ?? ConnectionState.Disconnected;
    const live = this.phase === 'live';
    this.view.draw({ media: this.media, phase: this.phase, status: this.status, room: this.room, viewers: this.viewers() });
    this.chat?.setEnabled(state === ConnectionState.Connected);
    if (say) this.announcer.say(say);
    else if (this.room && isReconnecting(state)) this.announcer.say('Reconnecting…');
    else if (live && state === ConnectionState.Connected) this.announcer.say('You are live.');
  }

  /** What a test or a support session may read. */
  snapshot() {
    return {
      phase: this.phase,
      status: this.status,
      state: this.room?.state ?? 'disconnected',
      quality: this.room?.localParticipant.connectionQuality ?? 'unknown',
      connection: this.el.connection.textContent ?? '',
      chat: this.chat?.messages ?? [],
      viewers: this.viewers().length,
      published: this.room
        ? [...this.room.localParticipant.trackPublications.values()].map((p) => ({ source: p.source, muted: p.isMuted }))
        : [],
      camera: this.media.isOn('camera'),
      mic: this.media.isOn('mic'),
      preview: { width: this.el.preview.videoWidth, hidden: this.el.preview.hidden },
      alert: this.el.alert.textContent ?? '',
      timer: this.el.timer.textContent ?? '',
      announcements: this.announcer.history.map((a) => a.text),
    };
  }
}
