"""Failure mapping: what a department does wrong becomes `SourceUnavailable` (retry may help) or
`SourceRefused` (it will not), with a reason code; faults are set at start or at runtime."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from verification.departments.connectors import build_connectors, simulator_urls
from verification.departments.domain.model import PersonQuery, Source, SourceRefused, SourceUnavailable
from verification.departments.simulator import create_simulator_app

MakeId = Callable[[int], str]
MakeQuery = Callable[..., PersonQuery]
BASE = "http://departments.test"


@pytest.mark.parametrize("source", list(Source), ids=str)
class TestEverySource:
    async def test_forced_failure_is_unavailable_http_503(
        self, source: Source, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        async with connectors_for(fail_sources={source.value}) as connectors:
            with pytest.raises(SourceUnavailable) as raised:
                await connectors[source].query(make_query(make_id(1)))

        assert raised.value.source is source
        assert raised.value.reason == "http_503"

    async def test_garbage_body_is_unavailable_bad_answer(
        self, source: Source, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        async with connectors_for(garbage_sources={source.value}) as connectors:
            with pytest.raises(SourceUnavailable) as raised:
                await connectors[source].query(make_query(make_id(1)))

        assert raised.value.reason == "bad_answer"

    async def test_malformed_resident_id_is_refused_http_400(
        self, source: Source, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        bad_check_digit = make_id(1)[:17] + ("0" if make_id(1)[17] != "0" else "1")
        async with connectors_for() as connectors:
            with pytest.raises(SourceRefused) as raised:
                await connectors[source].query(make_query(bad_check_digit))

        assert raised.value.source is source
        assert raised.value.reason == "http_400"


class TestFaultsAtRuntime:
    async def test_a_department_fails_then_heals_through_the_admin_endpoint(
        self, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        app = create_simulator_app()
        person = make_query(make_id(3))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            tax = build_connectors(simulator_urls(BASE), client=client)[Source.TAX]
            healthy = await tax.query(person)

            broken = await client.post("/_admin/config", json={"fail_sources": ["tax"], "latency_ms": {"tax": 5}})
            with pytest.raises(SourceUnavailable):
                await tax.query(person)
            healed = await client.post("/_admin/config", json={"fail_sources": []})
            after = await tax.query(person)

        assert broken.status_code == 200
        assert broken.json()["fail_sources"] == ["tax"]
        assert healed.json()["fail_sources"] == []
        assert healed.json()["latency_ms"] == {"tax": 5.0}  # untouched fields stay
        assert after.findings == healthy.findings

    async def test_failure_rate_one_fails_every_answer_and_zero_none(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        async with connectors_for(failure_rate={"marriage": 1.0}) as connectors:
            for n in range(5):
                with pytest.raises(SourceUnavailable):
                    await connectors[Source.MARRIAGE].query(make_query(make_id(n)))
                await connectors[Source.FUNERAL].query(make_query(make_id(n)))

    async def test_the_admin_endpoint_refuses_a_rate_above_one_and_unknown_sources(self) -> None:
        app = create_simulator_app()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            rate = await client.post("/_admin/config", json={"failure_rate": 1.5})
            unknown = await client.post("/_admin/config", json={"fail_sources": ["weather"]})
            current = await client.get("/_admin/config")

        assert rate.status_code == 422
        assert unknown.status_code == 422
        assert current.json()["failure_rate"] == 0.0


def answering(status: int, content: bytes, content_type: str = "application/json") -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda _: httpx.Response(status, content=content, headers={"Content-Type": content_type})
    )


async def ask(source: Source, transport: httpx.MockTransport, person: PersonQuery) -> None:
    async with httpx.AsyncClient(transport=transport) as client:
        await build_connectors({source: BASE}, client=client)[source].query(person)


class TestOddAnswers:
    """Bodies the simulator never sends, from a mock transport."""

    @pytest.mark.parametrize(
        ("source", "body"),
        [
            pytest.param(
                Source.TAX,
                b'{"code": 0, "data": {"lsh": "S", "records": [{"sbxh": "1", "sssq": "2025-03", '
                b'"sdxm": "0101", "sre": "1.234"}]}}',
                id="tax-amount-finer-than-a-fen",
            ),
            pytest.param(
                Source.TAX,
                b'{"code": 0, "data": {"lsh": "S", "records": [{"sbxh": "1", "sssq": "2025-03", '
                b'"sdxm": "9999", "sre": "1.00"}]}}',
                id="tax-unknown-income-item",
            ),
            pytest.param(
                Source.SOCIAL_INSURANCE,
                b'{"status": "OK", "lsh": "L", "payments": [{"aaz031": "1", '
                b'"aae003": "202503", "aae140": "110", "amountFen": 12.5}]}',
                id="fen-not-an-integer",
            ),
            pytest.param(
                Source.BANK_DEPOSITS,
                b'{"total": 3, "page": 1, "page_size": 2, "items": []}',
                id="bank-empty-page-before-total",
            ),
            pytest.param(
                Source.REAL_ESTATE,
                b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><QueryResponse>&a;</QueryResponse>',
                id="xml-with-a-dtd",
            ),
            pytest.param(Source.REAL_ESTATE, b"<html><body>502 Bad Gateway</body></html>", id="xml-not-a-response"),
            pytest.param(
                Source.REAL_ESTATE,
                '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "aaaa">]><QueryResponse/>'.encode(
                    "utf-16"
                ),
                id="xml-dtd-hidden-in-utf-16",
            ),
            pytest.param(Source.FUNERAL, b'["found"]', id="json-not-an-object"),
        ],
    )
    async def test_unexpected_shapes_are_bad_answers(
        self, source: Source, body: bytes, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        with pytest.raises(SourceUnavailable) as raised:
            await ask(source, answering(200, body), make_query(make_id(1)))

        assert raised.value.reason == "bad_answer"

    async def test_an_error_envelope_on_200_is_a_department_error(self, make_id: MakeId, make_query: MakeQuery) -> None:
        body = b'{"code": 50001, "msg": "system busy", "data": null}'
        with pytest.raises(SourceUnavailable) as raised:
            await ask(Source.TAX, answering(200, body), make_query(make_id(1)))

        assert raised.value.reason == "department_error"

    @pytest.mark.parametrize(
        ("status", "error", "reason"),
        [(403, SourceRefused, "http_403"), (502, SourceUnavailable, "http_502"), (302, SourceUnavailable, "http_302")],
    )
    async def test_statuses(
        self, status: int, error: type[Exception], reason: str, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        with pytest.raises(error) as raised:
            await ask(Source.VEHICLES, answering(status, b"{}"), make_query(make_id(1)))

        assert getattr(raised.value, "reason", None) == reason

    @pytest.mark.parametrize(
        ("exception", "reason"),
        [
            (httpx.ReadTimeout("slow"), "timeout"),
            (httpx.ConnectError("refused"), "connect_error"),
            (httpx.RemoteProtocolError("cut"), "transport_error"),
        ],
    )
    async def test_transport_errors(
        self, exception: Exception, reason: str, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        def fail(request: httpx.Request) -> httpx.Response:
            raise exception

        with pytest.raises(SourceUnavailable) as raised:
            await ask(Source.SECURITIES, httpx.MockTransport(fail), make_query(make_id(1)))

        assert raised.value.reason == reason

    async def test_nothing_listening_is_connect_error(self, make_id: MakeId, make_query: MakeQuery) -> None:
        async with httpx.AsyncClient(timeout=2.0) as client:
            hukou = build_connectors({Source.HUKOU: "http://127.0.0.1:9"}, client=client)[Source.HUKOU]
            with pytest.raises(SourceUnavailable) as raised:
                await hukou.query(make_query(make_id(1)))

        assert raised.value.reason == "connect_error"
