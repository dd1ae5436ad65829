// The publisher page: joins with the SDK's default options and publishes the (fake) camera and
// microphone with default publish options, which for the camera means simulcast.

import { Track } from 'livekit-client';
import { E2E, describe } from './common';

class Publisher extends E2E {
  publishError: string | null = null;
  published = false;

  async start() {
    await this.connect();
    try {
      await this.room.localParticipant.enableCameraAndMicrophone();
      this.published = true;
      console.log('e2e(publisher): camera and microphone published');
    } catch (e) {
      this.publishError = describe(e);
    }
  }

  /** Mutes (true) or unmutes the camera: the track stays published, a MuteTrackRequest is sent. */
  async setCameraMuted(muted: boolean): Promise<string> {
    const pub = this.room.localParticipant.getTrackPublication(Track.Source.Camera);
    if (!pub?.track) return 'no camera publication';
    try {
      await (muted ? pub.mute() : pub.unmute());
      return 'ok';
    } catch (e) {
      return describe(e);
    }
  }

  /** Unpublishes the camera (the SDK renegotiates; there is no signal message for it). */
  async unpublishCamera(): Promise<string> {
    const pub = this.room.localParticipant.getTrackPublication(Track.Source.Camera);
    if (!pub?.track) return 'no camera publication';
    try {
      await this.room.localParticipant.unpublishTrack(pub.track);
      return 'ok';
    } catch (e) {
      return describe(e);
    }
  }

  /** `outbound-rtp` video stats per simulcast layer, to explain what the viewer receives. */
  async outboundVideoStats() {
    const layers: Record<string, unknown>[] = [];
    for (const pub of this.room.localParticipant.videoTrackPublications.values()) {
      const report = await pub.track?.getRTCStatsReport();
      report?.forEach((s) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video') {
          layers.push({
            rid: s.rid,
            active: s.active,
            frameWidth: s.frameWidth,
            frameHeight: s.frameHeight,
            framesEncoded: s.framesEncoded,
            packetsSent: s.packetsSent,
            qualityLimitationReason: s.qualityLimitationReason,
          });
        }
      });
    }
    return layers;
  }

  snapshot() {
    return { ...super.snapshot(), published: this.published, publishError: this.publishError };
  }
}

const e2e = new Publisher('publisher');
window.e2e = e2e;
e2e.start().catch(() => {});
