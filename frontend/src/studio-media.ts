// The creator's own media before and during a broadcast: camera and microphone (opened when
// the studio loads, so there is a preview and the browser asks for permission before anything
// goes out), device choice, on/off toggles and the screen share. The tracks are livekit-client
// `LocalTrack`s, so going live publishes exactly what the preview shows.

import {
  LocalAudioTrack,
  LocalVideoTrack,
  MediaDeviceFailure,
  Room,
  Track,
  VideoPresets,
  createLocalAudioTrack,
  createLocalScreenTracks,
  createLocalVideoTrack,
  type LocalTrack,
} from 'livekit-client';
import { capitalized, describeError } from './dom';

export type DeviceKind = 'videoinput' | 'audioinput';

/** What opening a device came to: the track, or the error that kept it closed. */
export type Opened<T> = { track: T; error?: undefined } | { track?: undefined; error: unknown };

/**
 * What went wrong opening the camera and/or the microphone, in words a creator can act on; the
 * same failure of both devices is said once ("blocked the camera and the microphone").
 */
export function deviceProblem(failures: { camera?: unknown; microphone?: unknown }): string {
  const found = (Object.entries(failures) as [string, unknown][]).filter(([, e]) => e !== undefined);
  const kinds = new Set(found.map(([, e]) => MediaDeviceFailure.getFailure(e) ?? MediaDeviceFailure.Other));
  const groups: [string[], unknown][] =
    kinds.size === 1 && found.length > 1 ? [[found.map(([what]) => what), found[0][1]]] : found.map(([what, e]) => [[what], e]);
  return groups
    .map(([names, e]) => {
      const what = names.map((n) => `the ${n}`).join(' and ');
      const them = names.length > 1 ? 'them' : 'it';
      switch (MediaDeviceFailure.getFailure(e)) {
        case MediaDeviceFailure.PermissionDenied:
          return `Your browser blocked ${what}. Allow ${them} in the site settings (next to the address bar), then choose “Try again”.`;
        case MediaDeviceFailure.NotFound:
          return `No ${names.join(' or ')} was found. Connect one, then choose “Try again”.`;
        case MediaDeviceFailure.DeviceInUse:
          return `${capitalized(what)} ${names.length > 1 ? 'are' : 'is'} in use by another program or tab. Close it, then choose “Try again”.`;
        default:
          return `${capitalized(what)} could not be opened (${describeError(e)}).`;
      }
    })
    .join(' ');
}

/** Fired (as `change`) when a track ends by itself, e.g. the browser's "Stop sharing" button. */
export class LocalMedia extends EventTarget {
  camera: LocalVideoTrack | null = null;
  mic: LocalAudioTrack | null = null;
  /** The screen share's video and, when the browser offers it, its audio. */
  screen: LocalTrack[] = [];

  /** Opens camera and microphone (each on its own, so one failing leaves the other). */
  async open(): Promise<{ camera: Opened<LocalVideoTrack>; mic: Opened<LocalAudioTrack> }> {
    const [camera, mic] = await Promise.all([
      this.camera ? { track: this.camera } : this.openCamera(),
      this.mic ? { track: this.mic } : this.openMic(),
    ]);
    return { camera, mic };
  }

  private async openCamera(deviceId?: string): Promise<Opened<LocalVideoTrack>> {
    try {
      this.camera = await createLocalVideoTrack({ deviceId, resolution: VideoPresets.h720.resolution });
      return { track: this.camera };
    } catch (e) {
      return { error: e };
    }
  }

  private async openMic(deviceId?: string): Promise<Opened<LocalAudioTrack>> {
    try {
      this.mic = await createLocalAudioTrack({ deviceId });
      return { track: this.mic };
    } catch (e) {
      return { error: e };
    }
  }

  /** The devices of `kind` the browser lists (labels appear once permission was given). */
  devices(kind: DeviceKind): Promise<MediaDeviceInfo[]> {
    return Room.getLocalDevices(kind, false);
  }

  /** The device the open track of `kind` uses. */
  async activeDevice(kind: DeviceKind): Promise<string | undefined> {
    const track = kind === 'videoinput' ? this.camera : this.mic;
    return track?.getDeviceId();
  }

  /** Switches the camera or microphone to `deviceId` (published tracks follow without a gap in signalling). */
  async setDevice(kind: DeviceKind, deviceId: string): Promise<string | undefined> {
    const track = kind === 'videoinput' ? this.camera : this.mic;
    let error: unknown;
    try {
      if (track) await track.setDeviceId({ exact: deviceId });
      else error = (kind === 'videoinput' ? await this.openCamera(deviceId) : await this.openMic(deviceId)).error;
    } catch (e) {
      error = e;
    }
    if (error === undefined) return undefined;
    return deviceProblem(kind === 'videoinput' ? { camera: error } : { microphone: error });
  }

  /** Turns a track on or off (an off camera releases the device, so its light goes out). */
  async setEnabled(source: 'camera' | 'mic', on: boolean): Promise<void> {
    const track = source === 'camera' ? this.camera : this.mic;
    if (!track) return;
    if (on) await track.unmute();
    else await track.mute();
  }

  isOn(source: 'camera' | 'mic'): boolean {
    const track = source === 'camera' ? this.camera : this.mic;
    return Boolean(track && !track.isMuted);
  }

  /** Asks the browser for a screen (or window, or tab) to share; a cancelled picker is not an error. */
  async startScreen(): Promise<string | undefined> {
    try {
      this.screen = await createLocalScreenTracks({ audio: true });
    } catch (e) {
      if (MediaDeviceFailure.getFailure(e) === MediaDeviceFailure.PermissionDenied) return 'Screen sharing was cancelled.';
      return `Screen sharing could not start (${describeError(e)}).`;
    }
    for (const t of this.screen) {
      t.mediaStreamTrack.addEventListener('ended', () => {
        this.stopScreen();
        this.dispatchEvent(new Event('change'));
      });
    }
    return undefined;
  }

  stopScreen(): LocalTrack[] {
    const stopped = this.screen;
    this.screen = [];
    for (const t of stopped) t.stop();
    return stopped;
  }

  screenVideo(): LocalVideoTrack | undefined {
    return this.screen.find((t): t is LocalVideoTrack => t.source === Track.Source.ScreenShare);
  }

  /** Everything there is to publish. */
  tracks(): LocalTrack[] {
    return [this.camera, this.mic, ...this.screen].filter((t): t is LocalTrack => Boolean(t));
  }

  /** Releases every device (the stream ended, or the page is closing). */
  close(): void {
    for (const t of this.tracks()) t.stop();
    this.camera = null;
    this.mic = null;
    this.screen = [];
  }
}
