"""Regression tests from a security review of the gateway issuer: limits that must hold under
concurrent requests (lockout, one-time code tries, real-name binding), guessing the real name
of a resident ID, and malformed input that must not become a 500.

Concurrency is driven through the identity use cases directly with distinct client IPs, as an
attacker with many addresses would (the in-process per-IP throttles are not what stops them;
the database limits are). Runs on SQLite and, with `JIUZHU_PG_ADMIN_URL`, on PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass

import httpx
import pyotp
import pytest
from fastapi import FastAPI, Request

from gateway.identity.adapters.clients import StubRealNameVerifier
from gateway.identity.domain.errors import (
    AccountLocked,
    AlreadyBound,
    CodeExpired,
    CodeInvalid,
    InvalidCredentials,
    RealNameRejected,
    RefreshTokenInvalid,
    ResidentAlreadyBound,
)
from gateway.identity.service.admin import Actor
from gateway.testing import STRONG_PASSWORD, DepartmentKey, Harness, open_harness
from jiuzhu_platform.auth import Principal, PrincipalKind, publish_requirements, requires
from jiuzhu_platform.auth.errors import Unauthorized
from shared.types import ResidentId, resident_id_check_digit

pytestmark = pytest.mark.timeout(120)

PHONE = "13812345678"


def resident_id(serial: str = "001") -> str:
    body = f"52010219800101{serial}"
    return body + resident_id_check_digit(body)


def outcome(result: object) -> str:
    return type(result).__name__


# --------------------------------------------------------------------------- lockout under concurrency


async def test_concurrent_wrong_passwords_cannot_exceed_the_lockout_limit(database_url: str) -> None:
    """Every attempt used to read the lockout state before any failure was stored, so N
    simultaneous guesses (from N addresses) were all checked against the password, whatever
    the limit; on PostgreSQL the failure counter also lost updates. The account's ceiling
    (all addresses together) is the limit such a spread attack meets."""
    async with open_harness(database_url, login_account_max_failures=3) as gw:
        await gw.create_staff("liu", ("auditor",))
        attempts = [
            gw.identity.staff.login("liu", f"Wrong-Password-{n}", None, ip=f"198.51.100.{n}") for n in range(12)
        ]
        results = await asyncio.gather(*attempts, return_exceptions=True)
        outcomes = [outcome(r) for r in results]
        assert outcomes.count("InvalidCredentials") == 3, outcomes  # exactly the limit is checked
        assert set(outcomes) <= {"InvalidCredentials", "AccountLocked"}, outcomes
        with pytest.raises(AccountLocked):
            await gw.identity.staff.login("liu", STRONG_PASSWORD, None, ip="198.51.100.200")


async def test_failures_from_one_address_delay_that_address_not_the_owner(database_url: str) -> None:
    """Issue 15 #10: six wrong passwords from anywhere locked the account for everyone for 15
    minutes. Now failures from one address bring progressive delays for that address (30 s,
    then doubling), and the owner signs in from theirs."""
    async with open_harness(database_url, login_max_failures=3, login_attempts_per_minute=100) as gw:
        await gw.create_staff("ma", ("auditor",))
        for _ in range(2):
            with pytest.raises(InvalidCredentials):
                await gw.identity.staff.login("ma", "Wrong-Password-1", None, ip="198.51.100.1")
        await gw.identity.staff.login("ma", STRONG_PASSWORD, None, ip="198.51.100.1")  # a success resets
        for _ in range(3):
            with pytest.raises(InvalidCredentials):
                await gw.identity.staff.login("MA ", "Wrong-Password-1", None, ip="198.51.100.1")
        with pytest.raises(AccountLocked) as delayed:
            await gw.identity.staff.login(" ma", STRONG_PASSWORD, None, ip="198.51.100.1")
        assert int(delayed.value.headers["Retry-After"]) == 30
        await gw.identity.staff.login("ma", STRONG_PASSWORD, None, ip="198.51.100.2")  # the owner, elsewhere

        gw.clock.advance(seconds=31)
        with pytest.raises(InvalidCredentials):  # one more guess after the delay is checked ...
            await gw.identity.staff.login("ma", "Wrong-Password-2", None, ip="198.51.100.1")
        with pytest.raises(AccountLocked) as doubled:  # ... and doubles it
            await gw.identity.staff.login("ma", STRONG_PASSWORD, None, ip="198.51.100.1")
        assert int(doubled.value.headers["Retry-After"]) == 60
        gw.clock.advance(seconds=61)
        await gw.identity.staff.login("ma", STRONG_PASSWORD, None, ip="198.51.100.1")
        entries = await gw.audit.page(limit=100, kind="lockout")
        assert [e.outcome for e in entries] == ["locked", "locked"]


async def test_the_delays_stop_at_the_longest_lock(database_url: str) -> None:
    async with open_harness(database_url, login_max_failures=1, login_attempts_per_minute=1000) as gw:
        await gw.create_staff("qian", ("auditor",))
        waits = []
        for _ in range(8):
            with pytest.raises(InvalidCredentials):
                await gw.identity.staff.login("qian", "Wrong-Password-1", None, ip="198.51.100.9")
            with pytest.raises(AccountLocked) as locked:
                await gw.identity.staff.login("qian", "Wrong-Password-1", None, ip="198.51.100.9")
            waits.append(int(locked.value.headers["Retry-After"]))
            gw.clock.advance(seconds=waits[-1] + 1)
        assert waits == [30, 60, 120, 240, 480, 900, 900, 900]


async def test_the_account_ceiling_is_lifted_by_its_holders_second_factor(database_url: str) -> None:
    """Guessing spread over many addresses locks the account at its ceiling; a staff member
    with TOTP still signs in with password and code (which resets it), without the code not."""
    async with open_harness(database_url, login_account_max_failures=3, login_attempts_per_minute=100) as gw:
        await gw.create_staff("sun", ("auditor",))
        enrolled = await gw.identity.admin.enrol_totp("sun", actor=Actor.cli())
        totp = pyotp.parse_uri(enrolled)
        for n in range(3):
            with pytest.raises(InvalidCredentials):
                await gw.identity.staff.login("sun", "Wrong-Password-1", None, ip=f"203.0.113.{n}")
        with pytest.raises(AccountLocked):
            await gw.identity.staff.login("sun", STRONG_PASSWORD, None, ip="198.51.100.7")  # no code: locked
        await gw.identity.staff.login("sun", STRONG_PASSWORD, totp.now(), ip="198.51.100.7")
        gw.clock.advance(seconds=31)  # a new TOTP step (codes are single-use)
        with pytest.raises(InvalidCredentials):  # the ceiling was reset: a guess is checked again
            await gw.identity.staff.login("sun", "Wrong-Password-1", None, ip="203.0.113.50")


async def test_concurrent_code_guesses_cannot_exceed_the_tries_of_a_code(database_url: str) -> None:
    """The tries of a code were checked against a count read before any wrong guess was stored:
    simultaneous guesses were all compared with the code."""
    async with open_harness(database_url, login_max_failures=100, otp_max_attempts=3) as gw:
        await gw.identity.citizens.request_code(PHONE, ip="198.51.100.1")
        code = gw.outbox.latest_code(PHONE)
        assert code is not None
        wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 13)]
        results = await asyncio.gather(
            *(gw.identity.citizens.login(PHONE, guess, ip=f"198.51.100.{n}") for n, guess in enumerate(wrong)),
            return_exceptions=True,
        )
        outcomes = [outcome(r) for r in results]
        assert outcomes.count("CodeInvalid") == 3, outcomes
        assert set(outcomes) <= {"CodeInvalid", "CodeExpired"}, outcomes
        with pytest.raises(CodeExpired):
            await gw.identity.citizens.login(PHONE, code, ip="198.51.100.200")


async def test_concurrent_code_guesses_cannot_exceed_the_citizen_lockout(database_url: str) -> None:
    async with open_harness(database_url, login_account_max_failures=3, otp_max_attempts=20) as gw:
        await gw.identity.citizens.request_code(PHONE, ip="198.51.100.1")
        code = gw.outbox.latest_code(PHONE)
        assert code is not None
        wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 13)]
        results = await asyncio.gather(
            *(gw.identity.citizens.login(PHONE, guess, ip=f"198.51.100.{n}") for n, guess in enumerate(wrong)),
            return_exceptions=True,
        )
        outcomes = [outcome(r) for r in results]
        assert outcomes.count("CodeInvalid") == 3, outcomes
        assert set(outcomes) <= {"CodeInvalid", "AccountLocked"}, outcomes


async def test_sequential_code_tries_are_kept(database_url: str) -> None:
    async with open_harness(database_url, login_max_failures=100, login_attempts_per_minute=100) as gw:
        await gw.identity.citizens.request_code(PHONE, ip="198.51.100.1")
        code = gw.outbox.latest_code(PHONE)
        assert code is not None
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(4):
            with pytest.raises(CodeInvalid):
                await gw.identity.citizens.login(PHONE, wrong, ip="198.51.100.1")
        with pytest.raises(CodeInvalid):
            await gw.identity.citizens.login(PHONE, "12345x", ip="198.51.100.1")  # a malformed code is a try too
        with pytest.raises(CodeExpired):
            await gw.identity.citizens.login(PHONE, code, ip="198.51.100.1")
        gw.clock.advance(seconds=60)
        await gw.identity.citizens.request_code(PHONE, ip="198.51.100.1")
        fresh = gw.outbox.latest_code(PHONE)
        assert fresh is not None
        with pytest.raises(CodeInvalid):
            await gw.identity.citizens.login(PHONE, f"{(int(fresh) + 1) % 1_000_000:06d}", ip="198.51.100.1")
        pair = await gw.identity.citizens.login(PHONE, fresh, ip="198.51.100.1")
        assert pair.access_token


# --------------------------------------------------------------------------- real-name binding


@dataclass
class OnlyName:
    """A real-name service that knows one person."""

    name: str
    resident_id: str

    async def verify(self, name: str, resident: ResidentId) -> bool:
        return name == self.name and resident.value == self.resident_id


async def unbound_citizen(gw: Harness, phone: str) -> Principal:
    pair = await gw.citizen_tokens(phone)
    principal: Principal = await gw.runtime.token_verifier.verify(pair["access_token"])
    assert principal.kind is PrincipalKind.CITIZEN
    assert principal.household_id is None
    return principal


async def test_the_name_of_a_resident_id_cannot_be_guessed_without_limit(database_url: str) -> None:
    """A signed-in, unbound citizen could try names against a known resident ID as often as
    they liked; the first match bound them to that person's household (and its records)."""
    async with open_harness(database_url, login_max_failures=5) as gw:
        victim = resident_id()
        gw.identity.citizens.real_name = OnlyName("张三", victim)
        mallory = await unbound_citizen(gw, PHONE)
        outcomes = []
        for guess in ["李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十", "郑一"]:
            try:
                await gw.identity.citizens.bind(mallory, guess, ResidentId(victim))
                outcomes.append("bound")
            except (RealNameRejected, AccountLocked) as refused:
                outcomes.append(outcome(refused))
        assert outcomes.count("RealNameRejected") <= 5, outcomes
        assert outcomes[-1] == "AccountLocked", outcomes
        with pytest.raises(AccountLocked):  # even the right name, until the lock runs out
            await gw.identity.citizens.bind(mallory, "张三", ResidentId(victim))
        # Another account guessing the same resident ID is held back too.
        other = await unbound_citizen(gw, "13987654321")
        with pytest.raises(AccountLocked):
            await gw.identity.citizens.bind(other, "张三", ResidentId(victim))
        gw.clock.advance(minutes=15)
        pair = await gw.identity.citizens.bind(other, "张三", ResidentId(victim))
        assert pair.access_token


