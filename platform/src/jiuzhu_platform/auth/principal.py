"""Who is calling (`Principal`, from a verified token) and what records they may reach:
scopes and region scoping (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from jiuzhu_platform.auth.errors import RegionNotAllowed, ScopeMissing
from jiuzhu_platform.auth.roles import CITY_WIDE_ROLES, HOUSEHOLD_DATA_SCOPES


class PrincipalKind(StrEnum):
    STAFF = "staff"
    CITIZEN = "citizen"
    DEPARTMENT = "department"
    THIRD_PARTY = "third_party"
    SERVICE = "service"
    """A platform service calling another on its own behalf (today: the gateway resolving a
    citizen's household at real-name binding). Minted by the gateway only; its scopes come from
    the `scope` claim (no role maps to a service)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, from a verified token.

    `region_code`: 6-digit county or 12-digit town code; `None` for city-wide.
    `household_id`: the citizen's own household. `token_id`: the `jti`.
    `scopes`: effective scopes (token `scope` claim ∪ scopes of `roles`)."""

    subject: str
    kind: PrincipalKind
    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    region_code: str | None = None
    household_id: str | None = None
    client_id: str | None = None
    token_id: str | None = None
    session_id: str | None = None
    """The sign-in the token belongs to (`sid`): revoking it cuts every token of that sign-in."""
    issued_at: float | None = None
    """When the token was issued (`iat`, seconds since the epoch): an account's tokens issued
    before a password change are refused, the ones issued after it are not."""

    @property
    def role_label(self) -> str | None:
        """The roles as one space-separated string (audit entries, logs); None without roles."""
        return " ".join(sorted(self.roles)) or None

    def missing_scopes(self, scopes: Iterable[str]) -> list[str]:
        return sorted(set(scopes) - self.scopes)


def require_scopes(principal: Principal, *scopes: str) -> None:
    """Raise `ScopeMissing` unless the principal holds every scope."""
    missing = principal.missing_scopes(scopes)
    if missing:
        raise ScopeMissing(missing)


_COUNTY_CODE = re.compile(r"^\d{6}$")
_TOWN_CODE = re.compile(r"^\d{12}$")


class AccessLevel(StrEnum):
    NONE = "none"
    HOUSEHOLD = "household"
    TOWN = "town"
    COUNTY = "county"
    CITY = "city"


@dataclass(frozen=True, slots=True)
class RegionScope:
    """What records a principal may see and change (see the module docstring)."""

    level: AccessLevel
    region_code: str | None = None
    household_id: str | None = None
    household_data: bool = True

    @classmethod
    def for_principal(cls, principal: Principal) -> RegionScope:
        if principal.kind is PrincipalKind.CITIZEN:
            if principal.household_id is None:
                return cls(AccessLevel.NONE)
            return cls(AccessLevel.HOUSEHOLD, household_id=principal.household_id)
        household_data = True
        if principal.kind is not PrincipalKind.STAFF:
            household_data = bool(principal.scopes & HOUSEHOLD_DATA_SCOPES)
        code = principal.region_code
        if code is None:
            if principal.kind is PrincipalKind.STAFF and not (principal.roles & CITY_WIDE_ROLES):
                return cls(AccessLevel.NONE)
            return cls(AccessLevel.CITY, household_data=household_data)
        if _TOWN_CODE.fullmatch(code):
            return cls(AccessLevel.TOWN, region_code=code, household_data=household_data)
        if _COUNTY_CODE.fullmatch(code):
            return cls(AccessLevel.COUNTY, region_code=code, household_data=household_data)
        return cls(AccessLevel.NONE)

    @property
    def region_prefix(self) -> str | None:
        """Prefix of the region codes a list may show: `""` city-wide, the county or town code,
        or `None` when lists cannot be filtered by region (households, nothing)."""
        if self.level is AccessLevel.CITY:
            return ""
        if self.level in (AccessLevel.COUNTY, AccessLevel.TOWN):
            return self.region_code
        return None

    def allows(self, *, region_code: str | None = None, household_id: str | None = None) -> bool:
        if self.level is AccessLevel.NONE:
            return False
        if self.level is AccessLevel.HOUSEHOLD:
            return household_id is not None and household_id == self.household_id
        if household_id is not None and not self.household_data:
            return False
        if self.level is AccessLevel.CITY:
            return True
        if region_code is None or self.region_code is None:
            return False
        if self.level is AccessLevel.COUNTY:
            return bool(_COUNTY_CODE.fullmatch(region_code) or _TOWN_CODE.fullmatch(region_code)) and (
                region_code[:6] == self.region_code
            )
        return region_code == self.region_code  # TOWN: the same 12-digit town code only

    def default_town(self, county_code: str, town_code: str | None) -> str | None:
        """The town a new record is placed in: the given one, else a town-level caller's own
        town when they work in that county (a town caseworker's records belong to their town)."""
        if town_code is not None:
            return town_code
        if self.level is AccessLevel.TOWN and self.region_code is not None and self.region_code[:6] == county_code:
            return self.region_code
        return None

    def require(self, *, region_code: str | None = None, household_id: str | None = None) -> None:
        """Raise `RegionNotAllowed` unless the record (its area, its household) is within."""
        if not self.allows(region_code=region_code, household_id=household_id):
            raise RegionNotAllowed()


def can_access(principal: Principal, *, region_code: str | None = None, household_id: str | None = None) -> bool:
    """Whether `principal` may see or change a record of this region and household."""
    return RegionScope.for_principal(principal).allows(region_code=region_code, household_id=household_id)


def require_region(principal: Principal, region_code: str | None = None, household_id: str | None = None) -> None:
    """Raise `RegionNotAllowed` unless `can_access`."""
    if not can_access(principal, region_code=region_code, household_id=household_id):
        raise RegionNotAllowed()


def default_town(principal: Principal, county_code: str, town_code: str | None) -> str | None:
    """`RegionScope.default_town` for a principal."""
    return RegionScope.for_principal(principal).default_town(county_code, town_code)
