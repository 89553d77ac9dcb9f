"""The same skeleton flow in embedded mode: one process, SQLite files, the in-process bus,
the gateway in front (no servers needed, so this runs in every tier)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from eligibility.assessment import service as assessment_service
from eligibility.assessment.api.schemas import AssessmentCreate
from eligibility.policy.adapters.policy_files import policy_book
from jiuzhu.demo import APPLY_FOR, demo_households
from jiuzhu.embedded import CREDENTIALS_FILE, SMS_CODES_FILE, create_embedded_app
from jiuzhu_platform.logging import json_handler
from shared.types import resident_id_check_digit
from tests.e2e.browser import Browser, count_colour

REPO = Path(__file__).resolve().parents[2]
HOUSEHOLDS = "/v1/eligibility/households"
WAIT_SECONDS = 120
"""The bound on waiting for the in-process workers (demo data, events): generous, since a
condition met sooner ends the wait at once and a busy machine may take many times longer."""
START_SECONDS = 180
"""The bound on `jiuzhu run` serving its demo data (migrations, demo loader) in a new process."""


def expected_demo_applications() -> list[dict[str, Any]]:
    """The demo slice's households that the engine finds eligible for something."""
    eligible = []
    for household in demo_households():
        assessment, _ = assessment_service.assess_household(
            AssessmentCreate.model_validate(household).to_command(), policy_book()
        )
        if assessment.category in APPLY_FOR:
            eligible.append(household)
    return eligible


EXPECTED = expected_demo_applications()


def admin_password(data_dir: Path) -> str:
    """The first administrator's password, from the credentials file of the first start."""
    accounts = json.loads((data_dir / CREDENTIALS_FILE).read_text())["accounts"]
    return str(next(a["password"] for a in accounts if a["username"] == "admin"))


async def bearer(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI, io.StringIO]]:
    """The embedded app and a client signed in as the first administrator."""
    stream = io.StringIO()
    handler = json_handler("embedded", stream)
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(logging.INFO)
    app = create_embedded_app(tmp_path / "data")
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
                client.headers.update(await bearer(client, "admin", admin_password(tmp_path / "data")))
                yield client, app, stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


async def wait_for(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    async def poll() -> dict[str, Any]:
        while (response := await client.get(url)).status_code == 404:
            await asyncio.sleep(0.05)
        assert response.status_code == 200, response.text
        return dict(response.json())

    return await asyncio.wait_for(poll(), WAIT_SECONDS)


async def test_the_data_directory_is_the_owners_only(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO], tmp_path: Path
) -> None:
    """Issue 15 #16: the SQLite databases hold personal data (encrypted, but still): 0600, in a
    0700 directory, never world-readable."""
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    databases = sorted(data.glob("*.db"))
    assert {path.name for path in databases} >= {"gateway.db", "eligibility.db", "verification.db", "payment.db"}
    for path in databases:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


REGISTER = "/v1/monitoring/households"


