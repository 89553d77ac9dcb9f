"""Keeps resident ID, phone and bank card numbers out of the logs.

`RedactionFilter` is a `logging.Filter` that rewrites each record in place, so every formatter
after it (plain text or python-json-logger's JSON) only ever sees masked values. Attach it to
every **handler** (``handler.addFilter(RedactionFilter())``): a filter on a logger does not see
records propagated from that logger's children.

What is masked (`redact`), wherever it stands in the text:

- an 18-character resident ID (17 digits + digit/``X``/``x``; also grouped 6-8-4 with spaces or
  ``-``) → ``1101**********002X``;
- a 16–19-digit bank card number (also grouped in fours) → ``6222***********0123``;
- a 15-digit legacy resident ID → ``1101*******0021``;
- a mainland mobile number, ``1[3-9]`` + 9 digits (also 3-4-4 grouped), optionally prefixed by
  ``+86`` / ``86`` / ``0086`` → the prefix as written + ``138****5678``.

Full-width digits are recognised too. A candidate must not be part of a longer digit run
(``(?<!\\d)`` / ``(?!\\d)``), so timestamps (``2026-11-29T07:50:00``), amounts and ordinary
numbers of other lengths are left alone, nor the integer or fractional part of a decimal
(``13812345678.90`` is an amount, not a phone). UUIDs and hexadecimal ids of 16+ characters
containing a letter (request ids, trace ids, digests) are left whole even when they contain a
digit run of a matching length.

Known limits (by design, to keep false positives down):

- bank account numbers of 12–14 digits are not recognised (they are indistinguishable from other
  numbers); 15 digits are masked as a legacy ID;
- conversely every bare run of exactly 11 digits starting ``13``–``19``, 15 digits or 16–19 digits
  is masked, even when it is not personal data (e.g. an epoch timestamp in microseconds or a
  snowflake id): use UUIDs or separators for ids;
- a number glued to a 16+ character hexadecimal token (``deadbeefcafebabe13812345678``) is treated
  as part of that token and not masked.

What the filter rewrites on each record:

- the message: ``record.getMessage()`` is computed, redacted and stored as ``record.msg`` with
  ``record.args = None`` (a message whose arguments do not fit its format string is rendered as
  ``msg`` plus ``repr(args)`` instead of raising, so logging's own error report cannot leak
  them); a ``dict`` message without args (python-json-logger style) stays a dict, redacted;
- every non-standard attribute (``extra=`` values, ``message``/``asctime`` left by an earlier
  formatter, fields added by other filters): strings are redacted; ``int`` values that look like
  a number above become their masked string; ``dict``/``list``/``tuple``/``set`` values are
  copied with their contents redacted (keys included, 8 levels deep). Other objects are left
  as they are: their ``str()`` is their own business (``shared.types.ResidentId`` masks itself);
- exceptions: ``record.exc_info`` is formatted into ``record.exc_text`` (with the
  ``exception_formatter`` given, else a plain `logging.Formatter`), redacted, and ``exc_info`` is
  cleared, because python-json-logger would otherwise format ``exc_info`` again from the live
  exception. Handlers that need the exception object itself (rather than its text) no longer get
  it. ``record.stack_info`` is redacted too.

The standard attributes (``name``, ``pathname``, ``funcName``, …) are not touched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Final

from jiuzhu_platform.pii import mask_bank_account, mask_phone, mask_resident_id
from shared.types import FULLWIDTH_TO_ASCII

__all__ = ["PII_PATTERN", "RedactionFilter", "redact", "redact_value"]


_START = r"(?<![0-9])(?<![0-9]\.)"  # not inside a digit run, not the fraction of a decimal
_END = r"(?![0-9])(?!\.[0-9])"  # not inside a digit run, not the integer part of a decimal
_HEX = "[0-9A-Fa-f]"

PII_PATTERN: Final = re.compile(
    # Left whole (alternatives are tried in order at each position, and the scan is leftmost,
    # so an id starting here swallows any digit run inside it):
    rf"(?P<uuid>(?<![0-9A-Za-z]){_HEX}{{8}}(?:-{_HEX}{{4}}){{3}}-{_HEX}{{12}}(?![0-9A-Za-z]))"
    rf"|(?P<hex>(?<![0-9A-Za-z])(?={_HEX}*[A-Fa-f]){_HEX}{{16,}}(?![0-9A-Za-z]))"
    # Masked:
    rf"|{_START}(?P<rid>[0-9]{{6}}(?P<rs>[ -]?)[0-9]{{8}}(?P=rs)[0-9]{{3}}[0-9Xx]){_END}"
    rf"|{_START}(?P<card>[0-9]{{4}}(?P<cs>[ -]?)[0-9]{{4}}(?P=cs)[0-9]{{4}}(?P=cs)[0-9]{{4}}"
    rf"(?:(?P=cs)?[0-9]{{1,3}})?){_END}"
    rf"|{_START}(?P<rid15>[0-9]{{15}}){_END}"
    rf"|{_START}(?P<prefix>(?:\+|00)?86[ -]?)?(?P<phone>1[3-9][0-9](?P<ps>[ -]?)[0-9]{{4}}(?P=ps)[0-9]{{4}}){_END}"
)

_SEPARATORS = re.compile(r"[ -]")

# Every number the pattern masks has at least 11 digits, at most one separator between two of
# them (digits and separators full-width too: the scan runs on the ASCII copy). Text without
# such a run, most log lines, is returned as it is without the copy and the full scan.
_DIGIT = "[0-9\uff10-\uff19]"
_SEPARATOR = "[ \u3000\uff0d-]"
_CANDIDATE: Final = re.compile(f"{_DIGIT}(?:{_SEPARATOR}?{_DIGIT}){{10}}")


def _mask(match: re.Match[str]) -> str | None:
    """The replacement for a match, or None to keep the original text."""
    if match["rid"] is not None or match["rid15"] is not None:
        return mask_resident_id(_SEPARATORS.sub("", match["rid"] or match["rid15"]))
    if match["card"] is not None:
        return mask_bank_account(match["card"])
    if match["phone"] is not None:
        return (match["prefix"] or "") + mask_phone(_SEPARATORS.sub("", match["phone"]))
    return None  # a UUID or hexadecimal id


def redact(text: str) -> str:
    """`text` with every resident ID, bank card and mobile number masked (see the module doc)."""
    if _CANDIDATE.search(text) is None:
        return text
    return _scan(text)


def _scan(text: str) -> str:
    # Match on an ASCII copy (full-width digits → ASCII, same length, so spans line up) and
    # splice the masks into the original.
    scan = text.translate(FULLWIDTH_TO_ASCII)
    pieces: list[str] = []
    last = 0
    for match in PII_PATTERN.finditer(scan):
        replacement = _mask(match)
        if replacement is None:
            continue
        pieces.append(text[last : match.start()])
        pieces.append(replacement)
        last = match.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


_MAX_DEPTH: Final = 8


def redact_value(value: Any, _depth: int = 0) -> Any:
    """`value` with its strings redacted: str, int (a masked str if it looks like PII), and
    copies of dict/list/tuple/set/frozenset (keys too). Anything else is returned unchanged."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        text = str(value)
        redacted = redact(text)
        return value if redacted == text else redacted
    if _depth >= _MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {redact_value(k, _depth + 1): redact_value(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [redact_value(item, _depth + 1) for item in value]
        if isinstance(value, list):
            return items
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
            return type(value)(*items)
        return type(value)(items)
    return value


# The attributes every LogRecord has; of these only the message, exception and stack are
# rewritten (explicitly). Everything else on a record came from `extra=`, a filter or a formatter.
_STANDARD_ATTRIBUTES: Final = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"taskName"}


class RedactionFilter(logging.Filter):
    """Masks resident IDs, phone and bank card numbers in the record (see the module doc).

    Never drops a record. Idempotent, so attaching it twice is harmless.
    """

    def __init__(self, name: str = "", *, exception_formatter: logging.Formatter | None = None) -> None:
        super().__init__(name)
        self.exception_formatter = exception_formatter or logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        self._redact_message(record)
        for key, value in list(record.__dict__.items()):
            if key in _STANDARD_ATTRIBUTES or value is None:
                continue
            redacted = redact_value(value)
            if redacted is not value:
                setattr(record, key, redacted)
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.exception_formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True

    @staticmethod
    def _redact_message(record: logging.LogRecord) -> None:
        if isinstance(record.msg, Mapping) and not record.args:
            record.msg = redact_value(record.msg)
            return
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format string
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
