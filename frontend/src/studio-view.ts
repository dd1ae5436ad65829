// The studio's DOM: the server-rendered elements it drives (found by `data-role`), the preview
// videos, the alert, and one `draw()` that brings all of them in line with the studio's state.
// It only draws; `studio.ts` decides.

import { ConnectionState, Track, type LocalTrack, type RemoteParticipant, type Room } from 'livekit-client';
import type { StreamStatus } from './api';
import { showTrack } from './attach';
import { connectionLabel } from './connection';
import { fill, h, plural, role } from './dom';
import { showStatus } from './page-status';
import type { LocalMedia } from './studio-media';

export type Phase = 'preview' | 'connecting' | 'live' | 'ended';

export interface StudioState {
  media: LocalMedia;
  phase: Phase;
  status: StreamStatus;
  room: Room | null;
  viewers: RemoteParticipant[];
}

export class StudioView {
  readonly el;

  constructor(readonly root: HTMLElement) {
    const r = <T extends HTMLElement = HTMLElement>(name: string) => role<T>(root, name);
    this.el = {
      preview: r<HTMLVideoElement>('preview'),
      pip: r<HTMLVideoElement>('preview-pip'),
      stageLine: r('stage-line'),
      stageSub: r('stage-sub'),
      onAir: r('on-air'),
      camera: r<HTMLButtonElement>('camera-toggle'),
      mic: r<HTMLButtonElement>('mic-toggle'),
      screen: r<HTMLButtonElement>('screen-toggle'),
      cameraSelect: r<HTMLSelectElement>('camera-select'),
      micSelect: r<HTMLSelectElement>('mic-select'),
      retry: r<HTMLButtonElement>('retry-devices'),
      alert: r('alert'),
      timer: r('timer'),
      viewers: r('viewers'),
      connection: r('connection'),
      goLive: r<HTMLButtonElement>('go-live'),
      cost: r('cost'),
      end: r<HTMLDetailsElement>('end'),
      endForm: r<HTMLFormElement>('end-form'),
      endSummary: r('end-summary'),
      endNote: r('end-note'),
      endSubmit: r<HTMLButtonElement>('end-submit'),
      viewerList: r<HTMLUListElement>('viewer-list'),
      afterEnd: r<HTMLAnchorElement>('after-end'),
    };
  }

  /** Shows `text` (with an optional link) in the alert, or clears it. */
  alert(text: string, link?: { href: string; label: string }): void {
    if (!text) {
      fill(this.el.alert);
      this.el.alert.hidden = true;
      return;
    }
    this.el.alert.hidden = false;
    fill(this.el.alert, h('p', {}, text, link ? ' ' : null, link ? h('a', { href: link.href }, link.label) : null));
  }

  setStage(line: string, sub: string): void {
    this.el.stageLine.textContent = line;
    this.el.stageSub.textContent = sub;
  }

  draw({ media, phase, status, room, viewers }: StudioState): void {
    const el = this.el;
    const ended = phase === 'ended';
    const screen = media.screenVideo();
    const main = screen ?? (media.isOn('camera') ? media.camera : null);
    const pip = screen && media.isOn('camera') ? media.camera : null;
    show(el.preview, main && !ended ? main : null);
    show(el.pip, pip && !ended ? pip : null);
    if (!ended && !main) {
      this.setStage(
        media.camera ? 'Camera off' : 'No camera',
        media.mic ? (media.isOn('mic') ? 'Your microphone is on.' : 'Your microphone is off.') : 'Turn on a camera or share your screen to be seen.',
      );
    }
    for (const [button, on, available] of [
      [el.camera, media.isOn('camera'), Boolean(media.camera)],
      [el.mic, media.isOn('mic'), Boolean(media.mic)],
      [el.screen, media.screen.length > 0, Boolean(navigator.mediaDevices?.getDisplayMedia)],
    ] as const) {
      button.setAttribute('aria-pressed', String(on));
      button.disabled = ended || !available;
    }

    const state = room?.state ?? ConnectionState.Disconnected;
    const live = phase === 'live';
    el.onAir.hidden = !live;
    showStatus(ended ? 'ENDED' : status);
    el.afterEnd.hidden = !ended;
    el.connection.textContent = room
      ? connectionLabel(state, room.localParticipant.connectionQuality)
      : ended
        ? '—'
        : 'Not connected';
    el.goLive.hidden = live || ended || !this.root.dataset.canBroadcast;
    el.goLive.disabled = phase === 'connecting';
    if (phase === 'connecting') el.goLive.textContent = 'Going live…';
    el.cost.hidden = status !== 'SCHEDULED' || ended;
    el.end.hidden = ended;
    if (status === 'LIVE') {
      el.endSummary.textContent = 'End stream';
      el.endNote.textContent = 'Viewers will be disconnected. This cannot be undone.';
      el.endSubmit.textContent = 'End stream now';
    }
    for (const part of this.root.querySelectorAll<HTMLElement>('[data-js]')) part.hidden = ended;
    if (ended || status !== 'LIVE') el.timer.textContent = '—';
    this.root.dataset.phase = phase;

    el.viewers.textContent = room ? plural(viewers.length, 'viewer', 'viewers') : '—';
    fill(
      el.viewerList,
      ...(viewers.length
        ? viewers.map((p) => h('li', { class: 'viewer' }, h('span', {}, viewerName(p)), ...viewerActions(p)))
        : [h('li', { class: 'muted small' }, live ? 'No one is watching yet.' : 'Viewers appear here while you are live.')]),
    );
  }
}

/**
 * Actions on one viewer in the list: "Remove" (the studio listens on the list and asks first).
 * Guests have no stable identity to ban beyond this visit, but removing them still disconnects.
 */
function viewerActions(viewer: RemoteParticipant): Node[] {
  const name = viewerName(viewer);
  return [
    h(
      'button',
      { type: 'button', class: 'btn btn-quiet small', 'data-remove': viewer.identity, 'data-name': name, 'aria-label': `Remove ${name} from the stream` },
      'Remove',
    ),
  ];
}

/** How a viewer is shown: their display name, or "Guest". */
export function viewerName(viewer: RemoteParticipant): string {
  return viewer.name || 'Guest';
}

/** Shows `track` in `el` (or hides `el`). */
function show(el: HTMLVideoElement, track: LocalTrack | null): void {
  showTrack(el, track ?? undefined);
  el.hidden = !track || track.kind !== Track.Kind.Video;
}
