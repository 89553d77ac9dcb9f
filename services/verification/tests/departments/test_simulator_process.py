"""The simulator as a real separate process (``python -m verification.departments.simulator``),
reached by all twelve connectors over real HTTP; a hang past the client's timeout is `timeout`."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from verification.departments.connectors import build_connectors, simulator_urls
from verification.departments.domain.model import PersonQuery, Source, SourceUnavailable

MakeId = Callable[[int], str]
MakeQuery = Callable[..., PersonQuery]
SEED = 2031
START_WITHIN_SECONDS = 120.0  # a generous bound: a busy machine starts Python processes slowly


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "verification.departments.simulator", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--seed", str(SEED)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_WITHIN_SECONDS
            while True:
                try:
                    if httpx.get(f"{url}/_admin/config", timeout=1.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    pytest.fail(f"the simulator did not start: {errors.read().decode(errors='replace')[-2000:]}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


class TestSimulatorProcess:
    async def test_all_twelve_connectors_answer_over_real_http_as_in_process(
        self, simulator_url: str, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        people = [make_query(make_id(n)) for n in range(5)]
        async with httpx.AsyncClient(timeout=10.0) as client:
            connectors = build_connectors(simulator_urls(simulator_url), client=client)
            remote = {(p.resident_id, s): (await connectors[s].query(p)).findings for p in people for s in Source}
        async with connectors_for(seed=SEED) as local_connectors:
            local = {(p.resident_id, s): (await local_connectors[s].query(p)).findings for p in people for s in Source}

        assert len(remote) == 5 * 12
        assert remote == local
        assert sum(len(findings) for findings in remote.values()) > 5 * 2

    async def test_a_hang_past_the_client_timeout_is_timeout_until_healed(
        self, simulator_url: str, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        person = make_query(make_id(2))
        async with httpx.AsyncClient(base_url=simulator_url, timeout=10.0) as admin:
            hang = {"hang_sources": ["real_estate"], "hang_seconds": 3}
            assert (await admin.post("/_admin/config", json=hang)).status_code == 200
            try:
                async with httpx.AsyncClient(timeout=0.2) as impatient:
                    real_estate = build_connectors(simulator_urls(simulator_url), client=impatient)[Source.REAL_ESTATE]
                    with pytest.raises(SourceUnavailable) as raised:
                        await real_estate.query(person)
            finally:
                await admin.post("/_admin/config", json={"hang_sources": []})
            real_estate = build_connectors(simulator_urls(simulator_url), client=admin)[Source.REAL_ESTATE]
            healed = await real_estate.query(person)

        assert raised.value.reason == "timeout"
        assert healed.source is Source.REAL_ESTATE

    async def test_a_latency_past_the_client_timeout_is_timeout_until_healed(
        self, simulator_url: str, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        person = make_query(make_id(3))
        async with httpx.AsyncClient(base_url=simulator_url, timeout=10.0) as admin:
            slow = {"latency_ms": {"securities": 3000}}
            assert (await admin.post("/_admin/config", json=slow)).status_code == 200
            try:
                async with httpx.AsyncClient(timeout=0.2) as impatient:
                    connectors = build_connectors(simulator_urls(simulator_url), client=impatient)
                    with pytest.raises(SourceUnavailable) as raised:
                        await connectors[Source.SECURITIES].query(person)
                # the others are not slow: marriage answers within the securities' latency (a
                # client patient enough for a busy machine, where 0.2 s may not be)
                async with httpx.AsyncClient(timeout=2.0) as patient:
                    connectors = build_connectors(simulator_urls(simulator_url), client=patient)
                    marriage = await connectors[Source.MARRIAGE].query(person)
            finally:
                await admin.post("/_admin/config", json={"latency_ms": 0})

        assert raised.value.reason == "timeout"
        assert marriage.source is Source.MARRIAGE
