"""Grants enforced by the embedded media server, shown with LiveKit's Python SDK: a
subscribe-only token cannot publish media or data, and forged, expired, roomJoin-less or other-room
tokens never get into the room."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import numpy as np
import pytest
from livekit import api, rtc

ROOM = "studio"
WAIT_S = 10


async def wait(aw, seconds: float, what: str):
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"within {seconds}s: {what} did not happen") from None


@pytest.mark.timeout(90)
async def test_subscribe_only_token_cannot_publish_and_nobody_receives_from_it(onair):
    watcher = rtc.Room()
    seen_tracks: list[str] = []
    data: asyncio.Queue = asyncio.Queue()
    watcher.on("track_published", lambda pub, p: seen_tracks.append(p.identity))
    watcher.on("track_subscribed", lambda track, pub, p: seen_tracks.append(p.identity))
    watcher.on("data_received", lambda pkt: data.put_nowait((pkt.participant.identity, bytes(pkt.data))))
    await watcher.connect(onair.ws_url, onair.token("watcher", ROOM))

    viewer = rtc.Room()
    # Python's VideoGrants sets canPublishData explicitly (default true), so subscribe-only
    # means both flags off.
    await viewer.connect(onair.ws_url, onair.token("viewer", ROOM, can_publish=False, can_publish_data=False))
    assert viewer.local_participant.permissions.can_publish is False
    source = rtc.VideoSource(320, 240)
    track = rtc.LocalVideoTrack.create_video_track("sneaky", source)
    frame = rtc.VideoFrame(320, 240, rtc.VideoBufferType.RGBA, np.zeros((240, 320, 4), np.uint8).tobytes())
    source.capture_frame(frame)
    with pytest.raises(Exception):
        await asyncio.wait_for(
            viewer.local_participant.publish_track(track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)),
            20,
        )
    # Data needs canPublishData: the viewer's packet is dropped,
    # so the watcher's first packet is the one from a participant allowed to send.
    await viewer.local_participant.publish_data(b"from-viewer", reliable=True)
    sender = rtc.Room()
    await sender.connect(onair.ws_url, onair.token("sender", ROOM))
    await sender.local_participant.publish_data(b"from-sender", reliable=True)
    assert await wait(data.get(), WAIT_S, "the watcher receiving data") == ("sender", b"from-sender")
    assert "viewer" not in seen_tracks
    remote = watcher.remote_participants.get("viewer")
    assert remote is not None and not remote.track_publications
    for room in (sender, viewer, watcher):
        await room.disconnect()


async def test_forged_expired_and_unjoinable_tokens_cannot_join(onair):
    def token(secret: str, ttl: timedelta, join: bool = True) -> str:
        grants = api.VideoGrants(room_join=join, room=ROOM)
        return api.AccessToken(onair.api_key, secret).with_identity("mallory").with_ttl(ttl).with_grants(grants).to_jwt()

    bad = {
        "forged": token("not-the-secret-" + "x" * 32, timedelta(minutes=5)),
        "expired": token(onair.api_secret, timedelta(hours=-1)),
        "without roomJoin": token(onair.api_secret, timedelta(minutes=5), join=False),
    }
    for name, jwt in bad.items():
        room = rtc.Room()
        with pytest.raises(rtc.ConnectError):
            await asyncio.wait_for(room.connect(onair.ws_url, jwt), 30)
        assert room.connection_state != rtc.ConnectionState.CONN_CONNECTED, name


async def test_a_token_for_another_room_does_not_enter_this_one(onair):
    alice = rtc.Room()
    await alice.connect(onair.ws_url, onair.token("alice", ROOM))
    other = rtc.Room()
    await other.connect(onair.ws_url, onair.token("mallory", "elsewhere"))
    assert other.name == "elsewhere"
    assert not other.remote_participants
    assert "mallory" not in alice.remote_participants
    await other.disconnect()
    await alice.disconnect()
