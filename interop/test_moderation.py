"""Moderation through the platform's API: the creator removes a viewer (Python `livekit` SDK,
token from the platform); the viewer is disconnected, cannot reconnect with the token it holds
(the media server revoked it) and cannot get a new one (banned)."""

from __future__ import annotations

import asyncio

import pytest
from livekit import rtc

from waits import poll, wait
from platform_client import ApiError, PlatformClient

WAIT_S = 10


async def test_a_removed_viewer_is_disconnected_and_cannot_rejoin(onair):
    creator = PlatformClient(onair.http_url)
    creator.signup(name="Creator")
    stream = creator.create_stream(title="Moderated")
    sid = stream["id"]
    assert creator.patch(sid, {"status": "LIVE"})["status"] == "LIVE"

    viewer = PlatformClient(onair.http_url)
    viewer_id = viewer.signup(name="Heckler")["id"]
    grant = viewer.token(sid)
    assert grant["identity"] == viewer_id
    room = rtc.Room()
    disconnected = asyncio.get_running_loop().create_future()
    room.on("disconnected", lambda reason: disconnected.done() or disconnected.set_result(reason))
    await asyncio.wait_for(room.connect(grant["serverUrl"], grant["token"]), WAIT_S)
    await poll(lambda: creator.stream(sid)["participantCount"] == 1, WAIT_S, "the viewer was not counted")

    answer = creator.remove_participant(sid, viewer_id)
    assert answer == {"identity": viewer_id, "banned": True, "disconnected": True}
    reason = await wait(disconnected, WAIT_S, "the removed viewer's disconnect")
    assert reason == rtc.DisconnectReason.PARTICIPANT_REMOVED
    await poll(lambda: creator.stream(sid)["participantCount"] == 0, WAIT_S, "the count did not drop")

    # The same token is refused by the media server.
    again = rtc.Room()
    with pytest.raises(rtc.ConnectError):
        await asyncio.wait_for(again.connect(grant["serverUrl"], grant["token"]), 30)
    # And the platform issues no new one.
    with pytest.raises(ApiError) as err:
        viewer.token(sid)
    assert (err.value.status, err.value.code) == (403, "banned")
    # Nor can anyone else remove the creator, or a stranger remove anyone.
    with pytest.raises(ApiError) as err:
        creator.remove_participant(sid, creator.request("GET", "/api/me")["id"])
    assert err.value.status == 422
    stranger = PlatformClient(onair.http_url)
    stranger.signup(name="Stranger")
    with pytest.raises(ApiError) as err:
        stranger.remove_participant(sid, viewer_id)
    assert err.value.status == 403
