"""Issue 15 #14: one error body everywhere, and every status an operation can answer with in
its OpenAPI responses.

Through the embedded gateway (the public surface): a body that is not JSON, an unknown route,
a wrong method, the gateway's own validation refusals and the services' all answer in the
common `ErrorBody` shape, and the merged OpenAPI document lists, for every operation, the
refusals the platform gives (401/403 unless public, 404 with a path parameter, 400/413 with a
body, 422 in the `ErrorBody` shape, 429 from the gateway's limits)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from jiuzhu.embedded import CREDENTIALS_FILE, create_embedded_app
from jiuzhu_platform.http_errors import document_common_errors
from shared.errors import ErrorBody

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The embedded app (no demo data), with a client signed in as the first administrator."""
    data_dir = tmp_path_factory.mktemp("error-shape") / "data"
    app: FastAPI = create_embedded_app(data_dir, demo=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            accounts = json.loads((data_dir / CREDENTIALS_FILE).read_text())["accounts"]
            password = next(a["password"] for a in accounts if a["username"] == "admin")
            login = await client.post("/v1/auth/login", json={"username": "admin", "password": password})
            assert login.status_code == 200, login.text
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            yield client


def assert_common_shape(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    ErrorBody.model_validate(body)  # exactly the common keys, nothing else
    assert body["message_zh"], body
    assert body["correlation_id"] == response.headers["x-request-id"], body
    return body


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/v1/eligibility/assessments", 422),  # a service's route
        ("POST", "/v1/auth/users", 422),  # the gateway's own route
        ("POST", "/v1/auth/login", 422),
    ],
)
async def test_a_body_that_is_not_json_is_the_common_shape(
    gateway: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await gateway.request(
        method, path, content=b'{"username": "admin", ', headers={"Content-Type": "application/json"}
    )
    body = assert_common_shape(response, status)
    assert isinstance(body["detail"], list), body
    assert body["detail"][0]["type"] == "json_invalid", body


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/eligibility/no-such-route", 404),
        ("GET", "/v1/no-such-service/anything", 404),
        ("GET", "/no-such-page", 404),
        ("GET", "/v1/auth/no-such-route", 404),
        ("DELETE", "/v1/eligibility/policies", 405),
        ("PUT", "/v1/auth/login", 405),
    ],
)
async def test_unknown_routes_and_wrong_methods_are_the_common_shape(
    gateway: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    assert_common_shape(await gateway.request(method, path), status)


async def test_the_gateways_own_refusal_of_an_input_is_documented_as_it_is_sent(gateway: httpx.AsyncClient) -> None:
    """The gateway's own 422 (a rule of the identity service, `detail` a message) must match the
    422 its OpenAPI promises (before: FastAPI's `HTTPValidationError`, `detail` a list)."""
    response = await gateway.post(
        "/v1/auth/users",
        json={
            "username": "x-probe",
            "password": "Tansuo-Jingban-2026",
            "roles": ["nobody"],
            "region": "520102",
            "display_name": "探测",
        },
    )
    body = assert_common_shape(response, 422)
    assert isinstance(body["detail"], str), body
    schema = (await gateway.get("/openapi.json")).json()
    documented = schema["paths"]["/v1/auth/users"]["post"]["responses"]["422"]
    assert documented["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


async def test_every_operation_documents_the_platforms_refusals(gateway: httpx.AsyncClient) -> None:
    schema = (await gateway.get("/openapi.json")).json()
    assert "ErrorBody" in schema["components"]["schemas"]
    problems = []
    operations = 0
    for path, item in schema["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operations += 1
            responses = operation["responses"]
            expected = set()
            if path.startswith("/v1/"):
                expected |= {"429", "400"}
                if operation.get("x-jiuzhu-public") is not True:
                    expected |= {"401", "403"}
            if "{" in path:
                expected |= {"404", "422"}
            if "requestBody" in operation:
                expected |= {"400", "413", "422"}
            if missing := expected - set(responses):
                problems.append(f"{method.upper()} {path}: {sorted(missing)} undocumented")
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                    if ref != "#/components/schemas/ErrorBody":
                        problems.append(f"{method.upper()} {path}: {status} is not the ErrorBody shape ({ref})")
    assert operations >= 50
    assert not problems, "\n".join(problems)


def test_a_route_keeps_its_own_description_of_a_status() -> None:
    document: dict[str, Any] = {
        "paths": {
            "/v1/x/things/{thing_id}": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                    "responses": {
                        "200": {"description": "ok"},
                        "409": {
                            "description": "`reason`: `thing_taken`",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                        },
                        "422": {
                            "description": "Validation Error",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
                            },
                        },
                    },
                }
            },
            "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
        }
    }

    document_common_errors(document)

    responses = document["paths"]["/v1/x/things/{thing_id}"]["post"]["responses"]
    assert sorted(responses) == ["200", "400", "401", "403", "404", "409", "413", "422"]
    assert responses["409"]["description"] == "`reason`: `thing_taken`"
    assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert document["paths"]["/healthz"]["get"]["responses"] == {"200": {"description": "ok"}}
    assert "ErrorBody" in document["components"]["schemas"]
