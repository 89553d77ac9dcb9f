"""Issue 16: every write operation's request body has an example of the whole body, so a
newcomer's `/docs` (Swagger UI) shows something meaningful to try, and every example is valid.

The document is the merged OpenAPI of the embedded app, as `/docs` serves it (the gateway's own
routes and every service's). For each POST, PUT and PATCH with a request body, a whole-body
example is an `example` or `examples` on a media type, or on the body's schema (a `$ref`
followed; one of its `allOf`/`anyOf`/`oneOf` branches counts too). Examples of single fields
only do not count: Swagger UI would show a body stitched from field examples, not a case.

Each example is checked against:

- the media type's JSON schema in that document (`jsonschema`, Draft 2020-12 as OpenAPI 3.1
  says; `$ref`s resolved from the document's components; formats checked where `jsonschema`
  can), for every media type;
- for a JSON body, the request model itself, the way FastAPI validates a request
  (`route.body_field`): validators the schema cannot state (a resident ID's check digit, a
  town in its county) included;
- for the bodies a route reads raw (`RAW_READERS`: an NDJSON batch, a bank's result file), the
  reader the route uses, all the way to its end (a file's totals are checked last). Other raw
  bodies (monitoring's CSV imports) are checked against their published schema only.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from jiuzhu.embedded import create_embedded_app
from payment.bankfiles.adapters.results import read_results
from payment.bankfiles.domain.errors import ResultFileInvalid
from payment.bankfiles.domain.model import ResultFormat
from verification.notices.api.schemas import NoticeCreate

WRITE_METHODS = ("post", "put", "patch")
BANK_RESULTS = "POST /v1/payment/payroll-runs/{payroll_run_id}/bank-results"

MINIMUM_WRITE_OPERATIONS = 90
"""Nearly the write operations with a body there are today (95): an enumeration that finds
nothing must not pass."""


def _ndjson_batch(text: str) -> None:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "an empty batch"
    for line in lines:
        NoticeCreate.model_validate_json(line)


def _bank_results(file_format: ResultFormat) -> Callable[[str], None]:
    def read(text: str) -> None:
        summary, results = read_results(io.BytesIO(text.encode()), file_format)
        assert list(results), f"a {file_format} result file without results"
        assert summary.count is not None

    return read


RAW_READERS: dict[tuple[str, str], Callable[[str], None]] = {
    ("POST /v1/verification/notices/batch", "application/x-ndjson"): _ndjson_batch,
    (BANK_RESULTS, "application/xml"): _bank_results("pain002"),
    (BANK_RESULTS, "text/csv"): _bank_results("csv"),
}
"""Bodies read raw by their route (no request model): (operation, media type) → the route's reader,
which raises on an invalid body."""


@dataclass(frozen=True)
class Example:
    operation: str
    media_type: str
    where: str
    value: Any
    schema: dict[str, Any]
    """The media type's schema, as published."""


@dataclass(frozen=True)
class Published:
    spec: dict[str, Any]
    apps: tuple[FastAPI, ...]
    """The gateway first, then the services behind it: where each operation's route lives."""

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(method, path, operation) of every write operation with a request body."""
        return [
            (method, path, operation)
            for path, item in self.spec["paths"].items()
            for method, operation in item.items()
            if method in WRITE_METHODS and "requestBody" in operation
        ]

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def route(self, method: str, path: str) -> APIRoute | None:
        """The route serving the operation (routers included with a prefix: their effective path)."""
        for app in self.apps:
            for context in fastapi_routing.iter_route_contexts(app.router.routes):
                route = context.original_route
                if isinstance(route, APIRoute) and context.path_format == path and method.upper() in context.methods:
                    return route
        return None


def whole_body_examples(published: Published, operation: str, body: dict[str, Any]) -> list[Example]:
    found: list[Example] = []
    for media_type, media in published.resolve(body).get("content", {}).items():

        def add(where: str, value: Any, media_type: str = media_type, media: dict[str, Any] = media) -> None:
            found.append(Example(operation, media_type, where, value, media.get("schema", {})))

        if "example" in media:
            add("example", media["example"])
        for name, item in media.get("examples", {}).items():
            add(f"examples[{name}]", published.resolve(item).get("value"))
        schema = published.resolve(media.get("schema", {}))
        for label, candidate in [
            ("schema", schema),
            *(
                (f"schema.{key}[{i}]", published.resolve(branch))
                for key in ("allOf", "anyOf", "oneOf")
                for i, branch in enumerate(schema.get(key, []))
            ),
        ]:
            if "example" in candidate:
                add(f"{label}.example", candidate["example"])
            for i, value in enumerate(candidate.get("examples", [])):
                add(f"{label}.examples[{i}]", value)
    return found


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def problems_of(published: Published, example: Example, route: APIRoute | None) -> list[str]:
    """What is wrong with one example (nothing when it is valid)."""
    problems: list[str] = []
    schema = {**example.schema, "components": published.spec["components"]}  # its $refs resolve here
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems += [
        f"schema: {'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message[:200]}"
        for error in validator.iter_errors(example.value)
    ]
    if is_json(example.media_type) and route is not None and route.body_field is not None:
        _, errors = route.body_field.validate(example.value, {}, loc=("body",))
        problems += [f"model: {'/'.join(map(str, e['loc']))}: {e['msg']}" for e in errors]
    reader = RAW_READERS.get((example.operation, example.media_type))
    if reader is not None:
        try:
            reader(example.value)
        except (ValidationError, ResultFileInvalid, AssertionError) as exc:
            problems.append(f"reader: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    return [f"{example.operation} {example.media_type} {example.where}: {p}" for p in problems]


@pytest.fixture(scope="module")
async def published(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Published]:
    """The merged document `/openapi.json` serves (the embedded app started, no demo data)."""
    data_dir: Path = tmp_path_factory.mktemp("openapi-examples") / "data"
    app: FastAPI = create_embedded_app(data_dir, demo=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            response = await client.get("/openapi.json")
        assert response.status_code == 200, response.text
        spec = response.json()
        assert "Not reachable" not in spec["info"]["description"], spec["info"]
        yield Published(spec, (app, *app.state.service_apps.values()))


def test_every_write_operation_has_a_whole_body_example(published: Published) -> None:
    operations = published.operations()
    offenders = sorted(
        f"{method.upper()} {path}"
        for method, path, operation in operations
        if not whole_body_examples(published, f"{method.upper()} {path}", operation["requestBody"])
    )

    assert len(operations) >= MINIMUM_WRITE_OPERATIONS, f"only {len(operations)} write operations with a body"
    assert not offenders, f"{len(offenders)} write operations without a whole-body example:\n" + "\n".join(offenders)


def test_every_example_is_a_valid_body(published: Published) -> None:
    checked: list[Example] = []
    problems: list[str] = []
    routes_missing: list[str] = []
    for method, path, operation in published.operations():
        label = f"{method.upper()} {path}"
        route = published.route(method, path)
        if route is None:
            routes_missing.append(label)
        for example in whole_body_examples(published, label, operation["requestBody"]):
            checked.append(example)
            problems += problems_of(published, example, route)

    assert not routes_missing, "operations without a route to validate against:\n" + "\n".join(routes_missing)
    assert len(checked) >= MINIMUM_WRITE_OPERATIONS, f"only {len(checked)} examples found"
    raw = {(e.operation, e.media_type) for e in checked} & set(RAW_READERS)
    assert raw == set(RAW_READERS), f"raw bodies without their example: {sorted(set(RAW_READERS) - raw)}"
    assert not problems, f"{len(problems)} invalid examples:\n" + "\n".join(problems)
