"""One distributed cluster for the whole e2e tier (starting eleven processes takes a while)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.e2e.cluster import ADMIN, ADMIN_PASSWORD, Cluster, running_cluster, sign_in
from tests.e2e.otlp import OtlpReceiver


@pytest.fixture(scope="session")
def traces() -> Iterator[OtlpReceiver]:
    """Where every process of the cluster exports its spans (tracing is on in the e2e tier)."""
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
async def cluster(tmp_path_factory: pytest.TempPathFactory, traces: OtlpReceiver) -> AsyncIterator[Cluster]:
    async with running_cluster(tmp_path_factory.mktemp("cluster"), traces_to=traces.url) as running:
        yield running


@pytest.fixture
async def admin(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway client signed in as the first administrator (created with the gateway CLI)."""
    async with cluster.client() as client:
        client.headers.update(await sign_in(client, ADMIN, ADMIN_PASSWORD))
        yield client
