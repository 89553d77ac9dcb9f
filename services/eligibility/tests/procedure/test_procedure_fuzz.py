"""Hostile input to the procedure's routes, generated from the app's own OpenAPI document
(schemathesis-style, without schemathesis): every field of every action body, the worklist's
query, the case file's path and the 回避 registry get huge integers, impossible dates, NUL and
control characters, lone surrogates, empty and whitespace-only text, 10k-character strings,
wrong JSON types, unknown fields, 1,000-item arrays and bodies that are not JSON at all, beside
valid bodies built from each model's example.

Whatever comes in: never a 5xx, every 4xx in the common error shape with a `reason`, and
nothing half-written by a refusal (the case file's `version` and `steps`, the applicant's
notices and the 回避 registry are as they were). A smaller run does the same on PostgreSQL,
which refuses values SQLite stores (NUL bytes in text, strings longer than their column).
"""

from __future__ import annotations

import json
from itertools import count
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from eligibility.procedure.adapters.orm import applicant_notice, staff_relative
from jiuzhu_platform.testing import ServiceHarness

APPLICATIONS = "/v1/eligibility/applications"
WORKLIST = "/v1/eligibility/worklist"
RELATIVES = "/v1/eligibility/staff-relatives"
COUNTY = "520102"
TOWN = "520102001000"
ERROR_KEYS = {"error", "reason", "detail", "message_zh", "correlation_id"}
DECIDED = {"approved", "rejected", "withdrawn", "terminated"}

# ------------------------------------------------------------------------------ hostile values

HUGE_INTS = [10**30, -(10**30), -1, 2**31, 2**63, -(2**63) - 1, 2**64, 1_000_001]
BAD_DATES = [
    "0000-01-01",
    "99999-12-31",
    "2026-02-30",
    "2026-13-01",
    "1999-12-31",
    "2101-01-01",
    "2026-1-1",
    "26-11-02",
    "2026-11-02T25:00:00",
    "-2026-11-02",
]
BAD_TEXT = [
    "",
    " ",
    "\t\n\r ",
    "\u3000",
    "\x00",
    "a\x00b",
    "\x01\x1f\x7f",
    "\u202e\u200b",
    "\ud800",
    "x\udfff",
    "x" * 256,
    "x" * 10_000,
    "李" * 300,
    "%00",
    "'; DROP TABLE application_step; --",
]
BAD_UUIDS = [
    "not-a-uuid",
    "0",
    "00000000-0000-0000-0000-00000000000g",
    "00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-000000000001",
    "x" * 2_000,
    "%00",
    "%E0%A4%A",
    "..%2F..%2Fworklist",
]
WRONG_TYPES: list[Any] = [None, True, False, 0, 1.5, -1e308, "x", [], {}, [None], {"a": {"b": []}}]
NOT_JSON: list[tuple[bytes, str | None]] = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b'{"a": 1, "a": 2}', "application/json"),
    (b"[" * 5_000 + b"]" * 5_000, "application/json"),
    (b'{"expected_version": 1' + b"0" * 5_000 + b"}", "application/json"),
    (b"expected_version=1", "application/x-www-form-urlencoded"),
    (b"\x00\x01\x02", "application/octet-stream"),
    (b'{"note": "ok"}', "text/plain"),
    (b'{"note": "ok"}', None),
]


class Schemas(dict[str, Any]):
    """The OpenAPI document's component schemas (a short repr for hypothesis' reports)."""

    def __repr__(self) -> str:
        return "<components>"


class Schema(dict[str, Any]):
    def __repr__(self) -> str:
        return f"<{self.get('title', 'schema')}>"


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return Schema(schema)


