"""Bounded waits for the interop tests: every wait has a deadline and says what did not happen."""

from __future__ import annotations

import asyncio
import inspect
import time


async def wait(aw, seconds: float, what: str):
    """Awaits `aw` for at most `seconds`; on timeout fails with `what did not happen`."""
    try:
        return await asyncio.wait_for(aw, seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"within {seconds}s: {what} did not happen") from None


async def poll(check, seconds: float, what: str, every: float = 0.1):
    """Calls `check` (plain or async) until it returns something truthy, which is returned.

    For state only observable by asking (an HTTP API, a room list); events are awaited with `wait`.
    """
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"within {seconds}s: {what}")
        await asyncio.sleep(every)
