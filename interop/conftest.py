"""Fixtures shared by the interop tests: a real `onair serve` on free loopback ports.

Each test gets its own server process, data directory and LiveKit key pair, so tests cannot
leak state into each other. The server's log is printed when a test fails.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from livekit import api

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 30
SHUTDOWN_TIMEOUT_S = 15


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Ports:
    """The loopback ports one `onair serve` listens on: HTTP (and `/rtc`), media UDP, ICE-TCP."""

    http: int
    udp: int
    tcp: int

    @classmethod
    def free(cls) -> "Ports":
        return cls(http=free_port(), udp=free_port(socket.SOCK_DGRAM), tcp=free_port())


@dataclass
class Onair:
    """A running `onair serve` and what a LiveKit SDK needs to talk to it."""

    http_url: str
    ws_url: str
    api_key: str
    api_secret: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    ports: Ports
    env: dict = field(repr=False, default_factory=dict)

    def token(
        self,
        identity: str,
        room: str,
        *,
        ttl: timedelta = timedelta(minutes=10),
        name: str | None = None,
        **grants,
    ) -> str:
        """A participant token minted by LiveKit's own `livekit-api` package."""
        video = api.VideoGrants(room_join=True, room=room, **grants)
        t = api.AccessToken(self.api_key, self.api_secret).with_identity(identity).with_ttl(ttl)
        if name:
            t = t.with_name(name)
        return t.with_grants(video).to_jwt()

    def room_api(self) -> api.LiveKitAPI:
        return api.LiveKitAPI(self.http_url, self.api_key, self.api_secret)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_ready(server: Onair) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"onair exited with {server.process.returncode} before becoming ready:\n{server.log()}"
            )
        try:
            with urllib.request.urlopen(f"{server.http_url}/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError as e:  # connection refused while it starts
            last_error = e
        time.sleep(0.05)
    raise TimeoutError(
        f"onair did not answer /readyz within {STARTUP_TIMEOUT_S}s (last error: {last_error}):\n{server.log()}"
    )


def start_onair(
    tmp: Path,
    extra_env: dict | None = None,
    bin_path: str | None = None,
    *,
    ports: Ports | None = None,
    api_secret: str | None = None,
) -> Onair:
    """Starts `onair serve` with its data directory in `tmp/data` and waits until it is ready.

    Passing the `ports` and `api_secret` of an earlier server over the same `tmp` restarts that
    server: same addresses, same database, same key pair (its log is appended to).
    """
    bin_path = bin_path or os.environ.get("ONAIR_BIN") or str(ROOT / "target" / "debug" / "onair")
    ports = ports or Ports.free()
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    key = "onair-test-key"
    secret = api_secret or secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "ONAIR_BIND": f"127.0.0.1:{ports.http}",
        "ONAIR_DATA_DIR": str(data_dir),
        "LIVEKIT_API_KEY": key,
        "LIVEKIT_API_SECRET": secret,
        "ONAIR_RTC_UDP_PORT": str(ports.udp),
        "ONAIR_RTC_TCP_PORT": str(ports.tcp),
        "ONAIR_RTC_ADVERTISE_IP": "127.0.0.1",
        "RUST_LOG": os.environ.get("ONAIR_TEST_LOG", "info"),
    }
    env.pop("LIVEKIT_URL", None)
    env.pop("LIVEKIT_WS_URL", None)
    env.pop("DATABASE_URL", None)
    if extra_env:
        env.update(extra_env)
    log_path = tmp / "onair.log"
    log = open(log_path, "ab")
    proc = subprocess.Popen([bin_path, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    log.close()
    server = Onair(
        http_url=f"http://127.0.0.1:{ports.http}",
        ws_url=f"ws://127.0.0.1:{ports.http}",
        api_key=key,
        api_secret=secret,
        data_dir=data_dir,
        log_path=log_path,
        process=proc,
        ports=ports,
        env=env,
    )
    try:
        _wait_ready(server)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    return server


def kill_onair(server: Onair) -> None:
    """`kill -9`: no leave, no webhook, no cleanup; whatever the process held in memory is lost."""
    server.process.kill()
    server.process.wait()


def stop_onair(server: Onair) -> int:
    """SIGTERM, then wait for a graceful exit; returns the exit code."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
            raise AssertionError(f"onair did not exit within {SHUTDOWN_TIMEOUT_S}s of SIGTERM")
    return server.process.returncode


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def onair(request):
    """A fresh `onair serve` for one test; its log is printed if the test fails."""
    with tempfile.TemporaryDirectory(prefix="onair-interop-") as tmp:
        server = start_onair(Path(tmp))
        try:
            yield server
        finally:
            code = stop_onair(server)
            failed = getattr(request.node, "rep_call", None)
            if failed is not None and failed.failed:
                print(f"\n----- onair log ({server.log_path}) -----\n{server.log()[-20000:]}")
            assert code == 0, f"onair exited with {code} after SIGTERM:\n{server.log()[-5000:]}"
