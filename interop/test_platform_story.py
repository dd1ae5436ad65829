"""A stream's whole life through OnAir's HTTP API only, with LiveKit's Python SDK as the creator's
and the viewer's clients — once against the embedded media server, once with the platform
pointed (`LIVEKIT_URL`, key, secret) at a second `onair serve` acting as an external LiveKit
server that posts its webhooks to the platform. Nothing in the story differs between the two.

create → token → the creator publishes → LIVE, room listed → a viewer joins (count 1, frames
decoded) → the creator ends it → the room is gone, both clients are told `ROOM_DELETED`, the
stream is ENDED with peak viewers 1.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from livekit import api, rtc

from conftest import Onair, Ports, kill_onair, start_onair, stop_onair
from platform_client import PlatformClient
from test_sfu_media import FRAME_WAIT_S, Publisher
from waits import poll, wait

WAIT_S = 15


@dataclass
class Deployment:
    """The process users talk to (`platform`) and the one holding the rooms (`media`)."""

    platform: Onair
    media: Onair

    @property
    def external(self) -> bool:
        return self.platform is not self.media


@contextmanager
def deployment(mode: str):
    with tempfile.TemporaryDirectory(prefix="onair-story-") as tmp:
        tmp = Path(tmp)
        if mode == "embedded":
            servers = [start_onair(tmp)]
            deploy = Deployment(platform=servers[0], media=servers[0])
        else:
            platform_ports = Ports.free()
            webhook = f"http://127.0.0.1:{platform_ports.http}/api/livekit/webhook"
            (tmp / "media").mkdir()
            (tmp / "platform").mkdir()
            media = start_onair(tmp / "media", extra_env={"ONAIR_WEBHOOK_URLS": webhook})
            servers = [media]
            platform = start_onair(
                tmp / "platform",
                ports=platform_ports,
                api_secret=media.api_secret,
                extra_env={"LIVEKIT_URL": media.ws_url},
            )
            servers.append(platform)
            deploy = Deployment(platform=platform, media=media)
        ok = False
        try:
            yield deploy
            ok = True
        finally:
            codes = [stop_onair(s) for s in reversed(servers)]
            if not ok:
                for s in servers:
                    print(f"\n----- {s.log_path} -----\n{s.log()[-15000:]}")
            assert codes == [0] * len(servers), f"exit codes after SIGTERM: {codes}"


class Client:
    """A LiveKit room connection that records its first decoded frame (set `frame` to a new
    future to catch the next one), its reconnection and its disconnect."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.room = rtc.Room()
        self.frame = loop.create_future()
        self.reconnected = asyncio.Event()
        self.reconnected_at: float | None = None
        self.disconnected = loop.create_future()
        self._readers: list[asyncio.Task] = []

        @self.room.on("reconnected")
        def _reconnected():
            self.reconnected_at = time.monotonic()
            self.reconnected.set()

        @self.room.on("track_subscribed")
        def _subscribed(track, publication, participant):
            if track.kind == rtc.TrackKind.KIND_VIDEO:
                self._readers.append(asyncio.create_task(self._read(track)))

        @self.room.on("disconnected")
        def _disconnected(reason):
            if not self.disconnected.done():
                self.disconnected.set_result(reason)

    async def _read(self, track) -> None:
        async for event in rtc.VideoStream(track):
            if not self.frame.done():
                self.frame.set_result((event.frame.width, event.frame.height))

    async def close(self) -> None:
        for t in self._readers:
            t.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        await self.room.disconnect()


