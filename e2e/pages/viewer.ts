// The viewer page: joins with the SDK's default options (auto-subscribe on) and lets the test
// read decode statistics of what it receives and ask for a simulcast layer.

import { VideoQuality } from 'livekit-client';
import { E2E } from './common';

class Viewer extends E2E {
  /** Asks the server for the `low`, `medium` or `high` simulcast layer of the remote video. */
  setVideoQuality(quality: 'low' | 'medium' | 'high'): string {
    const pub = this.publication('video');
    if (!pub) return 'no remote video publication';
    const q = { low: VideoQuality.LOW, medium: VideoQuality.MEDIUM, high: VideoQuality.HIGH }[quality];
    pub.setVideoQuality(q);
    console.log(`e2e(viewer): requested video quality ${quality} for ${pub.trackSid}`);
    return 'ok';
  }
}

const e2e = new Viewer('viewer');
window.e2e = e2e;
e2e.connect().catch(() => {});
