// The player's DOM: the video layer (main picture and a picture-in-picture camera while a
// screen share is shown), the state overlay, the "turn sound on" prompt and the control bar.
// It only draws; `player.ts` decides what to draw from the room's events.

import { IconButton, Popover, radioGroup } from './controls';
import { h, fill, plural } from './dom';

export type Quality = 'auto' | 'high' | 'medium' | 'low';

export const QUALITIES: { value: Quality; label: string }[] = [
  { value: 'auto', label: 'Auto (fits the player)' },
  { value: 'high', label: 'High' },
  { value: 'medium', label: 'Medium' },
  { value: 'low', label: 'Low (saves data)' },
];

/** What the overlay says; `null` hides it (the video is playing). */
export interface Overlay {
  /** The main line ("Reconnecting…", "Stream ended"). */
  line: string;
  sub?: string;
  /** `ended`/`error` tint the overlay; `info` is neutral. */
  tone: 'info' | 'ended' | 'error';
  /** A button in the overlay ("Try again", "Watch here"). */
  action?: { label: string; run: () => void };
  /** Keep the picture visible behind a small banner instead of covering it. */
  banner?: boolean;
  /** Show the server-rendered state (the "starts at" of a scheduled stream) instead. */
  server?: boolean;
}

export interface ViewActions {
  togglePause(): void;
  toggleMute(): void;
  setVolume(v: number): void;
  setQuality(q: Quality): void;
  toggleFullscreen(): void;
  startPlayback(): void;
}

export class PlayerView {
  readonly video: HTMLVideoElement;
  readonly pip: HTMLVideoElement;
  /** Where the audio elements of subscribed tracks live (they are not shown). */
  readonly audioBox: HTMLDivElement;
  readonly bar: HTMLDivElement;
  readonly playButton: IconButton;
  readonly muteButton: IconButton;
  readonly volume: HTMLInputElement;
  readonly fullscreenButton: IconButton;
  readonly quality: Popover;
  readonly help: Popover;
  private readonly state: HTMLElement;
  private readonly serverState: Node[];
  private readonly banner: HTMLParagraphElement;
  private readonly soundPrompt: HTMLButtonElement;
  private readonly viewers: HTMLSpanElement;

  constructor(
    readonly root: HTMLElement,
    actions: ViewActions,
  ) {
    this.state = root.querySelector<HTMLElement>('.player-state') ?? h('div', { class: 'player-state' });
    this.serverState = [...this.state.childNodes];

    this.video = h('video', { class: 'player-video', playsinline: true, muted: true, autoplay: true, hidden: true });
    this.video.muted = true;
    this.pip = h('video', { class: 'player-pip', playsinline: true, muted: true, autoplay: true, hidden: true });
    this.pip.muted = true;
    this.audioBox = h('div', { hidden: true });
    this.banner = h('p', { class: 'player-banner', hidden: true });
    this.soundPrompt = h('button', { class: 'btn btn-primary player-sound', type: 'button', hidden: true }, 'Turn sound on');
    this.soundPrompt.addEventListener('click', () => actions.startPlayback());

    this.playButton = new IconButton('play', 'pause', 'Pause (k)').onClick(() => actions.togglePause());
    this.muteButton = new IconButton('mute', 'volume', 'Mute (m)').onClick(() => actions.toggleMute());
    this.volume = h('input', {
      class: 'player-volume',
      type: 'range',
      min: 0,
      max: 100,
      step: 5,
      value: 100,
      'aria-label': 'Volume',
      'data-control': 'volume',
    });
    this.volume.addEventListener('input', () => actions.setVolume(Number(this.volume.value) / 100));
    this.viewers = h('span', { class: 'player-viewers' });
    const live = h('span', { class: 'badge badge-live' }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), 'Live');

    this.quality = new Popover('quality', 'settings', 'Quality', 'player-quality');
    this.quality.panel.append(
      radioGroup('quality', 'Quality', QUALITIES, 'auto', (v) => actions.setQuality(v as Quality)),
    );
    this.help = new Popover('shortcuts', 'keyboard', 'Keyboard shortcuts', 'player-shortcuts');
    this.help.panel.append(shortcutList());
    this.fullscreenButton = new IconButton('fullscreen', 'fullscreen', 'Full screen (f)').onClick(() =>
      actions.toggleFullscreen(),
    );
    if (!document.fullscreenEnabled) this.fullscreenButton.el.hidden = true;

