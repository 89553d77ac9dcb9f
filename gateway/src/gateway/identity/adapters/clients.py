"""Ports to the outside world for citizen sign-in, and their dev/test adapters.

- `CodeSender`: delivers a one-time code to a phone (an SMS gateway in production).
- `RealNameVerifier`: checks a name against a resident ID (the public-security real-name
  service in production).

Production adapters are injected into `gateway.main.create_app`; without one the endpoints
answer 503 (`not_configured`), never a silent success."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from gateway.identity.domain.errors import ServiceNotConfigured
from jiuzhu_platform.pii import mask_phone
from shared.types import ResidentId

logger = logging.getLogger(__name__)


class CodeSender(Protocol):
    async def send_code(self, phone: str, code: str) -> None:
        """Deliver `code` to `phone` (11 digits). Raise to report a delivery failure."""
        ...


class RealNameVerifier(Protocol):
    async def verify(self, name: str, resident_id: ResidentId) -> bool:
        """Whether `name` is the registered name of `resident_id` (a result, not an error)."""
        ...


@dataclass(frozen=True, slots=True)
class SentCode:
    phone: str
    code: str
    sent_at: datetime


@dataclass
class TestOutboxCodeSender:
    """dev/test: keeps every code in memory (`sent`, `latest_code(phone)`) instead of sending
    it, and logs only the masked phone ("code sent to 138****5678"), never the code. With
    `outbox_file` each code is also appended there as a JSON line `{"to": <masked phone>,
    "code": …}`, for tests that run the gateway in another process (never the full phone)."""

    __test__ = False  # not a pytest test class

    sent: list[SentCode] = field(default_factory=list)
    outbox_file: Path | None = None

    async def send_code(self, phone: str, code: str) -> None:
        self.sent.append(SentCode(phone, code, datetime.now(UTC)))
        if self.outbox_file is not None:
            with self.outbox_file.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"to": mask_phone(phone), "code": code}) + "\n")
        logger.info("code sent to %s", mask_phone(phone))

    def latest_code(self, phone: str) -> str | None:
        """The last code sent to `phone` (11 digits), or None."""
        for item in reversed(self.sent):
            if item.phone == phone:
                return item.code
        return None


class UnconfiguredCodeSender:
    """Production without an SMS adapter: refuses (503) instead of pretending to send."""

    async def send_code(self, phone: str, code: str) -> None:
        raise ServiceNotConfigured("sending verification codes", "短信验证码服务")


@dataclass
class StubRealNameVerifier:
    """dev/test stand-in for 公安实名核验: a resident ID seeded with its holder's name (`names`,
    by the ID's value) passes with that name only, as the real service would answer; an ID it
    was not seeded with passes with any non-empty name (dev has no register of names); an ID in
    `rejected` never passes."""

    names: dict[str, str] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)

    async def verify(self, name: str, resident_id: ResidentId) -> bool:
        given = name.strip()
        if not given or resident_id.value in self.rejected:
            return False
        expected = self.names.get(resident_id.value)
        return expected is None or expected == given


class UnconfiguredRealNameVerifier:
    async def verify(self, name: str, resident_id: ResidentId) -> bool:
        raise ServiceNotConfigured("real-name verification", "实名核验服务")