def applicants(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The register's households that applied (not the demo 防返贫 list's)."""
    return [item for item in page["items"] if item["reason"] != "anti_poverty_list"]


async def test_demo_households_are_loaded_through_the_real_path(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO],
) -> None:
    client, _, _ = embedded

    async def all_registered() -> list[dict[str, Any]]:
        while len(applied := applicants((await client.get(REGISTER, params={"limit": 200})).json())) < len(EXPECTED):
            await asyncio.sleep(0.05)
        return applied

    applied = await asyncio.wait_for(all_registered(), WAIT_SECONDS)
    assert len(EXPECTED) >= 3  # the slice is chosen to show a few eligible households
    assert len(applied) == len(EXPECTED)
    assert sorted(item["region_code"] for item in applied) == sorted(h["region_code"] for h in EXPECTED)


async def test_application_flows_to_the_register_with_one_correlation_id(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO],
) -> None:
    client, app, stream = embedded
    password = "Embedded-flow-2026"
    user = await client.post(
        "/v1/auth/users",
        json={
            "username": "caseworker-flow",
            "password": password,
            "roles": ["town_caseworker"],
            "region": "520112",
            "display_name": "经办人",
        },
    )
    assert user.status_code == 201, user.text
    caseworker = await bearer(client, "caseworker-flow", password)
    body = "52011219851111002"
    created = await client.post(
        "/v1/eligibility/applications",
        json={
            "assistance_type": "temporary",
            "region_code": "520112",
            "member_count": 2,
            "applicant": {"name": "嵌入式", "resident_id": body + resident_id_check_digit(body)},
        },
        headers={"X-Request-ID": "embedded-flow-1"} | caseworker,
    )
    assert created.status_code == 201, created.text
    assert created.headers["x-request-id"] == "embedded-flow-1"
    entry = await wait_for(client, f"/v1/monitoring/households/{created.json()['household_id']}")
    assert entry["assistance_types"] == ["temporary"]

    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    services = {r["service"] for r in records if r.get("correlation_id") == "embedded-flow-1"}
    assert {"gateway", "eligibility"} <= services

    # Consumers log no line per event at INFO (a batch is thousands of events): monitoring's
    # side of the trail is its effect, the registration it published under the same id.
    async def registration_published() -> list[bytes | None]:
        while True:
            key = entry["household_id"].encode()
            if registered := [m for m in app.state.bus.messages("monitoring.events") if m.key == key]:
                return [m.header("correlation_id") for m in registered]
            await asyncio.sleep(0.05)

    assert await asyncio.wait_for(registration_published(), WAIT_SECONDS) == [b"embedded-flow-1"]
    assert body not in stream.getvalue()  # privacy: not even the ID body reaches the log

    docs = await client.get("/openapi.json")
    assert "/v1/eligibility/applications" in docs.json()["paths"]
    assert "/v1/monitoring/households" in docs.json()["paths"]
    assert app.state.bus.committed("monitoring.register", "eligibility.events") >= 1


def rendered_page(url: str) -> str | None:
    """The DOM of `url` after its scripts ran, from headless Chromium (Debian's `chromium`);
    None when no Chromium is installed (CI installs it: .ci/run)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    result = subprocess.run(
        [browser, "--headless", "--disable-gpu", "--no-sandbox", "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return result.stdout.decode(errors="replace")


async def dashboard_in_browser(base: str, password: str, shots: Path) -> dict[str, Any] | None:
    """The monitoring dashboard in headless Chromium: sign in on the page as the administrator,
    wait for the figures, count the drawn bars and the chart colour in a screenshot, then
    drill down to the first county. None without Chromium."""
    browser = Browser.start()
    if browser is None:
        return None
    async with browser:
        await browser.goto(f"{base}/dashboard")
        await browser.wait_for("!document.getElementById('login').classList.contains('hidden')")
        await browser.evaluate(
            "document.getElementById('username').value = 'admin';"
            f"document.getElementById('password').value = {json.dumps(password)};"
            "document.getElementById('login').requestSubmit(); true"
        )
        await browser.wait_for("document.body.dataset.loaded")
        bars = await browser.evaluate(
            "[...document.querySelectorAll('#charts rect.bar')].filter(r => r.getBoundingClientRect().width > 0).length"
        )
        households = await browser.evaluate(
            "Number(document.querySelector('#summary .figure b').textContent.replace(/,/g, ''))"
        )
        png = await browser.screenshot(shots / "dashboard-city.png")
        county = await browser.evaluate("document.querySelector('#charts a.drill').getAttribute('href').split('=')[1]")
        await browser.evaluate(f"location.hash = 'region={county}'; true")
        drilled = await browser.wait_for(
            f"document.body.dataset.loaded.endsWith('/{county}') && document.body.dataset.loaded"
        )
        town_rows = await browser.evaluate("document.querySelectorAll('#charts svg:first-of-type text.area').length")
        await browser.screenshot(shots / "dashboard-county.png")
        return {
            "bars": bars,
            "households": households,
            "blue_pixels": count_colour(png, (0x2F, 0x6D, 0xB5)),
            "county": county,
            "drilled": drilled,
            "town_rows": town_rows,
        }


def test_make_run_serves_the_docs(tmp_path: Path) -> None:
    """`jiuzhu run` (what `make run` starts) answers on its port with docs and demo data."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    command = [sys.executable, "-m", "jiuzhu.cli", "run", "--port", str(port), "--data-dir", str(tmp_path / "d")]
    # Output goes to a file, not a pipe: nobody reads a pipe until the end, and the first
    # start's access log (the demo loader's requests) would fill it and block the server.
    log = (tmp_path / "run.log").open("w+b")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + START_SECONDS
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, trust_env=False) as client:
            while True:
                assert process.poll() is None, (tmp_path / "run.log").read_text(errors="replace")
                try:
                    if not client.headers.get("Authorization"):
                        password = admin_password(tmp_path / "d")
                        login = client.post("/v1/auth/login", json={"username": "admin", "password": password})
                        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
                    if len(applicants(client.get(REGISTER, params={"limit": 200}).json())) == len(EXPECTED):
                        break
                except (httpx.TransportError, ValueError, KeyError, OSError):
                    pass
                assert time.monotonic() < deadline, f"embedded mode not serving after {START_SECONDS}s"
                time.sleep(0.3)
            docs = client.get("/docs")
            assert docs.status_code == 200
            assert "swagger" in docs.text.lower()
            assert "cdn." not in docs.text  # served by the gateway itself: works offline
            assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
            rendered = rendered_page(f"http://127.0.0.1:{port}/docs")
            if rendered is not None:  # Chromium here: the page really renders the operations
                for path in ("/v1/eligibility/applications", "/v1/verification/checks", "/v1/auth/login"):
                    assert f'data-path="{path}"' in rendered, path
            base, password = f"http://127.0.0.1:{port}", admin_password(tmp_path / "d")
            shown = asyncio.run(dashboard_in_browser(base, password, tmp_path))
            if shown is not None:  # Chromium here: a manager signs in and sees charts with data
                assert shown["bars"] >= 4, shown
                assert shown["blue_pixels"] > 1000, shown  # the 低保 bars and open alerts, drawn
                assert shown["households"] > 0, shown
                assert shown["drilled"].endswith("/" + shown["county"]), shown
                assert shown["town_rows"] >= 1, shown
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a start still loading the demo data ends only then
            process.kill()
            process.wait(timeout=10)
        log.close()
    assert f"http://127.0.0.1:{port}/docs" in (tmp_path / "run.log").read_text(errors="replace")


async def test_demo_applications_stand_at_every_stage(embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO]) -> None:
    """A newcomer's worklist is real: applications at every stage, some overdue, cases to review."""
    client, _, _ = embedded
    page = (await client.get("/v1/eligibility/worklist", params={"limit": 200})).json()
    stages = {item["stage"] for item in page["items"]}
    assert {"submitted", "accepted", "publicizing", "submitted_to_county", "approved", "rejected"} <= stages, stages
    overdue = (await client.get("/v1/eligibility/worklist", params={"overdue": "true"})).json()
    assert overdue["total"] >= 1
    cases = (await client.get("/v1/eligibility/cases")).json()
    # the departments' demo notices (jiuzhu.demo_monitoring) put the cases of their people under review
    assert {c["status"] for c in cases["items"]} >= {"under_review", "termination_publicizing"}


async def test_a_citizen_binds_to_the_household_of_their_demo_application(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO], tmp_path: Path
) -> None:
    """Embedded, the gateway's binding reaches eligibility over the in-process transport: the
    citizen of a demo application is bound to that application's household. The sign-in code is
    read where the README tells a newcomer to read it (`var/embedded/sms-codes.jsonl`)."""
    client, app, _ = embedded
    applicant = EXPECTED[0]["members"][0]["resident_id"]

    async def demo_household() -> httpx.Response:  # the demo loader may still be submitting
        while (found := await client.post(f"{HOUSEHOLDS}/search", json={"resident_id": applicant})).status_code == 404:
            await asyncio.sleep(0.05)
        return found

    search = await asyncio.wait_for(demo_household(), WAIT_SECONDS)
    assert search.status_code == 200, search.text
    citizen = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test")
    async with citizen:
        phone = "13900001111"
        assert (await citizen.post("/v1/auth/citizen/code", json={"phone": phone})).status_code == 202
        sent = (tmp_path / "data" / SMS_CODES_FILE).read_text(encoding="utf-8").splitlines()
        code = [json.loads(line)["code"] for line in sent if json.loads(line)["to"] == "139****1111"][-1]
        login = await citizen.post("/v1/auth/citizen/login", json={"phone": phone, "code": code})
        unbound = {"Authorization": f"Bearer {login.json()['access_token']}"}
        bound = await citizen.post(
            "/v1/auth/citizen/bind", json={"name": "演示居民", "resident_id": applicant}, headers=unbound
        )
        assert bound.status_code == 200, bound.text
        own = await citizen.get(
            f"{HOUSEHOLDS}/{search.json()['household_id']}",
            headers={"Authorization": f"Bearer {bound.json()['access_token']}"},
        )
        assert own.status_code == 200, own.text


async def test_demo_checks_have_reports_and_accepted_applications_wait_for_authorisations(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO],
) -> None:
    client, _, _ = embedded

    async def listed() -> dict[str, Any]:
        while (page := (await client.get("/v1/verification/checks", params={"limit": 200})).json())["total"] < 7:
            await asyncio.sleep(0.05)
        return dict(page)

    page = await asyncio.wait_for(listed(), WAIT_SECONDS)
    statuses = [item["status"] for item in page["items"]]
    assert statuses.count("complete") >= 6
    assert "awaiting_authorisation" in statuses  # the accepted demo applications' own checks
    complete = next(item for item in page["items"] if item["status"] == "complete")
    report = (await client.get(f"/v1/verification/checks/{complete['check_id']}")).json()
    assert len(report["members"][0]["sources"]) == 12
    printable = await client.get(f"/v1/verification/checks/{complete['check_id']}/report.html")
    assert printable.status_code == 200
    assert "核对报告" in printable.text


async def test_demo_payroll_runs_are_calculated_for_a_second_officer_to_approve(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO],
) -> None:
    client, _, _ = embedded

    async def calculated() -> dict[str, Any]:
        while not (page := (await client.get("/v1/payment/payroll-runs")).json())["items"]:
            await asyncio.sleep(0.05)
        return dict(page)

    page = await asyncio.wait_for(calculated(), WAIT_SECONDS)
    assert {run["status"] for run in page["items"]} == {"calculated"}
    detail = (await client.get(f"/v1/payment/payroll-runs/{page['items'][0]['id']}/detail")).json()
    assert detail["totals"]["count"] > 0
    assert detail["calculated_by"].startswith("payment-")