async def test_a_real_name_success_resets_the_binding_tries(database_url: str) -> None:
    async with open_harness(database_url, login_max_failures=3) as gw:
        gw.identity.citizens.real_name = OnlyName("张三", resident_id())
        citizen = await unbound_citizen(gw, PHONE)
        for _ in range(2):
            with pytest.raises(RealNameRejected):
                await gw.identity.citizens.bind(citizen, "李四", ResidentId(resident_id()))
        await gw.identity.citizens.bind(citizen, "张三", ResidentId(resident_id()))
        other = await unbound_citizen(gw, "13987654321")
        with pytest.raises(RealNameRejected):
            await gw.identity.citizens.bind(other, "李四", ResidentId(resident_id()))
        # not locked (the success reset the tries): refused only because the ID is taken
        with pytest.raises(ResidentAlreadyBound):
            await gw.identity.citizens.bind(other, "张三", ResidentId(resident_id()))


async def test_concurrent_bindings_of_one_account_give_one_household(database_url: str) -> None:
    """Two simultaneous bindings of one account to two resident IDs could both succeed (on
    PostgreSQL): the account then held tokens for two households."""
    async with open_harness(database_url) as gw:
        citizen = await unbound_citizen(gw, PHONE)
        results = await asyncio.gather(
            *(gw.identity.citizens.bind(citizen, "张三", ResidentId(resident_id(f"00{n}"))) for n in range(1, 6)),
            return_exceptions=True,
        )
        outcomes = [outcome(r) for r in results]
        assert outcomes.count("TokenPair") == 1, outcomes
        assert set(outcomes) == {"TokenPair", "AlreadyBound"}, outcomes
        with pytest.raises(AlreadyBound):
            await gw.identity.citizens.bind(citizen, "张三", ResidentId(resident_id("009")))


