"""Pure procurement rules: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from procurement.domain import rules
from procurement.domain.commands import RegisterProvider
from shared.events import ProviderRegistered, parse_event
from shared.types import credit_code_check_char, org_code_check_char, validate_credit_code

NOW = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)


def make_credit_code(prefix: str, division: str = "520102", org_body: str = "12345678") -> str:
    """A code whose embedded organisation code and final check character are both right."""
    body = prefix + division + org_body + org_code_check_char(org_body)
    code = body + credit_code_check_char(body)
    assert validate_credit_code(code).code == code  # a valid code, so only the prefix varies
    return code


class TestRegisterProvider:
    def test_provider_and_event_carry_the_given_facts(self) -> None:
        provider, event = rules.register_provider(
            RegisterProvider("91512081MA62K0260E", "某某服务有限公司", "corr-1"), now=NOW
        )

        assert provider.credit_code == "91512081MA62K0260E"
        assert provider.name == "某某服务有限公司"
        assert provider.registered_at == NOW
        assert provider.correlation_id == "corr-1"
        assert isinstance(event, ProviderRegistered)
        assert event.type == "procurement.provider_registered.v1"
        assert event.subject == str(provider.id)
        assert event.correlation_id == "corr-1"
        assert event.time == NOW
        assert event.data.provider_id == provider.id
        assert event.data.credit_code == "91512081MA62K0260E"
        assert event.data.name == "某某服务有限公司"

    def test_each_registration_gets_its_own_id(self) -> None:
        first, _ = rules.register_provider(RegisterProvider("91110000600037341L", "a", "c"), now=NOW)
        second, _ = rules.register_provider(RegisterProvider("91110000600037341L", "a", "c"), now=NOW)

        assert first.id != second.id

    def test_event_survives_a_round_trip_through_bytes(self) -> None:
        _, event = rules.register_provider(RegisterProvider("91350200MA2YJ1XR9G", "a", "c"), now=NOW)

        assert parse_event(event.to_json_bytes()) == event

    def test_code_that_fails_its_check_cannot_be_announced(self) -> None:
        with pytest.raises(ValidationError, match="credit_code_check_char"):
            rules.register_provider(RegisterProvider("91350203M0001QAY9B", "a", "c"), now=NOW)


class TestRegistrationCategory:
    @pytest.mark.parametrize(
        ("credit_code", "category"),
        [
            pytest.param("91512081MA62K0260E", "91", id="enterprise-vector-1"),
            pytest.param("91110000600037341L", "91", id="enterprise-vector-2"),
            pytest.param("91350200MA2YJ1XR9G", "91", id="enterprise-vector-3"),
            pytest.param(make_credit_code("11"), "11", id="government-organ"),
            pytest.param(make_credit_code("12"), "12", id="public-institution"),
            pytest.param(make_credit_code("51"), "51", id="social-association"),
            pytest.param(make_credit_code("52"), "52", id="social-service-organisation"),
            pytest.param(make_credit_code("53"), "53", id="foundation"),
            pytest.param(make_credit_code("92"), "92", id="individual-business"),
            pytest.param(make_credit_code("93"), "93", id="cooperative"),
            pytest.param(make_credit_code("Y1"), "Y1", id="other-y1"),
        ],
    )
    def test_category_is_the_code_prefix_from_the_table(self, credit_code: str, category: str) -> None:
        provider, _ = rules.register_provider(RegisterProvider(credit_code, "a", "c"), now=NOW)

        assert provider.registration_category == category

    @pytest.mark.parametrize("prefix", ["A1", "99", "14"])
    def test_prefix_not_in_the_table_leaves_the_category_empty(self, prefix: str) -> None:
        provider, _ = rules.register_provider(RegisterProvider(make_credit_code(prefix), "a", "c"), now=NOW)

        assert provider.registration_category is None