async def test_a_newcomer_approves_exports_and_downloads_the_demo_run_as_valid_pain001(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO], tmp_path: Path
) -> None:
    """The /docs walk of the payroll: the county's second officer approves the demo run, exports
    it and downloads its pain.001, which validates against the official ISO 20022 schema."""
    from lxml import etree

    from payment.bankfiles.adapters.pain001 import PAIN001_XSD

    client, _, _ = embedded

    async def first_run() -> dict[str, Any]:
        while not (items := (await client.get("/v1/payment/payroll-runs")).json()["items"]):
            await asyncio.sleep(0.05)
        return dict(items[0])

    run = await asyncio.wait_for(first_run(), WAIT_SECONDS)
    accounts = json.loads((tmp_path / "data" / CREDENTIALS_FILE).read_text())["accounts"]
    second = next(a for a in accounts if a["username"] == f"payment-check-{run['county_code']}")
    officer = await bearer(client, second["username"], second["password"])

    approved = await client.post(f"/v1/payment/payroll-runs/{run['id']}/approve", json={}, headers=officer)
    assert approved.status_code == 200, approved.text
    exported = await client.post(f"/v1/payment/payroll-runs/{run['id']}/export", headers=officer)
    assert exported.status_code == 200, exported.text
    batch = await client.get(f"/v1/payment/payroll-runs/{run['id']}/bank-file", headers=officer)

    assert batch.status_code == 200, batch.text
    etree.XMLSchema(etree.parse(str(PAIN001_XSD))).assertValid(etree.fromstring(batch.content))