async def live_with_a_viewer(platform_url: str, creator: Client, viewer: Client, source: Publisher, title: str):
    """Through the platform's API: a creator's stream, LIVE with the creator publishing `source`'s
    camera and one viewer decoding it and counted. Returns (stream id, creator API, viewer API)."""
    creator_api = PlatformClient(platform_url)
    creator_api.signup(name="Creator")
    sid = creator_api.create_stream(title=title)["id"]
    grant = creator_api.token(sid)
    await wait(creator.room.connect(grant["serverUrl"], grant["token"]), WAIT_S, "the creator's join")
    source.start()
    video = rtc.LocalVideoTrack.create_video_track("camera", source.video)
    await creator.room.local_participant.publish_track(
        video, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
    )
    await poll(lambda: creator_api.stream(sid)["status"] == "LIVE", WAIT_S, "the stream did not go LIVE")
    viewer_api = PlatformClient(platform_url)
    viewer_api.signup(name="Viewer")
    viewer_grant = viewer_api.token(sid)
    await wait(viewer.room.connect(viewer_grant["serverUrl"], viewer_grant["token"]), WAIT_S, "the viewer's join")
    await wait(viewer.frame, FRAME_WAIT_S, "the viewer decoding a frame")
    await poll(lambda: viewer_api.stream(sid)["participantCount"] == 1, WAIT_S, "the viewer was not counted")
    return sid, creator_api, viewer_api


async def listed_room(media: Onair, name: str):
    async with media.room_api() as lk:
        rooms = await lk.room.list_rooms(api.ListRoomsRequest(names=[name]))
        return next((r for r in rooms.rooms if r.name == name), None)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", ["embedded", "external"])
async def test_a_stream_from_creation_to_the_end_through_the_api_only(mode):
    with deployment(mode) as deploy:
        creator_api = PlatformClient(deploy.platform.http_url)
        creator_api.signup(name="Creator")
        stream = creator_api.create_stream(title="The whole story")
        sid, room_name = stream["id"], stream["roomName"]
        assert stream["status"] == "SCHEDULED"

        grant = creator_api.token(sid)
        assert grant["role"] == "creator"
        assert grant["serverUrl"].rstrip("/") == deploy.media.ws_url, "the token must point at the media server"
        # The platform creates the room through RoomService when the first token is issued.
        await poll(lambda: listed_room(deploy.media, room_name), WAIT_S, f"room {room_name} was not created")

        creator, viewer, source = Client(), Client(), Publisher()
        try:
            await wait(creator.room.connect(grant["serverUrl"], grant["token"]), WAIT_S, "the creator's join")
            source.start()
            video = rtc.LocalVideoTrack.create_video_track("camera", source.video)
            audio = rtc.LocalAudioTrack.create_audio_track("microphone", source.audio)
            await creator.room.local_participant.publish_track(
                video, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
            )
            await creator.room.local_participant.publish_track(
                audio, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            )

            # track_published (a webhook from the media server) takes the stream live.
            live = await poll(
                lambda: (s := creator_api.stream(sid))["status"] == "LIVE" and s,
                WAIT_S,
                "the creator's first track did not take the stream LIVE",
            )
            assert live["participantCount"] == 0
            room = await listed_room(deploy.media, room_name)
            assert room is not None and room.num_participants == 1, room
            assert room.num_publishers == 1, room

            viewer_api = PlatformClient(deploy.platform.http_url)
            viewer_api.signup(name="Viewer")
            viewer_grant = viewer_api.token(sid)
            assert viewer_grant["role"] == "viewer"
            await wait(viewer.room.connect(viewer_grant["serverUrl"], viewer_grant["token"]), WAIT_S, "the viewer's join")
            width, height = await wait(viewer.frame, FRAME_WAIT_S, "the viewer decoding a frame")
            assert width > 0 and height > 0
            counted = await poll(
                lambda: (s := viewer_api.stream(sid))["participantCount"] == 1 and s,
                WAIT_S,
                "the viewer was not counted",
            )
            assert counted["peakViewers"] == 1
            # On the stream list too, with its live count.
            listing = viewer_api.request("GET", "/api/streams/list?status=LIVE")
            assert [(s["id"], s["participantCount"]) for s in listing["streams"]] == [(sid, 1)]

            ended = creator_api.patch(sid, {"status": "ENDED"})
            assert (ended["status"], ended["endedReason"]) == ("ENDED", "creator")

            for who, client in (("viewer", viewer), ("creator", creator)):
                reason = await wait(client.disconnected, WAIT_S, f"the {who}'s disconnect when the stream ended")
                assert reason == rtc.DisconnectReason.ROOM_DELETED, (who, reason)
            await poll(
                lambda: _absent(listed_room(deploy.media, room_name)), WAIT_S, f"room {room_name} still listed"
            )
            final = await poll(
                lambda: (s := viewer_api.stream(sid))["participantCount"] == 0 and s,
                WAIT_S,
                "the count did not drop to 0 after the end",
            )
            assert (final["status"], final["peakViewers"]) == ("ENDED", 1)
            assert final["endedAt"] is not None
        finally:
            await source.stop()
            await viewer.close()
            await creator.close()


