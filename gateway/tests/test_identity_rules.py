"""The pure identity rules and the route-requirement table: no database, no HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pyotp
import pytest

from gateway.identity.domain import rules
from gateway.identity.domain.errors import InvalidInput, SignatureRefused
from gateway.identity.domain.model import LockoutState, OtpCode, RefreshRecord, SigningKeyRecord, SubjectKind
from gateway.requirements import RouteTable
from jiuzhu_platform.auth import Requirement

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class TestPasswordPolicy:
    @pytest.mark.parametrize(
        ("password", "reason"),
        [
            ("Short1!", "password_length"),
            ("alllowercaseletters", "password_classes"),
            ("lowercase123456", "password_classes"),
            ("Aa1Aa1Aa1Aa1", "password_guessable"),  # three distinct characters
            ("Zhangsan-2026-ok", "password_guessable"),
            ("x" * 129, "password_length"),
        ],
    )
    def test_weak_passwords_are_refused(self, password: str, reason: str) -> None:
        with pytest.raises(InvalidInput) as refused:
            rules.check_password(password, username="zhangsan")
        assert refused.value.reason == reason
        assert refused.value.status_code == 422

    def test_a_good_password_passes(self) -> None:
        rules.check_password("Guiyang-Relief-2026", username="zhangsan")
        rules.check_password("救助平台-密码-2026a", username="zhangsan")  # non-ASCII counts as "other"

    def test_usernames_are_canonical_lower_case(self) -> None:
        assert rules.check_username("  Wang.Li ") == "wang.li"
        with pytest.raises(InvalidInput):
            rules.check_username("1abc")
        with pytest.raises(InvalidInput):
            rules.check_username("a b")


class TestRolesAndRegions:
    def test_staff_roles_are_the_staff_keys_of_role_scopes(self) -> None:
        assert {
            "town_caseworker",
            "county_approver",
            "city_admin",
            "auditor",
            "procurement_officer",
            "payment_officer",
        } == rules.STAFF_ROLES

    def test_unknown_or_non_staff_roles_are_refused(self) -> None:
        for roles in ([], ["citizen"], ["department"], ["superuser"]):
            with pytest.raises(InvalidInput) as refused:
                rules.check_staff_roles(roles, "520102")
            assert refused.value.reason == "roles_invalid"

    def test_a_regional_role_needs_a_region(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            rules.check_staff_roles(["town_caseworker"], None)
        assert refused.value.reason == "region_required"
        assert rules.check_staff_roles(["city_admin"], None) == ("city_admin",)
        assert rules.check_staff_roles(["county_approver", "auditor", "auditor"], None) == (
            "auditor",
            "county_approver",
        )

    def test_regions_are_guiyang_counties_or_their_towns(self) -> None:
        assert rules.check_region("520102") == "520102"
        assert rules.check_region("520102001000") == "520102001000"
        for bad in ("110101", "520102000000", "5201", "abcdef"):
            with pytest.raises(InvalidInput):
                rules.check_region(bad)


class TestLockout:
    policy = rules.LockoutPolicy(max_failures=3, lock_for=timedelta(minutes=15))

    def test_attempts_beyond_the_limit_are_refused_and_the_lock_runs_out(self) -> None:
        # the service counts each attempt before checking it (`reserve_attempt`)
        for counted in range(1, 4):
            assert not rules.over_limit(LockoutState(failures=counted), self.policy)
        assert rules.over_limit(LockoutState(failures=4), self.policy)
        locked = LockoutState(failures=0, locked_until=NOW + self.policy.lock_for)
        assert rules.locked_for(locked, NOW) == timedelta(minutes=15)
        assert rules.locked_for(locked, NOW + timedelta(minutes=14)) == timedelta(minutes=1)
        assert rules.locked_for(locked, NOW + timedelta(minutes=15)) is None

    def test_success_resets(self) -> None:
        assert rules.after_success() == LockoutState()


class TestOneTimeCodes:
    policy = rules.OtpPolicy(ttl=timedelta(minutes=5), max_attempts=5, resend_interval=timedelta(seconds=60))

    def code(self, **changes: object) -> OtpCode:
        values: dict[str, object] = {
            "code_id": uuid.uuid4(),
            "code_hash": "h",
            "created_at": NOW,
            "expires_at": NOW + timedelta(minutes=5),
        }
        values.update(changes)
        return OtpCode(**values)  # type: ignore[arg-type]

    def test_codes_have_six_digits_with_leading_zeros(self) -> None:
        assert rules.new_code(lambda n: 42) == "000042"
        assert rules.new_code(lambda n: n - 1) == "999999"
        assert rules.is_code_format("012345")
        assert not rules.is_code_format("12345")
        assert not rules.is_code_format("١٢٣٤٥٦")  # non-ASCII digits

    def test_usable_until_expiry_use_or_too_many_tries(self) -> None:
        assert rules.code_state(self.code(), NOW, self.policy) is rules.CodeState.USABLE
        assert rules.code_state(self.code(), NOW + timedelta(minutes=5), self.policy) is rules.CodeState.SPENT
        assert rules.code_state(self.code(attempts=5), NOW, self.policy) is rules.CodeState.SPENT
        assert rules.code_state(self.code(consumed_at=NOW), NOW, self.policy) is rules.CodeState.SPENT
        assert rules.code_state(None, NOW, self.policy) is rules.CodeState.SPENT

    def test_resend_interval(self) -> None:
        assert rules.may_send_code(None, NOW, self.policy)
        assert not rules.may_send_code(NOW - timedelta(seconds=59), NOW, self.policy)
        assert rules.may_send_code(NOW - timedelta(seconds=60), NOW, self.policy)


class TestTotp:
    def test_current_and_adjacent_steps_match_once(self) -> None:
        secret = pyotp.random_base32()
        totp = pyotp.TOTP(secret)
        step = int(NOW.timestamp()) // 30
        code = totp.generate_otp(step)
        assert rules.totp_step(secret, code, NOW, last_step=None) == step
        assert rules.totp_step(secret, totp.generate_otp(step - 1), NOW, last_step=None) == step - 1
        assert rules.totp_step(secret, code, NOW, last_step=step) is None  # replay refused
        assert rules.totp_step(secret, totp.generate_otp(step - 3), NOW, last_step=None) is None
        assert rules.totp_step(secret, "abc", NOW, last_step=None) is None


class TestRefreshDecision:
    def record(self, **changes: object) -> RefreshRecord:
        values: dict[str, object] = {
            "token_id": uuid.uuid4(),
            "family_id": uuid.uuid4(),
            "subject_kind": SubjectKind.STAFF,
            "subject_id": "u",
            "issued_at": NOW,
            "expires_at": NOW + timedelta(hours=8),
        }
        values.update(changes)
        return RefreshRecord(**values)  # type: ignore[arg-type]

    def test_decisions(self) -> None:
        assert rules.refresh_decision(self.record(), NOW) is rules.RefreshDecision.ROTATE
        assert rules.refresh_decision(self.record(consumed_at=NOW), NOW) is rules.RefreshDecision.REUSED
        assert rules.refresh_decision(self.record(revoked_at=NOW), NOW) is rules.RefreshDecision.INVALID
        assert rules.refresh_decision(self.record(), NOW + timedelta(hours=8)) is rules.RefreshDecision.INVALID


class TestClientScopes:
    def test_only_non_privileged_platform_scopes_are_grantable(self) -> None:
        for kind in ("department", "third_party"):
            assert rules.check_client_scopes(["monitoring:households:read"], kind) == ("monitoring:households:read",)
        for bad in (
            ["audit:read"],
            ["pii:read_full"],
            ["auth:users:write"],
            ["made:up:scope"],
            [],
            ["eligibility:applications:approve"],
        ):
            for kind in ("department", "third_party"):
                with pytest.raises(InvalidInput):
                    rules.check_client_scopes(bad, kind)

    @pytest.mark.parametrize(
        ("kind", "scope", "allowed"),
        [
            # a department writes only what its data-sharing agreement covers
            ("department", "verification:notices:push", True),
            ("department", "verification:exchange:search", True),
            ("department", "eligibility:applications:write", False),
            ("department", "payment:payroll:write", False),
            ("department", "procurement:bids:write", False),
            ("department", "eligibility:applications:read", True),
            # a third party never writes to eligibility or payment (issue 15 #4)
            ("third_party", "eligibility:applications:write", False),
            ("third_party", "eligibility:procedure:act", False),
            ("third_party", "payment:bankfiles:write", True),  # a bank's 回盘, its one write
            ("third_party", "payment:payroll:write", False),
            ("third_party", "payment:accounts:write", False),
            ("third_party", "payment:payroll:read", True),
            ("third_party", "procurement:bids:write", True),
            ("third_party", "procurement:delivery:write", True),
        ],
    )
    def test_what_each_kind_of_client_may_write(self, kind: str, scope: str, allowed: bool) -> None:
        if allowed:
            assert rules.check_client_scopes([scope], kind) == (scope,)
        else:
            with pytest.raises(InvalidInput, match=scope):
                rules.check_client_scopes([scope], kind)


class TestSeparationOfDuties:
    @pytest.mark.parametrize(
        "roles",
        [
            ("town_caseworker", "county_approver"),
            ("city_admin", "auditor"),
            ("county_approver", "payment_officer"),
            ("procurement_officer", "payment_officer"),
            ("town_caseworker", "county_approver", "procurement_officer"),
        ],
    )
    def test_conflicting_roles_are_refused_in_one_account(self, roles: tuple[str, ...]) -> None:
        with pytest.raises(InvalidInput) as refused:
            rules.check_staff_roles(roles, "520102")
        assert refused.value.reason == "roles_conflict"

    @pytest.mark.parametrize(
        "roles",
        [("town_caseworker", "procurement_officer"), ("county_approver", "procurement_officer"), ("payment_officer",)],
    )
    def test_compatible_roles_are_accepted(self, roles: tuple[str, ...]) -> None:
        assert rules.check_staff_roles(roles, "520102") == tuple(sorted(roles))

    def test_requested_scopes_must_be_a_subset(self) -> None:
        granted = frozenset({"a:b:c", "d:e:f"})
        assert rules.requested_scopes(None, granted) == granted
        assert rules.requested_scopes("  ", granted) == granted
        assert rules.requested_scopes("a:b:c", granted) == {"a:b:c"}
        assert rules.requested_scopes("a:b:c x:y:z", granted) is None


class TestRequestSignatures:
    def test_canonical_string(self) -> None:
        message = rules.canonical_request(1700000000, "n" * 16, "post", "/v1/x/y?a=1", b"{}")
        assert message == (
            b"1700000000\nnnnnnnnnnnnnnnnn\nPOST\n/v1/x/y?a=1\n"
            b"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        )

    def test_headers_missing_malformed_or_stale(self) -> None:
        good = {"timestamp": str(int(NOW.timestamp())), "nonce": "abcdefghijklmnop", "signature": "A" * 86}
        parsed = rules.parse_signature_headers(**good, now=NOW, window_seconds=300)
        assert parsed.nonce == "abcdefghijklmnop"
        for name, value, reason in [
            ("timestamp", None, "signature_missing"),
            ("nonce", "short", "signature_missing"),
            ("nonce", "bad nonce with spaces!", "signature_missing"),
            ("signature", "!!", "signature_missing"),
            ("timestamp", str(int(NOW.timestamp()) - 301), "signature_expired"),
            ("timestamp", str(int(NOW.timestamp()) + 301), "signature_expired"),
        ]:
            with pytest.raises(SignatureRefused) as refused:
                rules.parse_signature_headers(**{**good, name: value}, now=NOW, window_seconds=300)
            assert refused.value.reason == reason

    def test_only_department_pushes_need_a_signature(self) -> None:
        assert rules.needs_signature("department", "POST")
        assert rules.needs_signature("department", "delete")
        assert not rules.needs_signature("department", "GET")
        assert not rules.needs_signature("third_party", "POST")
        assert not rules.needs_signature("staff", "POST")


class TestSigningKeyPublication:
    def test_a_replaced_key_stays_published_for_the_token_lifetime(self) -> None:
        until = rules.publish_until(NOW, access_ttl_seconds=300, margin_seconds=60)
        old = SigningKeyRecord("old", "ES256", {}, NOW - timedelta(days=1), "pem", retired_at=NOW, publish_until=until)
        new = SigningKeyRecord("new", "ES256", {}, NOW, "pem")
        assert rules.active_key([old, new]) == new
        assert rules.is_published(old, NOW + timedelta(seconds=359))
        assert not rules.is_published(old, NOW + timedelta(seconds=360))
        assert rules.is_published(new, NOW + timedelta(days=365))


class TestRouteTable:
    document: ClassVar[dict[str, Any]] = {
        "paths": {
            "/v1/e/applications": {
                "get": {"x-jiuzhu-scopes": ["e:applications:read"], "x-jiuzhu-public": False},
                "post": {"x-jiuzhu-scopes": ["e:applications:write"], "x-jiuzhu-public": False},
            },
            "/v1/e/applications/{application_id}": {
                "get": {"x-jiuzhu-scopes": ["e:applications:read"], "x-jiuzhu-public": False},
            },
            "/v1/e/applications/search": {
                "get": {"x-jiuzhu-scopes": ["e:search:run"], "x-jiuzhu-public": False},
            },
            "/v1/e/policies": {"get": {"x-jiuzhu-scopes": [], "x-jiuzhu-public": True}},
            "/v1/e/undeclared": {"get": {}},
        }
    }

    def test_matches_method_and_template(self) -> None:
        table = RouteTable.from_openapi(self.document)
        found = table.match("GET", "/v1/e/applications/42")
        assert found.template == "/v1/e/applications/{application_id}"
        assert found.requirement == Requirement(frozenset({"e:applications:read"}))
        assert table.match("POST", "/v1/e/applications").requirement == Requirement(frozenset({"e:applications:write"}))
        assert table.match("HEAD", "/v1/e/policies").requirement == Requirement(frozenset(), public=True)

    def test_literal_segments_win(self) -> None:
        found = RouteTable.from_openapi(self.document).match("GET", "/v1/e/applications/search")
        assert found.template == "/v1/e/applications/search"
        assert found.requirement == Requirement(frozenset({"e:search:run"}))

    def test_no_match_and_undeclared(self) -> None:
        table = RouteTable.from_openapi(self.document)
        assert table.match("DELETE", "/v1/e/applications/42").template is None  # method not offered
        assert table.match("GET", "/v1/e/applications/42/extra").template is None  # one segment per param
        assert table.match("GET", "/v1/e/undeclared").requirement is None
