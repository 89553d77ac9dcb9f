"""The exchange's pure rules: callback URLs, the signature, the backoff, DCI statuses and what a
subscriber is told."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest

from verification.exchange.domain import rules
from verification.exchange.domain.model import AnswerStatus, RecipientRecord, RecipientStatus


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://ybj.example.gov.cn/dci/on-search", True),
        ("http://127.0.0.1:8080/cb?x=1", True),
        ("ftp://example.com/x", False),
        ("https://u:p@example.com/", False),
        ("https://example.com/#frag", False),
        ("https://example.com/a\tb", False),
        ("https://example.com:0/", False),
        ("https://[::1/", False),
        ("https://" + "a" * 2000, False),
        ("", False),
    ],
)
def test_callback_uris(uri: str, ok: bool) -> None:
    assert (rules.callback_problem(uri) is None) is ok


def test_the_signature_is_an_hmac_of_the_exact_body() -> None:
    signature = rules.sign("s3cret", b'{"a":1}')

    assert signature.startswith("sha256=")
    assert len(signature) == len("sha256=") + 64
    assert rules.signature_valid("s3cret", b'{"a":1}', signature)
    assert not rules.signature_valid("s3cret", b'{"a": 1}', signature)
    assert not rules.signature_valid("other", b'{"a":1}', signature)


def test_backoff_doubles_up_to_the_cap() -> None:
    waits = [rules.backoff(n, base_seconds=5, cap_seconds=60) for n in range(1, 7)]
    assert waits == [timedelta(seconds=s) for s in (5, 10, 20, 40, 60, 60)]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([AnswerStatus.SUCCEEDED], AnswerStatus.SUCCEEDED),
        ([AnswerStatus.REJECTED, AnswerStatus.REJECTED], AnswerStatus.REJECTED),
        ([AnswerStatus.SUCCEEDED, AnswerStatus.REJECTED], AnswerStatus.PARTIAL),
    ],
)
def test_message_status(statuses: list[AnswerStatus], expected: AnswerStatus) -> None:
    assert rules.message_status(statuses) is expected


def test_only_visible_changes_are_told() -> None:
    record = RecipientRecord(
        person_ref="pr1_x",
        source_id=uuid4(),
        household_id=uuid4(),
        programme="dibao",
        status=RecipientStatus.ACTIVE,
        masked_id="5201**********301X",
        since=date(2026, 11, 1),
        until=None,
        region_code="520102",
        town_code=None,
    )
    before = {rules.key_of(record): record}

    assert rules.differences({}, [record]) == [record]
    assert rules.differences(before, [record]) == []
    assert rules.differences(before, [replace(record, town_code="520102001000")]) == []  # not shown
    ended = replace(record, status=RecipientStatus.TERMINATED, until=date(2027, 3, 31))
    assert rules.differences(before, [ended]) == [ended]


@pytest.mark.parametrize(
    ("query_type", "id_type", "reason"),
    [
        ("idtype-value", "resident_id", None),
        ("expression", "resident_id", "unsupported_query_type"),
        ("idtype-value", "passport", "unsupported_id_type"),
    ],
)
def test_request_problems(query_type: str, id_type: str, reason: str | None) -> None:
    assert rules.request_problem(query_type, id_type) == reason


def test_the_openapi_documents_the_envelope_examples_and_signature() -> None:
    from verification.main import DEFINITION

    spec = DEFINITION.create_app().openapi()
    search = spec["paths"]["/v1/verification/exchange/search"]["post"]
    subscribe = spec["paths"]["/v1/verification/exchange/subscribe"]["post"]

    assert set(search["requestBody"]["content"]["application/json"]["examples"]) == {"sync", "async"}
    assert "subscribe" in subscribe["requestBody"]["content"]["application/json"]["examples"]
    for text in ("X-Jiuzhu-Signature", "HMAC-SHA256", "on-search", "on-notify", "pdng", "rjct", "part"):
        assert text in search["description"], text
    assert {"202", "403", "409", "422"} <= set(search["responses"])


def test_the_receiver_example_accepts_what_the_exchange_signs() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "exchange_callback_receiver.py"
    spec = importlib.util.spec_from_file_location("exchange_callback_receiver", path)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    body = b'{"header":{"message_id":"m"},"message":{}}'

    assert example.signature_valid("k", body, rules.sign("k", body))
    assert not example.signature_valid("k", body, rules.sign("other", body))
    assert not example.signature_valid("k", body, None)