async def _absent(room) -> bool:
    return await room is None


@pytest.mark.timeout(120)
async def test_external_mode_the_media_server_killed_and_restarted_or_gone_for_good():
    """`kill -9` of the external media server while the platform keeps running. Restarted on the
    same ports, the creator's SDK rejoins and the stream stays LIVE with its viewer; killed
    again and left down, the platform cannot reach it, counts the creator absent and ends the
    stream after the grace period."""
    grace = 10
    env = {"ONAIR_CREATOR_GRACE_SECS": str(grace), "ONAIR_SWEEP_INTERVAL_SECS": "1"}
    with tempfile.TemporaryDirectory(prefix="onair-story-") as tmp:
        tmp = Path(tmp)
        (tmp / "media").mkdir()
        (tmp / "platform").mkdir()
        platform_ports = Ports.free()
        webhook = {"ONAIR_WEBHOOK_URLS": f"http://127.0.0.1:{platform_ports.http}/api/livekit/webhook"}
        media = start_onair(tmp / "media", extra_env=webhook)
        platform = start_onair(
            tmp / "platform",
            ports=platform_ports,
            api_secret=media.api_secret,
            extra_env={"LIVEKIT_URL": media.ws_url, **env},
        )
        creator, viewer, source = Client(), Client(), Publisher()
        try:
            sid, creator_api, viewer_api = await live_with_a_viewer(
                platform.http_url, creator, viewer, source, "Media server crash"
            )

            # Killed and restarted: both clients rejoin the new process; the stream carries on.
            kill_onair(media)
            viewer.frame = asyncio.get_running_loop().create_future()
            killed_at = time.monotonic()
            media = start_onair(tmp / "media", extra_env=webhook, ports=media.ports, api_secret=media.api_secret)
            await wait(creator.reconnected.wait(), grace, "the creator's SDK reconnecting to the restarted media server")
            await wait(viewer.frame, FRAME_WAIT_S, "the viewer decoding a frame after the restart")
            await poll(
                lambda: (s := viewer_api.stream(sid))["participantCount"] == 1 and s["status"] == "LIVE",
                WAIT_S,
                "the stream did not carry on LIVE with its viewer after the media server restarted",
            )
            # Past the moment a grace period begun at the kill would have ended it: still LIVE.
            while time.monotonic() < killed_at + grace + 2:
                assert creator_api.stream(sid)["status"] == "LIVE", "ended although the creator came back"
                await asyncio.sleep(0.5)

            # Killed and left down: the platform ends the stream once the grace period passes.
            kill_onair(media)
            killed_at = time.monotonic()
            ended = await poll(
                lambda: (s := viewer_api.stream(sid))["status"] == "ENDED" and s,
                grace + 10,
                "the stream stayed LIVE although its media server is gone",
            )
            assert ended["endedReason"] == "creator_absent"
            assert time.monotonic() - killed_at >= grace - 1, "ended before the grace period passed"
        finally:
            await source.stop()
            await viewer.close()
            await creator.close()
            assert stop_onair(platform) == 0, platform.log()[-5000:]
            if media.process.poll() is None:
                stop_onair(media)
