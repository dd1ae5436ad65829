"""Reconciliation: the platform checks LIVE streams against the media server's rooms, so a room
that disappears (closed, or lost when the media server restarted) never leaves a stream LIVE
forever: the creator counts as absent and the stream ends after the grace period."""

import asyncio
import tempfile
import time
from pathlib import Path

import pytest
from livekit import api

from conftest import kill_onair, start_onair, stop_onair
from waits import poll, wait
from platform_client import PlatformClient
from test_platform_story import WAIT_S, Client, live_with_a_viewer
from test_sfu_media import FRAME_WAIT_S, Publisher


QUICK = {"ONAIR_CREATOR_GRACE_SECS": "1", "ONAIR_SWEEP_INTERVAL_SECS": "1"}
# LiveKit's clients retry with a growing backoff while the server is down.
RECONNECT_S = 45


async def test_a_live_stream_whose_room_died_with_the_server_ends_after_the_grace_period():
    with tempfile.TemporaryDirectory(prefix="onair-interop-") as tmp:
        onair = start_onair(Path(tmp), extra_env=QUICK)
        try:
            creator = PlatformClient(onair.http_url)
            creator.signup(name="Creator")
            stream = creator.create_stream(title="Crash mid-stream")
            live = creator.request("PATCH", f"/api/streams/{stream['id']}", {"status": "LIVE"})
            assert live["status"] == "LIVE"
            room = live["roomName"]

            async with onair.room_api() as lk:

                async def room_listed():
                    rooms = await lk.room.list_rooms(api.ListRoomsRequest(names=[room]))
                    return [r for r in rooms.rooms if r.name == room]

                await poll(room_listed, 10, f"the platform did not create room {room} on go-live")
        finally:
            # kill -9: no webhook, no cleanup; the room dies with the process.
            kill_onair(onair)

        onair = start_onair(Path(tmp), extra_env=QUICK)
        try:
            viewer = PlatformClient(onair.http_url)
            assert viewer.stream(stream["id"])["status"] == "LIVE"

            async def ended():
                s = viewer.stream(stream["id"])
                return s if s["status"] == "ENDED" else None

            final = await poll(ended, 15, "the stream stayed LIVE although its room is gone")
            assert final["endedReason"] == "creator_absent"
        finally:
            assert stop_onair(onair) == 0, onair.log()[-5000:]


@pytest.mark.timeout(150)
async def test_after_kill_9_and_a_restart_the_creator_reconnects_and_the_stream_stays_live():
    """Issue 5, test 4: `kill -9` of `onair serve` mid-stream, restarted on the same ports and data
    directory. The creator's SDK finds its session gone (resume refused with `leave{RECONNECT}`),
    rejoins from scratch and republishes; the viewer's does the same. The platform reconciles the
    LIVE stream with a room that is gone, counts the creator absent from the restart, and the
    rejoin clears that: the stream stays LIVE past the grace period, with its viewer counted."""
    grace = 12
    env = {"ONAIR_CREATOR_GRACE_SECS": str(grace), "ONAIR_SWEEP_INTERVAL_SECS": "1"}
    with tempfile.TemporaryDirectory(prefix="onair-interop-") as tmp:
        tmp = Path(tmp)
        onair = start_onair(tmp, extra_env=env)
        creator, viewer, source = Client(), Client(), Publisher()
        try:
            sid, creator_api, viewer_api = await live_with_a_viewer(
                onair.http_url, creator, viewer, source, "Survives a crash"
            )

            kill_onair(onair)
            viewer.frame = asyncio.get_running_loop().create_future()
            killed_at = time.monotonic()
            onair = start_onair(tmp, extra_env=env, ports=onair.ports, api_secret=onair.api_secret)
            restarted_at = time.monotonic()

            await wait(creator.reconnected.wait(), RECONNECT_S, "the creator's SDK reconnecting")
            await wait(viewer.reconnected.wait(), RECONNECT_S, "the viewer's SDK reconnecting")
            await wait(viewer.frame, FRAME_WAIT_S, "the viewer decoding a frame after the restart")
            print(f"\nkill -9 -> creator reconnected: {creator.reconnected_at - killed_at:.1f} s")
            back = await poll(
                lambda: (s := viewer_api.stream(sid))["participantCount"] == 1 and s,
                WAIT_S,
                "the viewer was not counted again after the restart",
            )
            assert back["status"] == "LIVE"
            async with onair.room_api() as lk:
                rooms = await lk.room.list_rooms(api.ListRoomsRequest(names=[back["roomName"]]))
                assert [r.num_publishers for r in rooms.rooms] == [1], rooms

            # The creator came back, so the grace period that began at the restart does not end
            # the stream: it is LIVE at every check until well after it would have expired.
            deadline = restarted_at + grace + 3
            while time.monotonic() < deadline:
                s = viewer_api.stream(sid)
                assert s["status"] == "LIVE", f"ended {time.monotonic() - restarted_at:.1f} s after the restart: {s}"
                await asyncio.sleep(0.5)
            assert not creator.disconnected.done(), "the creator's SDK gave up"
        finally:
            await source.stop()
            await viewer.close()
            await creator.close()
            assert stop_onair(onair) == 0, onair.log()[-5000:]
