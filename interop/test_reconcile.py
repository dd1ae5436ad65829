"""Reconciliation: the platform checks LIVE streams against the media server's rooms, so a room
that disappears (closed, or lost when the media server restarted) never leaves a stream LIVE
forever: the creator counts as absent and the stream ends after the grace period."""

import asyncio
import tempfile
import time
from pathlib import Path

from livekit import api

from conftest import start_onair, stop_onair
from platform_client import PlatformClient


QUICK = {"ONAIR_CREATOR_GRACE_SECS": "1", "ONAIR_SWEEP_INTERVAL_SECS": "1"}


async def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"within {seconds}s: {what}")


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

                await wait_for(room_listed, 10, f"the platform did not create room {room} on go-live")
        finally:
            # kill -9: no webhook, no cleanup; the room dies with the process.
            onair.process.kill()
            onair.process.wait()

        onair = start_onair(Path(tmp), extra_env=QUICK)
        try:
            viewer = PlatformClient(onair.http_url)
            assert viewer.stream(stream["id"])["status"] == "LIVE"

            async def ended():
                s = viewer.stream(stream["id"])
                return s if s["status"] == "ENDED" else None

            final = await wait_for(ended, 15, "the stream stayed LIVE although its room is gone")
            assert final["endedReason"] == "creator_absent"
        finally:
            assert stop_onair(onair) == 0, onair.log()[-5000:]