def hostile(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a field of `schema` must refuse (or survive): by its type, format and bounds."""
    schema = _resolve(schema, components)
    options: list[Any] = list(WRONG_TYPES)
    branches = schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", [])
    for branch in branches:
        branch = _resolve(branch, components)
        if branch.get("type") != "null":
            return st.one_of(st.sampled_from(options), hostile(branch, components))
    kind = schema.get("type")
    if kind == "integer":
        bounds = [schema[k] + d for k, d in (("minimum", -1), ("maximum", 1)) if k in schema]
        options += HUGE_INTS + bounds + ["1", "1e3", 1.0]
    elif kind == "number":
        options += [*HUGE_INTS, "NaN", "Infinity"]
    elif kind == "boolean":
        options += ["true", "yes", 2, "1"]
    elif kind == "array":
        item = schema.get("items", {})
        return st.one_of(
            st.sampled_from(options),
            st.builds(lambda v: [v] * 1_000, st.sampled_from(["x", "李梅", 1])),
            st.lists(hostile(item, components), min_size=1, max_size=3),
        )
    elif kind == "string" or "enum" in schema:
        options += BAD_TEXT
        if schema.get("format") == "date":
            options += BAD_DATES
        if schema.get("format") == "uuid":
            options += BAD_UUIDS
        for value in schema.get("enum", []):
            options += [value.upper(), value + "\x00", f" {value} "]
        if "maxLength" in schema:  # the boundary: the longest the schema allows, and one more
            options += ["x" * schema["maxLength"], "李" * schema["maxLength"], "x" * (schema["maxLength"] + 1)]
        if "pattern" in schema:
            options += ["５２０１０２００１０００", "520102001000\n", "52010200100", "5201020010000"]
    return st.sampled_from(options)


@st.composite
def action_body(draw: st.DrawFn, schema: dict[str, Any], components: dict[str, Any]) -> tuple[bytes, str | None]:
    """A body for an action route: its example, as is or with fields broken, missing or added;
    or something that is not the model at all."""
    examples = schema.get("examples") or [{}]
    body: dict[str, Any] = dict(draw(st.sampled_from(examples)))
    properties: dict[str, Any] = schema.get("properties", {})
    how = draw(st.sampled_from(["valid", "valid", "one", "one", "several", "drop", "extra", "not_json", "version"]))
    if how == "not_json":
        return draw(st.sampled_from(NOT_JSON))
    if how == "version":
        version = properties.get("expected_version", {"type": "integer"})
        body["expected_version"] = draw(st.one_of(st.integers(0, 3), hostile(version, components)))
    elif how in ("one", "several") and properties:
        names = draw(st.lists(st.sampled_from(sorted(properties)), min_size=1, max_size=1 if how == "one" else 3))
        for name in names:
            body[name] = draw(hostile(properties[name], components))
    elif how == "drop" and body:
        body.pop(draw(st.sampled_from(sorted(body))))
    elif how == "extra":
        body[draw(st.sampled_from(["action", "stage", "version", "steps", "id", "", "\x00", "x" * 300]))] = draw(
            st.sampled_from([*WRONG_TYPES, "approved", 99])
        )
    return json.dumps(body).encode(), "application/json"


@st.composite
def worklist_query(
    draw: st.DrawFn, parameters: list[dict[str, Any]], components: dict[str, Any]
) -> list[tuple[str, str]]:
    """Query pairs for the worklist: each parameter left out, valid or broken (strings only:
    a query has no JSON types; lone surrogates cannot be sent, so they are left out)."""
    pairs: list[tuple[str, str]] = []
    for parameter in parameters:
        if parameter["in"] != "query" or not draw(st.booleans()):
            continue
        name = parameter["name"]
        values = draw(st.lists(hostile(parameter["schema"], components), min_size=1, max_size=3))
        for value in values:
            if isinstance(value, (list, dict)):
                text = json.dumps(value)
            else:
                text = str(value).lower() if isinstance(value, bool) else str(value)
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
                continue
            pairs.append((name, text))
    if draw(st.booleans()):
        pairs.append(
            draw(
                st.sampled_from(
                    [
                        ("unknown", "1"),
                        ("stage", "approved"),
                        ("limit", "10"),
                        ("overdue", "1"),
                        ("assigned_to", "li.na"),
                    ]
                )
            )
        )
    return pairs


# ------------------------------------------------------------------------------ the world


def resident(body17: str) -> str:
    from shared.types import resident_id_check_digit

    return body17 + resident_id_check_digit(body17)


class World:
    """One harness, its callers and the open application the requests act on."""

    def __init__(self, h: ServiceHarness, callers: dict[str, httpx.AsyncClient], openapi: dict[str, Any]) -> None:
        self.h = h
        self.callers = callers
        self.openapi = openapi
        self.application_id = ""
        self.household_id = ""
        self.serial = count(1)

    def __repr__(self) -> str:
        return f"<world: application {self.application_id}>"

    @property
    def components(self) -> dict[str, Any]:
        return Schemas(self.openapi["components"]["schemas"])

    def action_routes(self) -> dict[str, dict[str, Any]]:
        """Action segment → the request-body schema of its POST route, from the OpenAPI document."""
        routes = {}
        for path, item in self.openapi["paths"].items():
            prefix = f"{APPLICATIONS}/{{application_id}}/"
            if path.startswith(prefix) and "post" in item:
                ref = item["post"]["requestBody"]["content"]["application/json"]["schema"]
                routes[path.removeprefix(prefix)] = _resolve(ref, self.components)
        return routes

    async def new_application(self) -> None:
        n = next(self.serial)
        body = {
            "assistance_type": "dibao" if n % 2 else "tekun",
            "region_code": COUNTY,
            "town_code": TOWN,
            "member_count": 2,
            "applicant": {"name": "李梅", "resident_id": resident(f"520102{1940 + n // 1000}0101{n % 1000:03d}")},
        }
        response = await self.callers["li"].post(APPLICATIONS, json=body)
        assert response.status_code == 201, response.text
        self.application_id = response.json()["id"]
        self.household_id = response.json()["household_id"]
        self.callers["citizen"] = self.h.anonymous_client(
            kind="citizen", roles=("citizen",), household_id=self.household_id
        )

    async def snapshot(self) -> tuple[Any, ...]:
        """What a refusal must leave as it was: the case file's version and timeline, the
        applicant notices and the 回避 registry."""
        case = await self.h.client.get(f"{APPLICATIONS}/{self.application_id}/procedure")
        assert case.status_code == 200, case.text
        async with self.h.runtime.database.read() as session:
            notices = await session.scalar(select(func.count()).select_from(applicant_notice))
            relatives = await session.scalar(select(func.count()).select_from(staff_relative))
        procedure = case.json()
        return procedure["version"], procedure["steps"], procedure["stage"], notices, relatives

    async def send(self, method: str, url: str, caller: str, **kwargs: Any) -> httpx.Response:
        before = await self.snapshot()
        response = await self.callers[caller].request(method, url, **kwargs)
        status = response.status_code
        if currently_in_test_context():
            event(f"{status} {response.json().get('reason', '') if status >= 400 else ''}")
        assert status < 500, (method, url, caller, kwargs, response.text)
        if status >= 400:
            problem = response.json()
            assert set(problem) == ERROR_KEYS, response.text
            assert isinstance(problem["reason"], str), response.text
            assert problem["reason"], response.text
            assert await self.snapshot() == before, ("half-written", method, url, kwargs, response.text)
        stage = (await self.snapshot())[2]
        if stage in DECIDED:  # keep acting on an open application
            await self.new_application()
        return response


@pytest.fixture
async def world(h: ServiceHarness) -> World:
    return await _world(h)


@pytest.fixture
async def tier_world(tier_h: ServiceHarness) -> World:
    if tier_h.runtime.database.dialect != "postgresql":
        pytest.skip("SQLite is fuzzed above")
    return await _world(tier_h)


async def _world(h: ServiceHarness) -> World:
    callers = {
        "li": h.anonymous_client(kind="staff", subject="li.na", roles=("town_caseworker",), region=TOWN),
        "wang": h.anonymous_client(kind="staff", subject="wang.fang", roles=("town_caseworker",), region=TOWN),
        "zhao": h.anonymous_client(kind="staff", subject="zhao.lei", roles=("county_approver",), region=COUNTY),
        "other": h.anonymous_client(kind="staff", subject="other", roles=("town_caseworker",), region="520103001000"),
        "anonymous": h.anonymous_client(),
        "admin": h.client,
    }
    world = World(h, callers, h.app.openapi())
    await world.new_application()
    return world


CALLERS = ["li", "li", "wang", "zhao", "zhao", "citizen", "admin", "other", "anonymous"]
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


async def fuzz_action(world: World, data: st.DataObject, actions: list[str] | None = None) -> None:
    routes = world.action_routes()
    action = data.draw(st.sampled_from(sorted(actions or routes)), label="action")
    content, content_type = data.draw(action_body(routes[action], world.components), label="body")
    target = data.draw(st.one_of(st.just(world.application_id), st.sampled_from(BAD_UUIDS)), label="application")
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    headers = {"content-type": content_type} if content_type else {}
    await world.send("POST", f"{APPLICATIONS}/{target}/{action}", caller, content=content, headers=headers)


async def fuzz_worklist(world: World, data: st.DataObject) -> None:
    parameters = world.openapi["paths"][WORKLIST]["get"]["parameters"]
    query = data.draw(worklist_query(parameters, world.components), label="query")
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    await world.send("GET", WORKLIST, caller, params=query)


async def fuzz_relative(world: World, data: st.DataObject) -> None:
    schema = _resolve(
        world.openapi["paths"][RELATIVES]["post"]["requestBody"]["content"]["application/json"]["schema"],
        world.components,
    )
    if data.draw(st.booleans(), label="fresh resident"):  # a valid body with a new relative
        k = next(world.serial)
        fresh = {"resident_id": resident(f"520102{1960 + k // 1000}0202{k % 1000:03d}"), "relationship": "spouse"}
        schema = Schema(
            schema,
            examples=[fresh],
        )
    content, content_type = data.draw(action_body(schema, world.components), label="body")
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    headers = {"content-type": content_type} if content_type else {}
    await world.send("POST", RELATIVES, caller, content=content, headers=headers)


async def fuzz_read(world: World, data: st.DataObject) -> None:
    target = data.draw(st.one_of(st.just(world.application_id), st.sampled_from(BAD_UUIDS)), label="application")
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    await world.send("GET", f"{APPLICATIONS}/{target}/procedure", caller)


@settings(FUZZ, max_examples=250)
@given(data=st.data())
async def test_action_routes_survive_hostile_bodies(world: World, data: st.DataObject) -> None:
    await fuzz_action(world, data)


@settings(FUZZ, max_examples=80)
@given(data=st.data())
async def test_worklist_survives_hostile_queries(world: World, data: st.DataObject) -> None:
    await fuzz_worklist(world, data)


@settings(FUZZ, max_examples=200)
@given(data=st.data())
async def test_staff_relatives_survive_hostile_bodies(world: World, data: st.DataObject) -> None:
    await fuzz_relative(world, data)


@settings(FUZZ, max_examples=30)
@given(data=st.data())
async def test_procedure_read_survives_hostile_paths(world: World, data: st.DataObject) -> None:
    await fuzz_read(world, data)


async def test_every_action_route_is_fuzzed(world: World) -> None:
    from eligibility.procedure.api.schemas import BODIES

    assert set(world.action_routes()) == {body.action.value for body in BODIES} | {"assign", "assessments"}


@settings(FUZZ, max_examples=100)
@given(data=st.data())
async def test_on_postgresql_text_and_numbers_asyncpg_refuses(tier_world: World, data: st.DataObject) -> None:
    """asyncpg refuses NUL bytes in text and values wider than their column, which SQLite stores."""
    which = data.draw(st.sampled_from(["action", "worklist", "relative"]), label="route")
    if which == "action":
        await fuzz_action(tier_world, data, ["request-supplement", "accept", "record-home-visit", "terminate"])
    elif which == "worklist":
        await fuzz_worklist(tier_world, data)
    else:
        await fuzz_relative(tier_world, data)


async def test_what_the_fuzzing_found(tier_h: ServiceHarness) -> None:
    """The inputs that answered 500 before (on SQLite, PostgreSQL or both), pinned."""
    world = await _world(tier_h)
    relative = resident("52010219600303003")
    cases: list[tuple[str, str, str, dict[str, Any], int, str]] = [
        ("GET", WORKLIST, "li", {"params": {"assigned_to": "a\x00b"}}, 422, "request_invalid"),
        (
            "POST",
            RELATIVES,
            "li",
            {"json": {"resident_id": relative, "relationship": "x" * 31}},
            422,
            "request_invalid",
        ),
        (
            "POST",
            RELATIVES,
            "li",
            {"json": {"resident_id": relative, "relationship": "\ud800"}},
            422,
            "request_invalid",
        ),
        (
            "POST",
            RELATIVES,
            "zhao",
            {"json": {"resident_id": relative, "relationship": "spouse", "account": "y" * 201}},
            422,
            "request_invalid",
        ),
        ("POST", RELATIVES, "li", {"json": {"resident_id": relative, "relationship": "x" * 30}}, 201, ""),
        (
            "POST",
            RELATIVES,
            "li",
            {"json": {"resident_id": relative, "relationship": "spouse"}},
            409,
            "relative_already_recorded",
        ),
        (
            "POST",
            f"{APPLICATIONS}/{world.application_id}/request-supplement",
            "li",
            {"json": {"missing_items": ["户口簿\udfff"]}},
            422,
            "request_invalid",
        ),
    ]
    for method, url, caller, kwargs, status, reason in cases:
        if "json" in kwargs:  # sent as bytes: httpx cannot encode a lone surrogate itself
            kwargs = {"content": json.dumps(kwargs["json"]).encode(), "headers": {"content-type": "application/json"}}
        response = await world.send(method, url, caller, **kwargs)
        assert response.status_code == status, (url, kwargs, response.text)
        if reason:
            assert response.json()["reason"] == reason, response.text
