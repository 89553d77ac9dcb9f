"""The log filter that masks resident IDs, phone and bank card numbers (jiuzhu_platform.redaction)."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiuzhu_platform.logging import json_handler
from jiuzhu_platform.redaction import RedactionFilter, redact, redact_value

RID = "11010519491231002X"
RID_MASKED = "1101**********002X"
LEGACY_RID = "110105491231002"
PHONE = "13812345678"
PHONE_MASKED = "138****5678"
CARD = "6222021234567890123"
CARD_MASKED = "6222***********0123"
RAW = (RID, RID.lower(), LEGACY_RID, PHONE, CARD)


class Captured:
    """A logger whose one handler writes to a StringIO through the redaction filter."""

    def __init__(self, logger: logging.Logger, stream: io.StringIO) -> None:
        self.logger = logger
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def assert_clean(self) -> None:
        for raw in RAW:
            assert raw not in self.text, raw


def make_logger(name: str, handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"test.redaction.{name}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


@pytest.fixture
def captured(request: pytest.FixtureRequest) -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s | extra=%(extra_repr)s"))
    handler.addFilter(RedactionFilter())

    class ExtraRepr(logging.Filter):
        """Renders the record's custom attributes, as a JSON formatter would."""

        def filter(self, record: logging.LogRecord) -> bool:
            standard = logging.LogRecord("", 0, "", 0, "", None, None).__dict__
            record.extra_repr = {k: v for k, v in record.__dict__.items() if k not in standard and k != "extra_repr"}
            return True

    handler.addFilter(ExtraRepr())
    logger = make_logger(request.node.name, handler)
    yield Captured(logger, stream)
    logger.handlers = []


class TestRedact:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (f"applicant {RID} submitted", f"applicant {RID_MASKED} submitted"),
            (f"id={RID.lower()}", f"id={RID_MASKED}"),
            ("id=110105 19491231 002X", f"id={RID_MASKED}"),
            ("id 110105-19491231-002X.", f"id {RID_MASKED}."),
            ("id 110105194912310021", "id 1101**********0021"),
            (f"legacy {LEGACY_RID}", "legacy 1101*******1002"),
            (f"call {PHONE} now", f"call {PHONE_MASKED} now"),
            (f"call +86{PHONE}", f"call +86{PHONE_MASKED}"),
            (f"call +86 {PHONE}", f"call +86 {PHONE_MASKED}"),
            (f"call 86{PHONE}", f"call 86{PHONE_MASKED}"),
            (f"call 0086-{PHONE}", f"call 0086-{PHONE_MASKED}"),
            ("call 138 1234 5678", f"call {PHONE_MASKED}"),
            ("call 138-1234-5678", f"call {PHONE_MASKED}"),
            (f"手机号{PHONE}已登记", f"手机号{PHONE_MASKED}已登记"),
            ("手机号１３８１２３４５６７８", f"手机号{PHONE_MASKED}"),
            (f"phones {PHONE},13912345678", f"phones {PHONE_MASKED},139****5678"),
            (f'{{"phone": "{PHONE}"}}', f'{{"phone": "{PHONE_MASKED}"}}'),
            (
                f"/v1/persons/{RID}/contacts?phone={PHONE}&x=1",
                f"/v1/persons/{RID_MASKED}/contacts?phone={PHONE_MASKED}&x=1",
            ),
            (f"card {CARD}", f"card {CARD_MASKED}"),
            ("card 6222021234567890", "card 6222********7890"),
            ("card 6222 0212 3456 7890 123", f"card {CARD_MASKED}"),
            ("card 6222-0212-3456-7890", "card 6222********7890"),
            (f"tel{PHONE}", f"tel{PHONE_MASKED}"),
            (f"a short hex id: abc{PHONE}", f"a short hex id: abc{PHONE_MASKED}"),
        ],
    )
    def test_masks(self, text: str, expected: str) -> None:
        assert redact(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "request 550e8400-e29b-41d4-a716-446655440000",
            "request 550e8400-e29b-41d4-a716-a13812345678",  # a phone-like run inside a UUID
            "request ab13812345678cd0123456789abcdef0",  # …inside a 32-hex request id
            f"request {'0' * 21}{PHONE}",  # a 32-digit run is not a phone
            "digest 4bf92f3577b34da6a3ce929d0e0e4736138123456789012345678",
            "at 2026-11-29T07:50:00",
            "at 2026-11-29T07:50:00.123456+08:00",
            "at 20261129T075000Z",
            "epoch 1764402600 / 1764402600123",
            "amount 1835.00 yuan",
            "amount 12345678.90",
            "amount 13812345678.90",
            "ratio 0.13812345678",
            "12 digits 138123456789, 10 digits 1381234567, 14 digits 11010519491231",
            "20 digits 62220212345678901234",
            "not a mobile 12812345678 or 10812345678",
            "region 110105, household 3 members, policy v2025.1",
            "",
        ],
    )
    def test_leaves_alone(self, text: str) -> None:
        assert redact(text) == text

    def test_idempotent(self) -> None:
        text = f"{RID} {PHONE} {CARD} {LEGACY_RID} 138 1234 5678"
        once = redact(text)
        assert redact(once) == once
        for raw in RAW:
            assert raw not in once

    @given(
        st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
        st.sampled_from([" ", "：", "=", "/", "(", "电话"]),
        st.sampled_from([" ", "。", "&", ")", "号", ""]),
    )
    def test_any_mobile_number_is_masked(self, phone: str, before: str, after: str) -> None:
        redacted = redact(f"x{before}{phone}{after}y")
        assert phone not in redacted
        assert f"{phone[:3]}****{phone[-4:]}" in redacted

    @given(st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True))
    def test_any_resident_id_is_masked(self, rid: str) -> None:
        redacted = redact(f"id: {rid}.")
        assert rid not in redacted
        assert redacted == f"id: {rid[:4]}{'*' * 10}{rid[-4:]}."

    @given(st.uuids())
    def test_uuids_are_never_touched(self, value: uuid.UUID) -> None:
        for text in (str(value), value.hex, str(value).upper(), f"req={value.hex}&id={value}"):
            assert redact(text) == text

    def test_redact_value(self) -> None:
        class Point(NamedTuple):
            phone: str
            n: int

        value: Any = {
            "phone": PHONE,
            PHONE: "key",
            "n": 13812345678,
            "count": 3,
            "flag": True,
            "nested": [RID, (CARD,), {LEGACY_RID}, Point(PHONE, 1)],
            "amount": 1835.0,
            "none": None,
        }
        redacted = redact_value(value)
        assert redacted == {
            "phone": PHONE_MASKED,
            PHONE_MASKED: "key",
            "n": PHONE_MASKED,
            "count": 3,
            "flag": True,
            "nested": [RID_MASKED, (CARD_MASKED,), {"1101*******1002"}, Point(PHONE_MASKED, 1)],
            "amount": 1835.0,
            "none": None,
        }
        assert value["phone"] == PHONE  # the caller's objects are not modified
        assert value["nested"][0] == RID