async def test_concurrent_bindings_of_one_resident_id_give_one_account(database_url: str) -> None:
    """One resident ID, one phone account at a time: two accounts binding the same person at
    once (the unique index decides on PostgreSQL) give one binding and one clear refusal."""
    async with open_harness(database_url) as gw:
        citizens = [await unbound_citizen(gw, phone) for phone in ("13811110001", "13811110002", "13811110003")]
        results = await asyncio.gather(
            *(gw.identity.citizens.bind(c, "张三", ResidentId(resident_id("007"))) for c in citizens),
            return_exceptions=True,
        )
        outcomes = [outcome(r) for r in results]
        assert outcomes.count("TokenPair") == 1, outcomes
        assert set(outcomes) == {"TokenPair", "ResidentAlreadyBound"}, outcomes


# --------------------------------------------------------------------------- malformed input


async def test_a_nul_in_a_username_or_client_id_is_refused_not_a_500(database_url: str) -> None:
    async with open_harness(database_url) as gw:
        await gw.create_staff("admin", ("city_admin",))
        login = await gw.client.post("/v1/auth/login", json={"username": "admin\u0000", "password": "x"})
        assert login.status_code == 401, login.text
        assert login.json()["reason"] == "invalid_credentials"
        form = {"grant_type": "client_credentials", "client_id": "a\u0000b", "client_secret": "x"}
        posted = await gw.client.post("/v1/auth/token", data=form)
        assert posted.status_code == 401, posted.text
        assert posted.json()["error"] == "invalid_client"
        basic = base64.b64encode(b"a\x00b:secret").decode()
        token = await gw.client.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert token.status_code == 401, token.text
        totp = await gw.client.post(
            "/v1/auth/users/a%00b/totp",
            headers={"Authorization": f"Bearer {(await gw.staff_tokens('admin'))['access_token']}"},
        )
        assert totp.status_code == 404, totp.text


