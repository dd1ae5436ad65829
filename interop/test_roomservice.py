"""RoomService of the embedded media server, driven by LiveKit's Python `livekit-api`
(`application/protobuf`), with real participants connected through the Python real-time SDK."""

from __future__ import annotations

import asyncio

import pytest
from livekit import api, rtc

WAIT_S = 10


async def wait_for(predicate, seconds: float, what: str):
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"within {seconds}s: {what} did not happen")
        await asyncio.sleep(0.05)


async def test_rooms_are_created_listed_and_deleted(onair):
    async with onair.room_api() as lk:
        room = await lk.room.create_room(
            api.CreateRoomRequest(name="show", empty_timeout=60, departure_timeout=5, max_participants=10, metadata="m")
        )
        assert room.sid.startswith("RM_")
        assert (room.name, room.empty_timeout, room.departure_timeout, room.max_participants, room.metadata) == (
            "show",
            60,
            5,
            10,
            "m",
        )
        again = await lk.room.create_room(api.CreateRoomRequest(name="show"))
        assert again.sid == room.sid and again.empty_timeout == 60

        listed = await lk.room.list_rooms(api.ListRoomsRequest())
        assert [r.name for r in listed.rooms] == ["show"]
        only = await lk.room.list_rooms(api.ListRoomsRequest(names=["show", "missing"]))
        assert [r.sid for r in only.rooms] == [room.sid]

        await lk.room.delete_room(api.DeleteRoomRequest(room="show"))
        assert (await lk.room.list_rooms(api.ListRoomsRequest())).rooms == []
        with pytest.raises(api.TwirpError) as err:
            await lk.room.delete_room(api.DeleteRoomRequest(room="show"))
        assert (err.value.code, err.value.status, err.value.message) == (
            "not_found",
            404,
            "requested room does not exist",
        )


async def test_participants_are_listed_and_removed(onair):
    alice, bob = rtc.Room(), rtc.Room()
    await alice.connect(onair.ws_url, onair.token("alice", "studio"))
    await bob.connect(onair.ws_url, onair.token("bob", "studio"))
    disconnected = asyncio.Event()
    bob.on("disconnected", lambda reason: disconnected.set())
    async with onair.room_api() as lk:
        people = await lk.room.list_participants(api.ListParticipantsRequest(room="studio"))
        assert sorted(p.identity for p in people.participants) == ["alice", "bob"]
        got = await lk.room.get_participant(api.RoomParticipantIdentity(room="studio", identity="alice"))
        assert got.sid == alice.local_participant.sid

        await lk.room.remove_participant(api.RoomParticipantIdentity(room="studio", identity="bob"))
        try:
            await asyncio.wait_for(disconnected.wait(), WAIT_S)
        except asyncio.TimeoutError:
            raise AssertionError(f"within {WAIT_S}s: bob was not disconnected by RemoveParticipant") from None

        async def only_alice() -> bool:
            left = await lk.room.list_participants(api.ListParticipantsRequest(room="studio"))
            return [p.identity for p in left.participants] == ["alice"]

        await wait_for(only_alice, WAIT_S, "bob leaving the participant list")
        with pytest.raises(api.TwirpError) as err:
            await lk.room.remove_participant(api.RoomParticipantIdentity(room="studio", identity="bob"))
        assert (err.value.code, err.value.message) == ("not_found", "participant does not exist")
        with pytest.raises(api.TwirpError) as err:
            await lk.room.list_participants(api.ListParticipantsRequest(room="nowhere"))
        assert err.value.code == "not_found"
    await alice.disconnect()


async def test_calls_without_the_grant_or_with_a_wrong_secret_are_refused(onair):
    join_only = onair.token("mallory", "studio")
    async with api.LiveKitAPI(onair.http_url, token=join_only) as lk:
        with pytest.raises(api.TwirpError) as err:
            await lk.room.list_rooms(api.ListRoomsRequest())
        assert (err.value.code, err.value.status) == ("unauthenticated", 401)
        with pytest.raises(api.TwirpError) as err:
            await lk.room.create_room(api.CreateRoomRequest(name="studio"))
        assert err.value.code == "unauthenticated"
    async with api.LiveKitAPI(onair.http_url, onair.api_key, "not-the-secret-" + "x" * 32) as lk:
        with pytest.raises(api.TwirpError) as err:
            await lk.room.list_rooms(api.ListRoomsRequest())
        assert (err.value.code, err.value.status) == ("unauthenticated", 401)
    async with onair.room_api() as lk:
        assert (await lk.room.list_rooms(api.ListRoomsRequest())).rooms == []


async def test_send_data_reaches_the_named_participant_with_its_topic(onair):
    alice, bob = rtc.Room(), rtc.Room()
    got: dict[str, asyncio.Queue] = {"alice": asyncio.Queue(), "bob": asyncio.Queue()}
    for name, room in (("alice", alice), ("bob", bob)):
        room.on("data_received", lambda pkt, name=name: got[name].put_nowait((bytes(pkt.data), pkt.topic)))
    await alice.connect(onair.ws_url, onair.token("alice", "studio"))
    await bob.connect(onair.ws_url, onair.token("bob", "studio"))
    async with onair.room_api() as lk:
        await lk.room.send_data(
            api.SendDataRequest(
                room="studio",
                data=b"to-bob",
                kind=api.DataPacket.Kind.RELIABLE,
                destination_identities=["bob"],
                topic="news",
            )
        )
        await lk.room.send_data(
            api.SendDataRequest(room="studio", data=b"to-all", kind=api.DataPacket.Kind.RELIABLE)
        )
    try:
        assert await asyncio.wait_for(got["bob"].get(), WAIT_S) == (b"to-bob", "news")
        # Alice's first packet is the one to everyone: the one to bob never reached her.
        assert (await asyncio.wait_for(got["alice"].get(), WAIT_S))[0] == b"to-all"
    except asyncio.TimeoutError:
        raise AssertionError(f"within {WAIT_S}s: server data did not arrive") from None
    for room in (alice, bob):
        await room.disconnect()
