"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for the pages a
person uses: open a URL, run script in it, wait for a condition, take a screenshot. Only what
the tests need, on loopback, with a private profile; `None` from `Browser.start` when no
Chromium is installed (CI installs it: .ci/run)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

_LISTENING = re.compile(rb"DevTools listening on (ws://\S+)")


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], profile: tempfile.TemporaryDirectory[str], ws: str) -> None:
        self.process = process
        self.profile = profile
        self.ws_url = ws
        self.ids = itertools.count(1)
        self.session: aiohttp.ClientSession | None = None
        self.page: aiohttp.ClientWebSocketResponse | None = None

    @classmethod
    def start(cls, *, timeout: float = 60.0) -> Browser | None:
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if binary is None:
            return None
        profile = tempfile.TemporaryDirectory(prefix="jz-chromium-")
        process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile.name}",
                "--window-size=1000,1400",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # Its own process group: the renderer, GPU and crash-handler children write into
            # the profile too, and all of them must be gone before the profile is removed.
            start_new_session=True,
        )
        assert process.stderr is not None
        deadline = time.monotonic() + timeout
        seen = b""
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            seen += line
            if match := _LISTENING.search(line):
                # Keep reading its stderr, or a chatty Chromium blocks on a full pipe.
                threading.Thread(target=_drain, args=(process.stderr,), daemon=True).start()
                return cls(process, profile, match.group(1).decode())
            if not line and process.poll() is not None:
                break
        _stop_group(process)
        profile.cleanup()
        raise RuntimeError(f"chromium did not start: {seen.decode(errors='replace')[-2000:]}")

    async def __aenter__(self) -> Browser:
        self.session = aiohttp.ClientSession()
        port = self.ws_url.split("://", 1)[1].split("/", 1)[0]
        async with self.session.get(f"http://{port}/json/list") as response:
            targets = await response.json(content_type=None)
        page = next(t for t in targets if t.get("type") == "page")
        self.page = await self.session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=64 * 1024 * 1024)
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.page is not None:
            await self.page.close()
        if self.session is not None:
            await self.session.close()
        _stop_group(self.process)
        _remove(Path(self.profile.name))
        self.profile.cleanup()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        assert self.page is not None
        message_id = next(self.ids)
        await self.page.send_str(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = await self.page.receive(timeout=60)
            body = json.loads(message.data)
            if body.get("id") == message_id:
                if "error" in body:
                    raise RuntimeError(f"{method}: {body['error']}")
                return dict(body.get("result", {}))

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, *, timeout: float = 60.0) -> Any:
        """The value of `expression` once it is truthy (polled)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = await self.evaluate(expression)
            except RuntimeError:
                value = None  # the page is navigating
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"not true after {timeout}s: {expression}")
            await asyncio.sleep(0.2)

    async def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode((await self.send("Page.captureScreenshot", format="png"))["data"])
        path.write_bytes(data)
        return data


def _drain(stream: Any) -> None:
    for _ in iter(stream.readline, b""):
        pass


def _stop_group(process: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    """Chromium and every child it started: asked to stop, then killed, and waited for."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            process.poll()  # reaps the leader; its children are reparented and reaped by init
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def _remove(profile: Path) -> None:
    """The profile directory, retried while a straggling writer (if any) finishes."""
    for attempt in range(20):
        try:
            shutil.rmtree(profile)
            return
        except FileNotFoundError:
            return
        except OSError:
            if attempt == 19:
                raise
            time.sleep(0.1)


def count_colour(png: bytes, rgb: tuple[int, int, int]) -> int:
    """How many pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots
    are) have exactly the colour `rgb`."""
    import struct
    import zlib

    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, header = 8, b"", None
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, body = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    assert header is not None
    width, height, depth, colour_type, _, _, interlace = header
    assert (depth, interlace) == (8, 0), header
    assert colour_type in (2, 6), header
    channels = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    previous, count, at = bytearray(stride), 0, 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1 : at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        count += sum(1 for x in range(0, stride, channels) if tuple(line[x : x + 3]) == rgb)
        previous = line
    return count
