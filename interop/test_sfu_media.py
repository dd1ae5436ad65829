"""The embedded media server with LiveKit's Python SDK (default room options): a publisher's
synthetic video and audio reach two subscribers as decoded frames of the right size, data
packets arrive stamped with the sender's identity, and unpublishing removes the track."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from livekit import rtc
from livekit.rtc.participant import ConnectionQuality
from waits import poll, wait

ROOM = "studio"
WIDTH, HEIGHT = 640, 360
FRAME_WAIT_S = 20
EVENT_WAIT_S = 10


class Publisher:
    """Pushes a moving gradient at ~30 fps and a 440 Hz tone in 10 ms frames."""

    def __init__(self) -> None:
        self.video = rtc.VideoSource(WIDTH, HEIGHT)
        self.audio = rtc.AudioSource(48000, 1)
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._video()), asyncio.create_task(self._audio())]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _video(self) -> None:
        ramp = np.tile(np.arange(WIDTH, dtype=np.uint8), (HEIGHT, 1))
        i = 0
        while True:
            frame = np.empty((HEIGHT, WIDTH, 4), dtype=np.uint8)
            frame[..., 0] = ramp + i
            frame[..., 1] = (i * 3) % 256
            frame[..., 2] = 255 - frame[..., 0]
            frame[..., 3] = 255
            self.video.capture_frame(rtc.VideoFrame(WIDTH, HEIGHT, rtc.VideoBufferType.RGBA, frame.tobytes()))
            i += 1
            await asyncio.sleep(1 / 30)

    async def _audio(self) -> None:
        n = 480
        t = 0
        while True:
            samples = (np.sin(2 * np.pi * 440 * (np.arange(n) + t) / 48000) * 8000).astype(np.int16)
            frame = rtc.AudioFrame.create(48000, 1, n)
            np.frombuffer(frame.data, dtype=np.int16)[:] = samples
            await self.audio.capture_frame(frame)
            t += n


class Subscriber:
    """Records what a subscribing participant sees."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.room = rtc.Room()
        self.video_size = asyncio.get_running_loop().create_future()
        self.audio_frame = asyncio.get_running_loop().create_future()
        self.data: asyncio.Queue = asyncio.Queue()
        self.unsubscribed = asyncio.Event()
        self.unpublished = asyncio.Event()
        self.tracks: set[str] = set()
        self.first_frame_at: float | None = None
        self._readers: list[asyncio.Task] = []

        @self.room.on("track_subscribed")
        def _subscribed(track, publication, participant):
            self.tracks.add(publication.sid)
            if track.kind == rtc.TrackKind.KIND_VIDEO:
                self._readers.append(asyncio.create_task(self._read_video(track)))
            else:
                self._readers.append(asyncio.create_task(self._read_audio(track)))

        @self.room.on("track_unsubscribed")
        def _unsubscribed(track, publication, participant):
            if track.kind == rtc.TrackKind.KIND_VIDEO:
                self.unsubscribed.set()

        @self.room.on("track_unpublished")
        def _unpublished(publication, participant):
            if publication.kind == rtc.TrackKind.KIND_VIDEO:
                self.unpublished.set()

        @self.room.on("data_received")
        def _data(packet: rtc.DataPacket):
            sender = packet.participant.identity if packet.participant else None
            self.data.put_nowait((sender, bytes(packet.data), packet.topic))

    async def _read_video(self, track) -> None:
        async for event in rtc.VideoStream(track):
            f = event.frame
            if self.first_frame_at is None:
                self.first_frame_at = time.monotonic()
            # The top simulcast layer arrives after a keyframe request; lower layers may come first.
            if (f.width, f.height) == (WIDTH, HEIGHT) and not self.video_size.done():
                self.video_size.set_result((f.width, f.height))

    async def _read_audio(self, track) -> None:
        async for event in rtc.AudioStream(track, sample_rate=48000, num_channels=1):
            if not self.audio_frame.done():
                self.audio_frame.set_result(event.frame.sample_rate)

    async def close(self) -> None:
        for t in self._readers:
            t.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        await self.room.disconnect()


@pytest.mark.timeout(90)
async def test_publish_reaches_two_subscribers_then_unpublish_removes_it(onair):
    publisher = rtc.Room()
    source = Publisher()
    await publisher.connect(onair.ws_url, onair.token("alice", ROOM))
    source.start()
    video = rtc.LocalVideoTrack.create_video_track("camera", source.video)
    audio = rtc.LocalAudioTrack.create_audio_track("microphone", source.audio)
    video_pub = await publisher.local_participant.publish_track(
        video, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
    )
    await publisher.local_participant.publish_track(
        audio, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    )
    assert video_pub.sid.startswith("TR_")

    subscribers = [Subscriber("bob"), Subscriber("carol")]
    try:
        started = time.monotonic()
        tokens = [onair.token(s.identity, ROOM) for s in subscribers]
        await asyncio.gather(*(s.room.connect(onair.ws_url, t) for s, t in zip(subscribers, tokens)))
        for s in subscribers:
            size = await wait(s.video_size, FRAME_WAIT_S, f"{s.identity} decoding a {WIDTH}x{HEIGHT} frame")
            assert size == (WIDTH, HEIGHT)
            rate = await wait(s.audio_frame, FRAME_WAIT_S, f"{s.identity} receiving audio")
            assert rate == 48000
            assert video_pub.sid in s.tracks
        first = min(s.first_frame_at for s in subscribers)
        print(f"\njoin time (token -> first decoded frame): {(first - started) * 1000:.0f} ms")

        # The media server measures each connection (loss, round trip) and tells the
        # participant, and the room about a publisher: the SDK's connection_quality follows.
        excellent = ConnectionQuality.QUALITY_EXCELLENT
        await poll(
            lambda: publisher.local_participant.connection_quality == excellent,
            EVENT_WAIT_S,
            "alice told her connection is excellent",
        )
        for s in subscribers:
            await poll(
                lambda s=s: s.room.remote_participants["alice"].connection_quality == excellent,
                EVENT_WAIT_S,
                f"{s.identity} told alice's connection is excellent",
            )

        # Data: to the room, then to one identity only; the server stamps the sender.
        await publisher.local_participant.publish_data(b"only-bob", reliable=True, destination_identities=["bob"])
        await publisher.local_participant.publish_data(b"hello", reliable=True, topic="chat")
        bob, carol = subscribers
        assert await wait(bob.data.get(), EVENT_WAIT_S, "bob receiving data") == ("alice", b"only-bob", "")
        assert await wait(bob.data.get(), EVENT_WAIT_S, "bob receiving data") == ("alice", b"hello", "chat")
        # Carol's first packet is the broadcast: the one for bob never reached her.
        assert await wait(carol.data.get(), EVENT_WAIT_S, "carol receiving data") == ("alice", b"hello", "chat")

        await publisher.local_participant.unpublish_track(video_pub.sid)
        for s in subscribers:
            await wait(s.unsubscribed.wait(), EVENT_WAIT_S, f"{s.identity} seeing track_unsubscribed")
            await wait(s.unpublished.wait(), EVENT_WAIT_S, f"{s.identity} seeing track_unpublished")
    finally:
        await source.stop()
        for s in subscribers:
            await s.close()
        await publisher.disconnect()