    this.bar = h(
      'div',
      { class: 'player-bar', role: 'group', 'aria-label': 'Player controls', hidden: true },
      this.playButton.el,
      h('div', { class: 'player-sound-controls' }, this.muteButton.el, this.volume),
      h('div', { class: 'player-live' }, live, this.viewers),
      h('div', { class: 'player-bar-end' }, this.quality.el, this.help.el, this.fullscreenButton.el),
    );
    const media = h('div', { class: 'player-media' }, this.video, this.pip);
    root.classList.add('player-enhanced');
    root.prepend(media);
    root.append(this.banner, this.soundPrompt, this.bar, this.audioBox);
  }

  /** Shows `overlay` (or the picture, for `null`). */
  show(overlay: Overlay | null, videoVisible: boolean): void {
    this.root.dataset.phase = overlay ? (overlay.banner ? 'banner' : overlay.tone) : 'playing';
    this.video.hidden = !videoVisible;
    if (!videoVisible) this.pip.hidden = true;
    this.banner.hidden = !overlay?.banner;
    if (overlay?.banner) this.banner.textContent = overlay.line;
    const covering = overlay && !overlay.banner;
    this.state.parentElement?.toggleAttribute('hidden', !covering);
    if (!covering) return;
    if (overlay.server) {
      fill(this.state, ...this.serverState);
      return;
    }
    const action = overlay.action;
    let button: HTMLButtonElement | null = null;
    if (action) {
      button = h('button', { class: 'btn btn-secondary btn-sm', type: 'button' }, action.label);
      button.addEventListener('click', () => action.run());
    }
    fill(
      this.state,
      overlay.tone === 'ended' ? h('span', { class: 'badge badge-ended' }, 'Ended') : null,
      h('p', { class: 'player-line', 'data-role': 'player-line' }, overlay.line),
      overlay.sub ? h('p', { class: 'player-sub' }, overlay.sub) : null,
      button,
    );
  }

  /** The control bar is there while connected to a stream that has not ended. */
  showBar(visible: boolean): void {
    this.bar.hidden = !visible;
    if (!visible) {
      this.quality.toggle(false);
      this.help.toggle(false);
    }
  }

  /** The "Turn sound on" prompt, for browsers that blocked playback with sound. */
  promptSound(visible: boolean): void {
    this.soundPrompt.hidden = !visible;
  }

  get soundPromptShown(): boolean {
    return !this.soundPrompt.hidden;
  }

  setViewers(n: number): void {
    this.viewers.textContent = plural(n, 'viewer', 'viewers');
  }

  setPaused(paused: boolean): void {
    this.playButton.set(paused ? 'play' : 'pause', paused ? 'Play (k)' : 'Pause (k)');
    this.root.classList.toggle('is-paused', paused);
  }

  setSound(muted: boolean, volume: number): void {
    const silent = muted || volume === 0;
    this.muteButton.set(silent ? 'muted' : 'volume', silent ? 'Unmute (m)' : 'Mute (m)');
    this.volume.value = String(Math.round((muted ? 0 : volume) * 100));
    this.volume.setAttribute('aria-valuetext', muted ? 'muted' : `${Math.round(volume * 100)}%`);
  }

  setFullscreen(on: boolean): void {
    this.fullscreenButton.set(on ? 'exitFullscreen' : 'fullscreen', on ? 'Exit full screen (f)' : 'Full screen (f)');
  }
}

function shortcutList(): HTMLElement {
  const rows: [string, string][] = [
    ['Space or K', 'Pause or play'],
    ['M', 'Mute or unmute'],
    ['↑ / ↓', 'Volume up or down (while the player has focus)'],
    ['F', 'Full screen'],
    ['Esc', 'Close this menu, leave full screen'],
  ];
  return h(
    'div',
    {},
    h('p', { class: 'popover-title' }, 'Keyboard shortcuts'),
    h('dl', { class: 'shortcut-list' }, ...rows.map(([k, what]) => h('div', {}, h('dt', {}, h('kbd', {}, k)), h('dd', {}, what)))),
  );
}
