"""Where a citizen's real-name binding finds their household (the `HouseholdDirectory` port).

Eligibility owns household records (户): a citizen bound at the gateway must see the household a
caseworker sees, so the gateway asks eligibility (`EligibilityHouseholds`) with a short-lived
service token of its own (`kind: service`, scope `eligibility:households:resolve`, which no role
and no client may hold). A gateway deployed without an eligibility upstream (the gateway's own
tests, an identity-only deployment) keeps its own resident → household map instead
(`LocalHouseholds`); which one is used follows from the upstreams configured, never silently
both: with an eligibility upstream, a failure to reach it refuses the binding (503)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Protocol

from gateway.errors import UpstreamTimeout, UpstreamUnavailable
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain.errors import Refused
from gateway.proxy import Upstream
from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import KeyRing
from shared.types import ResidentId

logger = logging.getLogger(__name__)

RESOLVE_PATH = "/v1/eligibility/households/citizen-binding"
MAX_ANSWER_BYTES = 64 * 1024


class HouseholdDirectory(Protocol):
    async def household_of(self, name: str, resident_id: ResidentId, *, service_token: str, now: datetime) -> uuid.UUID:
        """The household id of `resident_id` (made if there is none), the same id every time.
        `service_token` authenticates the gateway to the household owner (unused locally)."""
        ...


class HouseholdRegisterUnavailable(Refused):
    """503: eligibility (the household register) did not give an answer; nothing was bound."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "the household register cannot be reached; nothing was bound, please try again later",
            "家庭户信息服务暂时无法访问，未完成绑定，请稍后重试",
            reason="household_register_unavailable",
        )


class HouseholdRefused(Refused):
    """Eligibility's own refusal (for example 400 `region_unknown`), relayed in the common shape
    with its status and reason."""

    status_code = 400

    def __init__(self, reason: str, detail: str, message_zh: str) -> None:
        super().__init__(detail, message_zh, reason=reason)


class HouseholdConflict(HouseholdRefused):
    status_code = 409


class HouseholdInvalid(HouseholdRefused):
    status_code = 422


RELAYED: dict[int, type[HouseholdRefused]] = {400: HouseholdRefused, 409: HouseholdConflict, 422: HouseholdInvalid}
"""The register's refusals a citizen is told about; any other answer is the register's fault."""


class EligibilityHouseholds:
    """Asks eligibility, over the gateway's upstream connection to it (the same pool the proxy
    uses: network in production, the ASGI transport in the embedded mode)."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    async def household_of(self, name: str, resident_id: ResidentId, *, service_token: str, now: datetime) -> uuid.UUID:
        body = json.dumps({"name": name, "resident_id": resident_id.value}, ensure_ascii=False).encode()
        headers = [
            ("authorization", f"Bearer {service_token}"),
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
        ]
        try:
            response = await self.upstream.send("POST", RESOLVE_PATH, headers, body)
        except (UpstreamUnavailable, UpstreamTimeout):
            raise HouseholdRegisterUnavailable() from None
        try:
            raw = b""
            async for chunk in response.body:
                raw += chunk
                if len(raw) > MAX_ANSWER_BYTES:
                    break
        finally:
            await response.close()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if response.status == 200 and isinstance(answer, dict):
            try:
                return uuid.UUID(str(answer["household_id"]))
            except (KeyError, ValueError):
                pass
        elif response.status in RELAYED and isinstance(answer, dict):
            raise RELAYED[response.status](
                str(answer.get("reason") or "household_refused"),
                str(answer.get("detail") or "the household register refused the binding"),
                str(answer.get("message_zh") or "家庭户信息服务拒绝了绑定"),
            )
        # 401/403 (the gateway's own token refused: a configuration fault), 404, 5xx, garbage
        logger.error("household register answered %s to the binding lookup", response.status)
        raise HouseholdRegisterUnavailable()


class LocalHouseholds:
    """The gateway's own resident → household map (`resident_household`): for a gateway that
    has no eligibility upstream. The same resident ID always gets the same id."""

    def __init__(self, database: Database, ring: KeyRing) -> None:
        self.database = database
        self.ring = ring

    async def household_of(self, name: str, resident_id: ResidentId, *, service_token: str, now: datetime) -> uuid.UUID:
        async with self.database.transaction() as session:
            return await IdentityRepository(session, self.ring).household_for_resident(resident_id.value, now)
