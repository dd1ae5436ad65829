"""Active speakers on the embedded media server with LiveKit's Python SDK: one participant
publishes a loud tone, another publishes silence, and a third participant's
`active_speakers_changed` names the loud one (and never the silent one) within a bounded time."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from livekit import rtc

ROOM = "speakers"
SPEAKER_WAIT_S = 15


async def wait(aw, seconds: float, what: str):
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"within {seconds}s: {what} did not happen") from None


async def publish_tone(room: rtc.Room, amplitude: int) -> asyncio.Task:
    """Publishes a microphone track carrying a 440 Hz tone of `amplitude` (0 = silence)."""
    source = rtc.AudioSource(48000, 1)
    track = rtc.LocalAudioTrack.create_audio_track("microphone", source)
    await room.local_participant.publish_track(
        track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    )

    async def feed() -> None:
        n, t = 480, 0
        while True:
            samples = (np.sin(2 * np.pi * 440 * (np.arange(n) + t) / 48000) * amplitude).astype(np.int16)
            frame = rtc.AudioFrame.create(48000, 1, n)
            np.frombuffer(frame.data, dtype=np.int16)[:] = samples
            await source.capture_frame(frame)
            t += n

    return asyncio.create_task(feed())


@pytest.mark.timeout(60)
async def test_the_loud_participant_is_the_active_speaker(onair):
    loud, quiet, listener = rtc.Room(), rtc.Room(), rtc.Room()
    seen: list[list[str]] = []
    named = asyncio.get_running_loop().create_future()

    @listener.on("active_speakers_changed")
    def _speakers(speakers: list[rtc.Participant]):
        identities = [p.identity for p in speakers]
        seen.append(identities)
        if "alice" in identities and not named.done():
            named.set_result(identities)

    feeds: list[asyncio.Task] = []
    try:
        await listener.connect(onair.ws_url, onair.token("carol", ROOM))
        await loud.connect(onair.ws_url, onair.token("alice", ROOM))
        await quiet.connect(onair.ws_url, onair.token("bob", ROOM))
        feeds.append(await publish_tone(loud, 20000))
        feeds.append(await publish_tone(quiet, 0))
        identities = await wait(named, SPEAKER_WAIT_S, "carol hearing that alice speaks")
        assert identities[0] == "alice", seen
        # Give a silent speaker every chance to be (wrongly) named before checking.
        await asyncio.sleep(2)
        assert all("bob" not in s for s in seen), seen
    finally:
        for f in feeds:
            f.cancel()
        await asyncio.gather(*feeds, return_exceptions=True)
        for r in (loud, quiet, listener):
            await r.disconnect()
