"""Resume with LiveKit's Python SDK: the publisher's SDK closes its signal connection itself
(`SIMULATE_SIGNAL_RECONNECT`) and resumes; it keeps its participant sid and track, the
subscriber never sees it leave and keeps decoding its video, and RoomService still lists the
same session."""

from __future__ import annotations

import asyncio

import pytest
from livekit import api, rtc

from test_sfu_media import EVENT_WAIT_S, FRAME_WAIT_S, HEIGHT, WIDTH, Publisher, wait

ROOM = "resume-room"


@pytest.mark.timeout(90)
async def test_a_resumed_publisher_keeps_its_session_and_the_viewer_keeps_decoding(onair):
    publisher = rtc.Room()
    source = Publisher()
    viewer = rtc.Room()
    frames = 0
    first_frame = asyncio.get_running_loop().create_future()
    # Set when `frames` reaches `goal[0]`.
    goal: list[int | None] = [None]
    reached = asyncio.Event()
    viewer_saw: list[str] = []
    readers: list[asyncio.Task] = []

    async def read(track) -> None:
        nonlocal frames
        async for event in rtc.VideoStream(track):
            frames += 1
            if goal[0] is not None and frames >= goal[0]:
                reached.set()
            if (event.frame.width, event.frame.height) == (WIDTH, HEIGHT) and not first_frame.done():
                first_frame.set_result(None)

    @viewer.on("track_subscribed")
    def _subscribed(track, publication, participant):
        if track.kind == rtc.TrackKind.KIND_VIDEO:
            readers.append(asyncio.create_task(read(track)))

    @viewer.on("participant_disconnected")
    def _left(participant):
        viewer_saw.append(f"disconnected:{participant.identity}")

    @viewer.on("participant_connected")
    def _joined(participant):
        viewer_saw.append(f"connected:{participant.identity}")

    reconnecting, reconnected = asyncio.Event(), asyncio.Event()
    publisher.on("reconnecting", lambda *_: reconnecting.set())
    publisher.on("reconnected", lambda *_: reconnected.set())
    try:
        await publisher.connect(onair.ws_url, onair.token("alice", ROOM))
        source.start()
        video = rtc.LocalVideoTrack.create_video_track("camera", source.video)
        pub = await publisher.local_participant.publish_track(
            video, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
        )
        await viewer.connect(onair.ws_url, onair.token("bob", ROOM))
        await wait(first_frame, FRAME_WAIT_S, f"bob decoding a {WIDTH}x{HEIGHT} frame")
        sid = publisher.local_participant.sid
        viewer_saw.clear()

        await publisher.simulate_scenario(rtc.SimulateScenarioKind.SIMULATE_SIGNAL_RECONNECT)
        await wait(reconnecting.wait(), EVENT_WAIT_S, "the publisher reporting reconnecting")
        await wait(reconnected.wait(), FRAME_WAIT_S, "the publisher reporting reconnected")
        assert publisher.local_participant.sid == sid, "a resume keeps the participant sid"
        assert pub.sid in publisher.local_participant.track_publications

        goal[0] = frames + 30
        await wait(reached.wait(), FRAME_WAIT_S, "bob decoding 30 more frames after the resume")
        assert viewer_saw == [], f"bob saw alice come and go: {viewer_saw}"
        remote = viewer.remote_participants["alice"]
        assert remote.sid == sid
        assert pub.sid in remote.track_publications

        async with onair.room_api() as lk:
            listed = await lk.room.list_participants(api.ListParticipantsRequest(room=ROOM))
        assert [p.sid for p in listed.participants if p.identity == "alice"] == [sid]
    finally:
        await source.stop()
        for t in readers:
            t.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await viewer.disconnect()
        await publisher.disconnect()
