"""Unit tests of the platform pieces that need no server: settings, the in-process bus,
fault points, logging context and the error shape."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsConfigDict

from jiuzhu_platform.app import RequestContextMiddleware, clean_request_id
from jiuzhu_platform.bus import InProcessBus, OutgoingMessage
from jiuzhu_platform.context import correlation_scope
from jiuzhu_platform.errors import Conflict, NotFound
from jiuzhu_platform.faults import Faults, SimulatedCrash
from jiuzhu_platform.http_errors import register_exception_handlers
from jiuzhu_platform.logging import configure_logging
from jiuzhu_platform.settings import ServiceSettings


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore")


class TestSettings:
    def test_reads_prefixed_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("EXAMPLE_DATABASE_URL", "sqlite+aiosqlite:///x.db")
        monkeypatch.setenv("EXAMPLE_BUS", "inprocess")
        monkeypatch.setenv("EXAMPLE_ENV", "test")
        settings = ExampleSettings()  # type: ignore[call-arg]
        assert settings.bus == "inprocess"
        assert "x.db" not in repr(settings)  # the URL (with its password) is a secret

    def test_database_url_is_required(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("EXAMPLE_DATABASE_URL", raising=False)
        with pytest.raises(ValidationError, match="database_url"):
            ExampleSettings(bus="inprocess")  # type: ignore[call-arg]

    def test_kafka_needs_bootstrap_servers(self) -> None:
        with pytest.raises(ValidationError, match="kafka_bootstrap_servers"):
            ExampleSettings(database_url="sqlite+aiosqlite:///x.db", bus="kafka")

    @pytest.mark.parametrize("password", ["changethis", "CHANGE_ME", "password"])
    def test_placeholder_password_refused_outside_dev(self, password: str) -> None:
        url = f"postgresql+asyncpg://svc:{password}@db/svc"
        with pytest.raises(ValidationError, match="placeholder"):
            ExampleSettings(env="prod", database_url=url, bus="inprocess")
        assert ExampleSettings(env="dev", database_url=url, bus="inprocess").env == "dev"


class TestInProcessBus:
    async def test_uncommitted_messages_are_redelivered_to_the_group(self) -> None:
        bus = InProcessBus()
        await bus.publish([OutgoingMessage("t", b"k", b"1"), OutgoingMessage("t", b"k", b"2")])
        first = await bus.subscribe("g", ["t"])
        messages = await first.fetch(0.1)
        assert [m.value for m in messages] == [b"1", b"2"]
        await first.commit(messages[:1])
        await first.close()  # "crash" before committing the second
        again = await (await bus.subscribe("g", ["t"])).fetch(0.1)
        assert [m.value for m in again] == [b"2"]
        other_group = await (await bus.subscribe("h", ["t"])).fetch(0.1)
        assert [m.value for m in other_group] == [b"1", b"2"]

    async def test_fetch_waits_for_new_messages(self) -> None:
        bus = InProcessBus()
        subscription = await bus.subscribe("g", ["t"])
        assert await subscription.fetch(0.05) == []
        await bus.publish([OutgoingMessage("t", None, b"x", (("h", b"v"),))])
        [message] = await subscription.fetch(1)
        assert message.header("h") == b"v"
        assert message.offset == 0


class TestFaults:
    def test_an_armed_point_fires_once(self) -> None:
        faults = Faults()
        faults.check("p")  # not armed: nothing happens
        faults.arm("p")
        with pytest.raises(SimulatedCrash):
            faults.check("p")
        faults.check("p")
        assert faults.fired == ["p"]

    def test_a_crash_is_not_an_exception(self) -> None:
        assert not issubclass(SimulatedCrash, Exception)


class TestLogging:
    def test_json_lines_carry_the_correlation_id(self) -> None:
        stream = io.StringIO()
        configure_logging("example", "INFO", stream=stream)
        with correlation_scope("req-42"):
            logging.getLogger("example").info("hello %s", "world")
        record = json.loads(stream.getvalue().splitlines()[-1])
        assert record["message"] == "hello world"
        assert record["correlation_id"] == "req-42"
        assert record["service"] == "example"
        assert record["level"] == "INFO"


class Thing(BaseModel):
    count: int


def error_app() -> FastAPI:
    app = FastAPI()
    register_exception_handlers(app)
    app.add_middleware(RequestContextMiddleware, service="example", metrics=lambda: None)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("nothing here", message_zh="这里没有")

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("already there")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.post("/things")
    async def things(thing: Thing) -> Thing:
        return thing

    return app


class TestErrorShape:
    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=error_app(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.request(method, path, headers={"X-Request-ID": "rid-1"}, **kwargs)

    @pytest.mark.parametrize(
        ("path", "status", "error"), [("/missing", 404, "NotFound"), ("/conflict", 409, "Conflict")]
    )
    async def test_domain_errors(self, path: str, status: int, error: str) -> None:
        response = await self.request("GET", path)
        assert response.status_code == status
        body = response.json()
        assert body["error"] == error
        assert body["correlation_id"] == "rid-1"
        assert set(body) == {"error", "reason", "detail", "message_zh", "correlation_id"}

    async def test_validation_errors_are_field_level_without_the_input(self) -> None:
        response = await self.request("POST", "/things", json={"count": "11010519491231002X"})
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "RequestValidationError"
        assert body["detail"][0]["loc"] == ["body", "count"]
        assert "11010519491231002X" not in response.text  # inputs may be personal data

    async def test_unknown_route_and_unexpected_error(self) -> None:
        assert (await self.request("GET", "/nope")).json()["error"] == "NotFound"
        crashed = await self.request("GET", "/boom")
        assert crashed.status_code == 500
        assert crashed.json()["error"] == "InternalError"
        assert "secret internals" not in crashed.text
        assert crashed.json()["correlation_id"] == "rid-1"


class TestRequestIds:
    @pytest.mark.parametrize("value", [None, "", "x" * 129, "bad\nid", "中文"])
    def test_unusable_ids_are_replaced(self, value: str | None) -> None:
        replaced = clean_request_id(value)
        assert replaced != value
        assert len(replaced) == 32

    def test_a_good_id_is_kept(self) -> None:
        assert clean_request_id("abc-123") == "abc-123"


class TestReasonCodes:
    """A refusal's machine-readable reason is a field of the error and of the body, never a
    prefix of the English text to parse back."""

    def test_a_class_reason_is_its_name_unless_it_states_one(self) -> None:
        class WidgetNotFound(NotFound):
            pass

        class WidgetLocked(Conflict):
            reason = "widget_locked_by_another_user"

        assert WidgetNotFound("no widget").reason == "widget_not_found"
        assert WidgetLocked("locked").reason == "widget_locked_by_another_user"
        assert Conflict("x", reason="per_instance").reason == "per_instance"
        assert Conflict("x").reason == "conflict"

    async def test_the_body_carries_the_reason_and_the_plain_message(self) -> None:
        app = FastAPI()
        register_exception_handlers(app)

        class WidgetLocked(Conflict):
            reason = "widget_locked"

        @app.get("/w")
        async def widget() -> None:
            raise WidgetLocked("the widget is being edited", message_zh="正在编辑")

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get("/w")
        assert response.status_code == 409
        assert response.json() == {
            "error": "WidgetLocked",
            "reason": "widget_locked",
            "detail": "the widget is being edited",
            "message_zh": "正在编辑",
            "correlation_id": None,
        }

    def test_refusals_document_each_status_with_its_reasons(self) -> None:
        from jiuzhu_platform.auth import PROTECTED, AuthFailure, RegionNotAllowed
        from jiuzhu_platform.errors import RequestInvalid
        from jiuzhu_platform.http_errors import refusals

        documented = refusals(*PROTECTED, RegionNotAllowed, NotFound, RequestInvalid)
        assert sorted(documented) == [401, 403, 404, 422]
        assert all(f"`{failure.value}`" in documented[401]["description"] for failure in AuthFailure)
        assert documented[403]["description"] == "`reason`: `region_not_allowed`, `scope_missing`"
        assert documented[422]["description"] == "`reason`: `request_invalid`"