async def test_demo_procurement_has_providers_an_open_project_and_a_running_contract_with_visits(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO], tmp_path: Path
) -> None:
    """The procurement line in the demo, as the city's procurement officer sees it in /docs."""
    client, _, _ = embedded
    accounts = json.loads((tmp_path / "data" / CREDENTIALS_FILE).read_text())["accounts"]
    officer = next(a for a in accounts if a["username"] == "procurement")
    headers = await bearer(client, "procurement", officer["password"])

    providers = (await client.get("/v1/procurement/providers", headers=headers)).json()
    projects = (await client.get("/v1/procurement/projects", headers=headers)).json()
    contracts = (await client.get("/v1/procurement/contracts", headers=headers)).json()

    assert providers["total"] == 3
    assert sorted(p["grade"]["grade"] if p["grade"] else "-" for p in providers["items"]) == ["-", "2A", "4A"]
    assert [p["blacklisted_today"] is not None for p in providers["items"]].count(True) == 1
    assert sorted(p["state"] for p in projects["items"]) == ["contracted", "open"]
    (contract,) = contracts["items"]
    visits = (await client.get(f"/v1/procurement/contracts/{contract['id']}/visits", headers=headers)).json()
    assert visits["total"] == 8
    assignments = (await client.get("/v1/procurement/care-assignments", headers=headers)).json()
    assert any(a["state"] == "active" and a["contract_id"] == contract["id"] for a in assignments["items"])


