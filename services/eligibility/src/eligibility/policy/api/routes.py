"""Policy HTTP endpoints: the effective-dated policy versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from eligibility.policy.adapters.policy_files import policy_book
from eligibility.policy.api.schemas import PolicyVersionRead, PolicyVersionSummary, policy_version_read
from eligibility.policy.domain.errors import PolicyVersionNotFound
from eligibility.policy.domain.model import VERSION_PATTERN
from jiuzhu_platform.auth import PROTECTED, Principal, requires
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])

PolicyReader = Annotated[Principal, requires("eligibility:policies:read")]


@router.get("/policies", summary="Policy versions (effective-dated)", responses=refusals(*PROTECTED))
async def list_policies(_caller: PolicyReader) -> list[PolicyVersionSummary]:
    policy_set = policy_book().policy_set
    return [policy_version_read(policy_set.name, v, full=False) for v in policy_set.versions]


@router.get(
    "/policies/{version}",
    summary="One policy version with every parameter",
    responses=refusals(*PROTECTED, PolicyVersionNotFound, RequestInvalid),
)
async def get_policy(
    version: Annotated[str, Path(pattern=VERSION_PATTERN, max_length=40, description="e.g. 2024-07")],
    _caller: PolicyReader,
) -> PolicyVersionRead:
    policy_set = policy_book().policy_set
    read = policy_version_read(policy_set.name, policy_set.get(version), full=True)
    assert isinstance(read, PolicyVersionRead)
    return read
