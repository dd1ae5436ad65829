// Which track each video element shows, so that re-rendering attaches a track only when it
// changed (attaching again restarts playback and flickers).

import type { Track } from 'livekit-client';

const shown = new WeakMap<HTMLMediaElement, Track>();

/** Shows `track` in `el` (detaching what it showed before); `undefined` empties it. Returns whether it changed. */
export function showTrack(el: HTMLMediaElement, track: Track | undefined): boolean {
  const current = shown.get(el);
  if (current === track) return false;
  current?.detach(el);
  if (track) {
    track.attach(el);
    shown.set(el, track);
  } else {
    shown.delete(el);
  }
  return true;
}