async def test_nothing_of_a_failed_sign_in_is_unreadable_in_the_audit_trail(database_url: str) -> None:
    async with open_harness(database_url) as gw:
        response = await gw.client.post("/v1/auth/login", json={"username": "x\u0001\u007f", "password": "x"})
        assert response.status_code == 401, response.text
        actors = [e.actor for e in await gw.audit.page(limit=10, kind="authentication")]
        assert actors
        assert all(a is None or a.isprintable() for a in actors), actors


async def test_an_unknown_client_costs_a_secret_check_like_a_known_one(database_url: str) -> None:
    """An unknown client id was answered without any argon2 check, a known one after one: the
    time told which client ids exist."""
    async with open_harness(database_url) as gw:
        client = await gw.register_client("third_party", ("eligibility:policies:read",))
        hasher = gw.identity.context.hasher
        checked: list[str | None] = []
        verify = hasher.verify

        async def counting(hashed: str | None, secret: str) -> bool:
            checked.append(hashed)
            return await verify(hashed, secret)

        hasher.verify = counting  # type: ignore[method-assign]
        for client_id in (client.client_id, "tp_000000000000000000000000"):
            form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"}
            response = await gw.client.post("/v1/auth/token", data=form)
            assert response.status_code == 401, response.text
        assert len(checked) == 2, checked


async def test_refresh_of_one_token_twice_at_once_succeeds_at_most_once(database_url: str) -> None:
    async with open_harness(database_url) as gw:
        await gw.create_staff("zhou", ("payment_officer",), region="520102")
        first = await gw.staff_tokens("zhou")
        results = await asyncio.gather(
            *(gw.identity.sessions.refresh(first["refresh_token"]) for _ in range(6)), return_exceptions=True
        )
        outcomes = [outcome(r) for r in results]
        assert outcomes.count("TokenPair") == 1, outcomes
        assert set(outcomes) <= {"TokenPair", "RefreshTokenReused", "RefreshTokenInvalid"}, outcomes
        for result in results:
            if not isinstance(result, BaseException):
                # The family is revoked by the reuse: the winner's new token is dead too.
                with pytest.raises(RefreshTokenInvalid):
                    await gw.identity.sessions.refresh(result.refresh_token)