async def test_a_social_organisation_signs_in_as_a_client_and_bids_as_itself(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO], tmp_path: Path
) -> None:
    """A social organisation is a third-party client of the gateway (procurement agreement
    scopes); linked to its provider record it bids on the open demo project and reads its own
    care assignments, never another provider's."""
    client, _, _ = embedded
    accounts = json.loads((tmp_path / "data" / CREDENTIALS_FILE).read_text())["accounts"]
    officer = await bearer(
        client, "procurement", next(a for a in accounts if a["username"] == "procurement")["password"]
    )
    registered = await client.post(
        "/v1/auth/clients",
        json={
            "name": "贵阳市南明区阳光社会工作服务中心",
            "kind": "third_party",
            "scopes": [
                "procurement:projects:read",
                "procurement:bids:write",
                "procurement:delivery:read",
                "procurement:delivery:write",
            ],
        },
    )
    assert registered.status_code == 201, registered.text
    client_id, secret = registered.json()["client_id"], registered.json()["client_secret"]
    providers = {
        p["name"]: p["id"] for p in (await client.get("/v1/procurement/providers", headers=officer)).json()["items"]
    }
    own, other = providers["贵阳市南明区阳光社会工作服务中心"], providers["贵阳市同心社会工作服务社"]
    linked = await client.put(f"/v1/procurement/providers/{own}/client", json={"client_id": client_id}, headers=officer)
    assert linked.status_code == 200, linked.text
    token = await client.post("/v1/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert token.status_code == 200, token.text
    org = {"Authorization": f"Bearer {token.json()['access_token']}"}

    projects = (await client.get("/v1/procurement/projects", headers=org)).json()["items"]
    (open_project,) = [p for p in projects if p["state"] == "open"]
    bid = {"price": "170000.00", "proposal": "探访关爱服务方案"}
    mine = await client.post(
        f"/v1/procurement/projects/{open_project['id']}/bids", json=bid | {"provider_id": own}, headers=org
    )
    theirs = await client.post(
        f"/v1/procurement/projects/{open_project['id']}/bids", json=bid | {"provider_id": other}, headers=org
    )
    sealed = await client.get(f"/v1/procurement/projects/{open_project['id']}/bids", headers=officer)
    assignments = (await client.get("/v1/procurement/care-assignments", headers=org)).json()

    assert mine.status_code == 201, mine.text
    assert (theirs.status_code, theirs.json()["reason"]) == (404, "provider_not_found")
    assert (sealed.status_code, sealed.json()["reason"]) == (409, "bids_sealed")
    assert assignments["total"] >= 1


async def test_demo_monitoring_has_alerts_a_disposal_a_discovery_and_figures(
    embedded: tuple[httpx.AsyncClient, FastAPI, io.StringIO],
) -> None:
    """Monitoring in the demo, as the city sees it: the departments' notices raised alerts, a
    town disposed of one, the hotline reported a household, and the month has figures."""
    client, _, _ = embedded
    alerts = (await client.get("/v1/monitoring/alerts", params={"limit": 100})).json()["items"]
    assert {"open", "closed"} <= {a["status"] for a in alerts}, alerts
    assert "discovery.reported" in {a["rule"] for a in alerts}
    discoveries = (await client.get("/v1/monitoring/discoveries")).json()
    assert discoveries["total"] >= 1
    stats = (await client.get("/v1/monitoring/statistics")).json()
    assert stats["total"]["households"] >= len(EXPECTED)
    assert sum(stats["total"]["active"].values()) >= 1
    # the 防返贫 list's households are in the register, one on the illness and unemployment lists
    assert stats["total"]["active"].get("anti_poverty") == 3
    assert any(a["rule"] == "hardship.illness_and_job_loss" and a["case_id"] is None for a in alerts)
    scores = (await client.get("/v1/monitoring/risk-scores")).json()
    assert scores["total"] >= 1
    assert any(item["reached"] for item in scores["items"])
