"""Webhooks of the embedded media server, verified by LiveKit's Python `WebhookReceiver`
during a publish/subscribe session with the Python real-time SDK, in the order LiveKit sends
them. `onair serve` posts to an extra receiver given in `ONAIR_WEBHOOK_URLS`."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from conftest import start_onair, stop_onair
from livekit import api, rtc

ROOM = "studio"
WAIT_S = 10


class Receiver:
    """An HTTP endpoint on loopback that verifies each webhook and queues it."""

    def __init__(self) -> None:
        # Set once onair has started with its generated key pair.
        self.verifier: api.WebhookReceiver | None = None
        self.events: asyncio.Queue = asyncio.Queue()
        self.refused: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        try:
            assert self.verifier is not None, "a webhook arrived before onair was ready"
            event = self.verifier.receive(body, request.headers.get("Authorization", ""))
        except Exception as e:  # any verification failure fails the test below
            self.refused.append(str(e))
            return web.Response(status=401)
        await self.events.put(event)
        return web.Response(status=200)

    async def next(self, n: int) -> list:
        out = []
        for _ in range(n):
            try:
                out.append(await asyncio.wait_for(self.events.get(), WAIT_S))
            except asyncio.TimeoutError:
                raise AssertionError(
                    f"within {WAIT_S}s: only {[e.event for e in out]} of {n} webhooks arrived (refused: {self.refused})"
                ) from None
        return out


async def tone(source: rtc.AudioSource) -> None:
    n, t = 480, 0
    while True:
        frame = rtc.AudioFrame.create(48000, 1, n)
        samples = np.sin(2 * np.pi * 440 * (np.arange(n) + t) / 48000) * 8000
        np.frombuffer(frame.data, dtype=np.int16)[:] = samples.astype(np.int16)
        await source.capture_frame(frame)
        t += n


@pytest.mark.timeout(90)
async def test_every_webhook_of_a_session_verifies_and_arrives_in_order():
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    with tempfile.TemporaryDirectory(prefix="onair-interop-") as tmp:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        onair = start_onair(Path(tmp), extra_env={"ONAIR_WEBHOOK_URLS": f"http://127.0.0.1:{port}/hook"})
        receiver.verifier = api.WebhookReceiver(api.TokenVerifier(onair.api_key, onair.api_secret))
        publisher, viewer = rtc.Room(), rtc.Room()
        pump = None
        try:
            await publisher.connect(onair.ws_url, onair.token("alice", ROOM))
            source = rtc.AudioSource(48000, 1)
            pump = asyncio.create_task(tone(source))
            track = rtc.LocalAudioTrack.create_audio_track("microphone", source)
            pub = await publisher.local_participant.publish_track(
                track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            )
            first = await receiver.next(3)
            assert [e.event for e in first] == ["room_started", "participant_joined", "track_published"]
            room_sid = first[0].room.sid
            assert room_sid.startswith("RM_") and first[0].room.name == ROOM
            assert first[1].participant.identity == "alice"
            assert first[1].participant.sid == publisher.local_participant.sid
            assert (first[2].track.sid, first[2].participant.identity) == (pub.sid, "alice")

            subscribed = asyncio.Event()
            viewer.on("track_subscribed", lambda *_: subscribed.set())
            await viewer.connect(onair.ws_url, onair.token("bob", ROOM))
            await asyncio.wait_for(subscribed.wait(), WAIT_S)
            (joined,) = await receiver.next(1)
            assert (joined.event, joined.participant.identity) == ("participant_joined", "bob")
            await viewer.disconnect()
            (left,) = await receiver.next(1)
            assert (left.event, left.participant.identity) == ("participant_left", "bob")

            await publisher.local_participant.unpublish_track(pub.sid)
            (unpublished,) = await receiver.next(1)
            assert (unpublished.event, unpublished.track.sid) == ("track_unpublished", pub.sid)

            # Deleting the room disconnects the publisher: participant_left, then room_finished.
            async with onair.room_api() as lk:
                await lk.room.delete_room(api.DeleteRoomRequest(room=ROOM))
            last = await receiver.next(2)
            assert [e.event for e in last] == ["participant_left", "room_finished"]
            assert last[0].participant.identity == "alice"
            assert last[1].room.sid == room_sid
            every = first + [joined, left, unpublished] + last
            assert all(e.room.sid == room_sid for e in every)
            assert len({e.id for e in every}) == len(every) and all(e.id.startswith("EV_") for e in every)
            assert receiver.refused == []
        finally:
            if pump:
                pump.cancel()
            await publisher.disconnect()
            await viewer.disconnect()
            code = stop_onair(onair)
            await runner.cleanup()
        assert code == 0, onair.log()[-5000:]


def make_tls_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (openssl CLI):
    returns (ca.pem, server.pem, server.key)."""
    if shutil.which("openssl") is None:
        pytest.skip("NOTICE: the openssl command is missing; the HTTPS webhook test cannot make certificates")
    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = directory / "server.ext"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for cmd in (
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "1", "-subj", "/CN=OnAir interop CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
         "-days", "1", "-extfile", ext],
    ):
        subprocess.run(["openssl", *map(str, cmd)], check=True, capture_output=True)
    return ca, cert, key


@pytest.mark.timeout(60)
async def test_webhooks_reach_an_https_receiver_whose_certificate_the_server_trusts():
    """`ONAIR_WEBHOOK_URLS` may be https: the server verifies the receiver's certificate against
    the system's roots, here replaced by a test CA through `SSL_CERT_FILE`."""
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    with tempfile.TemporaryDirectory(prefix="onair-interop-") as tmp:
        ca, cert, key = make_tls_certificates(Path(tmp))
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        onair = start_onair(
            Path(tmp),
            extra_env={"ONAIR_WEBHOOK_URLS": f"https://127.0.0.1:{port}/hook", "SSL_CERT_FILE": str(ca)},
        )
        receiver.verifier = api.WebhookReceiver(api.TokenVerifier(onair.api_key, onair.api_secret))
        try:
            async with onair.room_api() as lk:
                await lk.room.create_room(api.CreateRoomRequest(name="over-tls"))
            (event,) = await receiver.next(1)
            assert (event.event, event.room.name) == ("room_started", "over-tls")
            assert receiver.refused == []
        finally:
            await runner.cleanup()
            assert stop_onair(onair) == 0, onair.log()[-5000:]