class TestRedactionFilter:
    def test_message_and_percent_args(self, captured: Captured) -> None:
        captured.logger.info(f"applicant {RID} phone {PHONE}")
        captured.logger.info("applicant %s phone %s card %s", RID, PHONE, CARD)
        captured.logger.info("applicant %(rid)s", {"rid": RID.lower()})
        captured.logger.info("legacy %d", int(LEGACY_RID))
        captured.assert_clean()
        lines = captured.text.splitlines()
        assert lines[0].startswith(f"INFO applicant {RID_MASKED} phone {PHONE_MASKED}")
        assert lines[1].startswith(f"INFO applicant {RID_MASKED} phone {PHONE_MASKED} card {CARD_MASKED}")
        assert lines[2].startswith(f"INFO applicant {RID_MASKED}")
        assert lines[3].startswith("INFO legacy 1101*******1002")

    def test_extra(self, captured: Captured) -> None:
        captured.logger.warning(
            "applicant changed",
            extra={"resident_id": RID, "phone": int(PHONE), "payload": {"card": CARD, "ids": [LEGACY_RID]}},
        )
        captured.assert_clean()
        assert RID_MASKED in captured.text
        assert PHONE_MASKED in captured.text
        assert CARD_MASKED in captured.text

    def test_exception(self, captured: Captured) -> None:
        try:
            raise ValueError(f"no household for {RID} / {PHONE}")
        except ValueError:
            captured.logger.exception("lookup failed for %s", PHONE)
        captured.assert_clean()
        assert f"ValueError: no household for {RID_MASKED} / {PHONE_MASKED}" in captured.text
        assert "Traceback (most recent call last)" in captured.text
        assert f"lookup failed for {PHONE_MASKED}" in captured.text

    def test_exception_record_state(self) -> None:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RedactionFilter())
        records: list[logging.LogRecord] = []

        class Keep(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                records.append(record)
                return True

        handler.addFilter(Keep())
        logger = make_logger("exception_record_state", handler)
        try:
            raise RuntimeError(RID)
        except RuntimeError:
            logger.error("failed", exc_info=True, stack_info=True)
        (record,) = records
        assert record.exc_info is None
        assert record.exc_text is not None
        assert RID_MASKED in record.exc_text
        assert RID not in record.exc_text
        assert record.stack_info is not None
        assert record.args is None
        assert RID not in stream.getvalue()

    def test_json_handler_of_the_platform(self) -> None:
        stream = io.StringIO()
        handler = json_handler("eligibility", stream)
        handler.addFilter(RedactionFilter())
        logger = make_logger("json", handler)
        try:
            raise KeyError(CARD)
        except KeyError:
            logger.error(
                "payment to %s failed", CARD, extra={"phone": PHONE, "applicant": {"resident_id": RID}}, exc_info=True
            )
        logger.info({"event": "dict message", "phone": PHONE})
        first, second = (json.loads(line) for line in stream.getvalue().splitlines())
        assert first["message"] == f"payment to {CARD_MASKED} failed"
        assert first["phone"] == PHONE_MASKED
        assert first["applicant"] == {"resident_id": RID_MASKED}
        assert f"KeyError: '{CARD_MASKED}'" in first["exc_info"]
        assert first["service"] == "eligibility"
        assert second["phone"] == PHONE_MASKED
        assert second["event"] == "dict message"
        for raw in RAW:
            assert raw not in stream.getvalue()

    def test_false_positives_pass_through(self, captured: Captured) -> None:
        request_id = "ab13812345678cd0123456789abcdef0"
        correlation = str(uuid.UUID("550e8400-e29b-41d4-a716-a13812345678"))
        captured.logger.info(
            "request %s at %s paid %s and %s",
            request_id,
            "2026-11-29T07:50:00",
            "12345678.90",
            "1835.00",
            extra={"correlation_id": correlation, "amount": "12345678.90", "members": 3},
        )
        line = captured.text
        assert f"request {request_id} at 2026-11-29T07:50:00 paid 12345678.90 and 1835.00" in line
        assert correlation in line
        assert "'amount': '12345678.90'" in line
        assert "*" not in line

    def test_unformattable_args_do_not_raise_or_leak(
        self, captured: Captured, capsys: pytest.CaptureFixture[str]
    ) -> None:
        captured.logger.info("two %s %s", PHONE)
        captured.assert_clean()
        assert PHONE_MASKED in captured.text
        assert PHONE not in capsys.readouterr().err

    def test_non_string_message(self, captured: Captured) -> None:
        captured.logger.info(ValueError(RID))
        captured.assert_clean()
        assert RID_MASKED in captured.text

    def test_never_drops_and_is_idempotent(self) -> None:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "id %s", (RID,), None)
        record.__dict__["phone"] = PHONE
        flt = RedactionFilter()
        assert flt.filter(record)
        assert flt.filter(record)
        assert record.getMessage() == f"id {RID_MASKED}"
        assert record.__dict__["phone"] == PHONE_MASKED
        assert record.pathname == __file__

    def test_filter_on_the_handler_sees_propagated_records(self) -> None:
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RedactionFilter())
        parent = make_logger("parent", handler)
        child = logging.getLogger(f"{parent.name}.child")
        child.setLevel(logging.INFO)
        child.info("child logged %s", PHONE)
        assert stream.getvalue().strip() == f"child logged {PHONE_MASKED}"


class TestQuickRejection:
    """`redact` skips the full scan for text without a run of 11 digits; the skip must never
    change an answer."""

    pieces = st.sampled_from(
        ["1", "3", "8", "0", "9", "X", "x", "１", "３", "８", " ", "-", "\u3000", "－", "+86", ".", "a", "f", "e"]
    )

    @given(st.lists(pieces, max_size=40).map("".join))
    def test_the_quick_rejection_agrees_with_the_full_scan(self, text: str) -> None:
        from jiuzhu_platform.redaction import _scan

        assert redact(text) == _scan(text)

    @pytest.mark.parametrize(
        "text",
        [
            "１３８１２３４５６７８",
            "138\u30001234\u30005678",
            "138－1234－5678",
            "110105 19491231 002X",
            "6222-0212-3456-7890",
        ],
    )
    def test_full_width_and_grouped_numbers_still_reach_the_scan(self, text: str) -> None:
        assert redact(text) != text