async def test_a_nonce_is_accepted_once_under_concurrency(database_url: str) -> None:
    upstream = FastAPI()
    seen: list[bytes] = []

    @upstream.post("/v1/svc/reports", dependencies=[requires("monitoring:households:read")])
    async def push(request: Request) -> dict[str, int]:
        seen.append(await request.body())
        return {"ok": 1}

    publish_requirements(upstream)
    async with open_harness(database_url, upstreams={"svc": upstream}) as gw:
        upstream.state.token_verifier = gw.runtime.token_verifier
        key = DepartmentKey()
        client = await gw.register_client("department", ("monitoring:households:read",), public_key=key.public_text)
        headers = {"Authorization": f"Bearer {await gw.client_token(client)}"}
        signed = key.sign_headers("POST", "/v1/svc/reports", b"{}")
        responses: list[httpx.Response] = await asyncio.gather(
            *(gw.client.post("/v1/svc/reports", content=b"{}", headers={**headers, **signed}) for _ in range(8))
        )
        assert sorted(r.status_code for r in responses) == [200] + [401] * 7
        assert len(seen) == 1


async def test_the_dev_real_name_stub_refuses_a_name_it_was_not_seeded_with() -> None:
    """Issue 15 #2: the stub answers like the real service for the IDs it knows: the seeded
    name passes, another name does not (so a test can tell a wrong name from a right one)."""
    stub = StubRealNameVerifier(names={resident_id(): "张三"}, rejected={resident_id("002")})
    assert await stub.verify("张三", ResidentId(resident_id()))
    assert await stub.verify(" 张三 ", ResidentId(resident_id()))
    assert not await stub.verify("李四", ResidentId(resident_id()))
    assert not await stub.verify("张三", ResidentId(resident_id("002")))
    assert await stub.verify("王五", ResidentId(resident_id("003")))  # unseeded: any name
    assert not await stub.verify("  ", ResidentId(resident_id("003")))


async def test_a_binding_released_by_staff_lets_the_resident_bind_again(database_url: str) -> None:
    """Issue 15 #2: one resident ID binds one account at a time, so a re-bind (a new phone, an
    ID bound by someone else) needs the old binding ended: a city administrator releases it, with
    a reason code, audited; the old account's sign-in ends at once and it is left unbound."""
    async with open_harness(database_url) as gw:
        person = ResidentId(resident_id("009"))
        old = await unbound_citizen(gw, PHONE)
        first = await gw.identity.citizens.bind(old, "张三", person)
        new = await unbound_citizen(gw, "13987654321")
        with pytest.raises(ResidentAlreadyBound):
            await gw.identity.citizens.bind(new, "张三", person)

        admin = await gw.staff_headers("city.admin", ("city_admin",))
        release = "/v1/auth/citizen-bindings/release"
        body = {"resident_id": person.value, "reason": "phone_changed"}
        caseworker = await gw.staff_headers("town.worker", ("town_caseworker",), region="520102001000")
        assert (await gw.client.post(release, json=body, headers=caseworker)).status_code == 403
        assert (
            await gw.client.post(release, json={**body, "reason": "张三换了手机"}, headers=admin)
        ).status_code == 422
        released = await gw.client.post(release, json=body, headers=admin)
        assert released.status_code == 204, released.text
        again = await gw.client.post(release, json=body, headers=admin)
        assert (again.status_code, again.json()["reason"]) == (404, "binding_not_found")

        with pytest.raises(RefreshTokenInvalid):  # the old account's sign-in has ended
            await gw.identity.sessions.refresh(first.refresh_token)
        with pytest.raises(Unauthorized):  # and its access token at once
            await gw.runtime.token_verifier.verify(first.access_token)
        pair = await gw.identity.citizens.bind(new, "张三", person)
        assert pair.access_token
        [entry] = [e for e in await gw.audit.page(limit=50) if e.outcome == "citizen_binding_released"]
        assert json.loads(entry.details) == {"reason": "phone_changed"}
