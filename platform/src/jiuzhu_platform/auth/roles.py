"""Roles and scopes, named once (pure).

`Scope` and `Role` are the only places their names are written; every table below is built from
them, and so are the gateway's rules on what a staff user or a client may be granted.

Scopes are `<service>:<resource>:<action>`, or `<area>:<action>` for cross-cutting ones
(`audit:read`, `pii:read_full`). A principal's effective scopes are the union of its token's
`scope` claim and the scopes its roles map to in `ROLE_SCOPES` (unknown roles grant nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

SCOPE_PATTERN = re.compile(r"^[a-z][a-z_]*(?::[a-z][a-z_]*){1,2}$")
"""`<service>:<resource>:<action>`, or `<area>:<action>` for cross-cutting scopes."""


class Scope(StrEnum):
    """Every scope the platform defines (agreements may grant any of them in a token's `scope`)."""

    ELIGIBILITY_APPLICATIONS_READ = "eligibility:applications:read"
    ELIGIBILITY_APPLICATIONS_WRITE = "eligibility:applications:write"
    ELIGIBILITY_APPLICATIONS_APPROVE = "eligibility:applications:approve"
    ELIGIBILITY_PROCEDURE_ACT = "eligibility:procedure:act"  # staff who handle cases, town or county
    ELIGIBILITY_ASSESSMENTS_RUN = "eligibility:assessments:run"
    ELIGIBILITY_SELF_CHECK = "eligibility:self_check:run"  # a citizen's what-if about their own household
    ELIGIBILITY_POLICIES_READ = "eligibility:policies:read"
    ELIGIBILITY_HOUSEHOLDS_RESOLVE = "eligibility:households:resolve"  # the gateway's real-name binding only
    MONITORING_HOUSEHOLDS_READ = "monitoring:households:read"
    MONITORING_ALERTS_READ = "monitoring:alerts:read"
    MONITORING_ALERTS_WRITE = "monitoring:alerts:write"
    MONITORING_SPOT_CHECKS_WRITE = "monitoring:spot_checks:write"
    MONITORING_STATISTICS_READ = "monitoring:statistics:read"  # aggregates of the caller's area
    MONITORING_IMPORTS_WRITE = "monitoring:imports:write"  # bulk lists (deaths) matched to the register
    VERIFICATION_CONSENTS_WRITE = "verification:consents:write"
    VERIFICATION_CONSENTS_READ = "verification:consents:read"
    VERIFICATION_CHECKS_RUN = "verification:checks:run"  # ask the departments (核对), re-query
    VERIFICATION_CHECKS_READ = "verification:checks:read"  # 核对报告
    VERIFICATION_NOTICES_PUSH = "verification:notices:push"  # departments only, by agreement: no role
    VERIFICATION_NOTICES_READ = "verification:notices:read"
    VERIFICATION_EXCHANGE_SEARCH = "verification:exchange:search"  # departments only, by agreement: no role
    VERIFICATION_EXCHANGE_SUBSCRIBE = "verification:exchange:subscribe"  # departments only, by agreement
    PAYMENT_PAYROLL_WRITE = "payment:payroll:write"
    PAYMENT_PAYROLL_READ = "payment:payroll:read"
    PAYMENT_ACCOUNTS_WRITE = "payment:accounts:write"  # record or confirm a payee's bank account
    PAYMENT_RECOVERIES_WRITE = "payment:recoveries:write"  # repayments, schedules
    PAYMENT_RECOVERIES_DECIDE = "payment:recoveries:decide"  # write-off (核销), the fraud fine
    PAYMENT_FUNDS_WRITE = "payment:funds:write"  # budgets
    PAYMENT_BANKFILES_READ = "payment:bankfiles:read"  # a bank fetches its runs' files
    PAYMENT_BANKFILES_WRITE = "payment:bankfiles:write"  # a bank uploads results
    PROCUREMENT_PROVIDERS_WRITE = "procurement:providers:write"
    PROCUREMENT_PROVIDERS_READ = "procurement:providers:read"
    PROCUREMENT_PROJECTS_READ = "procurement:projects:read"  # projects, announcements, contracts
    PROCUREMENT_PROJECTS_WRITE = "procurement:projects:write"  # announce, open, evaluate, award
    PROCUREMENT_BIDS_WRITE = "procurement:bids:write"  # social organisations, by agreement: no role
    PROCUREMENT_CONTRACTS_WRITE = "procurement:contracts:write"
    PROCUREMENT_DELIVERY_READ = "procurement:delivery:read"  # care assignments
    PROCUREMENT_DELIVERY_WRITE = "procurement:delivery:write"  # visit records: providers, by agreement
    PROCUREMENT_EVALUATIONS_WRITE = "procurement:evaluations:write"  # 验收 and 绩效评价
    AUDIT_READ = "audit:read"
    PII_READ_FULL = "pii:read_full"
    AUTH_USERS_WRITE = "auth:users:write"
    AUTH_CLIENTS_WRITE = "auth:clients:write"
    AUTH_KEYS_ROTATE = "auth:keys:rotate"
    AUTH_IDENTITY_BIND = "auth:identity:bind"
    AUTH_PASSWORD_CHANGE = "auth:password:change"  # noqa: S105 (a scope name, not a password)


class Role(StrEnum):
    """The roles a token may carry. Staff roles are held by staff users (`STAFF_ROLES`); the
    others are given by the gateway to citizens and to OAuth2 clients by their kind."""

    TOWN_CASEWORKER = "town_caseworker"  # 乡镇（街道）经办人
    COUNTY_APPROVER = "county_approver"  # 县级审核确认人
    CITY_ADMIN = "city_admin"  # 市级系统管理员
    AUDITOR = "auditor"  # 审计员
    PROCUREMENT_OFFICER = "procurement_officer"  # 政府购买服务经办人（市局）
    PAYMENT_OFFICER = "payment_officer"  # 资金发放经办人
    CITIZEN = "citizen"  # 已实名绑定的居民
    CITIZEN_UNBOUND = "citizen_unbound"  # 仅以手机号登录、尚未实名绑定的居民
    DEPARTMENT = "department"  # 部门（数据共享协议）
    THIRD_PARTY = "third_party"  # 第三方（银行、社会组织、省级平台）


S = Scope

STAFF_ROLES: frozenset[Role] = frozenset(
    {
        Role.TOWN_CASEWORKER,
        Role.COUNTY_APPROVER,
        Role.CITY_ADMIN,
        Role.AUDITOR,
        Role.PROCUREMENT_OFFICER,
        Role.PAYMENT_OFFICER,
    }
)
"""Roles a staff user may hold (the others belong to citizens, departments and third parties)."""


def _staff(*scopes: Scope) -> frozenset[str]:
    """A staff role's scopes: every staff user may also change their own password."""
    return frozenset((*scopes, S.AUTH_PASSWORD_CHANGE))


ROLE_SCOPES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        Role.TOWN_CASEWORKER: _staff(
            S.ELIGIBILITY_APPLICATIONS_READ,
            S.ELIGIBILITY_APPLICATIONS_WRITE,
            S.ELIGIBILITY_PROCEDURE_ACT,
            S.ELIGIBILITY_ASSESSMENTS_RUN,
            S.ELIGIBILITY_POLICIES_READ,
            S.MONITORING_HOUSEHOLDS_READ,
            S.MONITORING_ALERTS_READ,
            S.MONITORING_STATISTICS_READ,
            S.MONITORING_ALERTS_WRITE,
            S.VERIFICATION_CONSENTS_READ,
            S.VERIFICATION_NOTICES_READ,
            S.VERIFICATION_CONSENTS_WRITE,
            S.VERIFICATION_CHECKS_RUN,
            S.VERIFICATION_CHECKS_READ,
            S.PAYMENT_ACCOUNTS_WRITE,
        ),
        Role.COUNTY_APPROVER: _staff(
            S.ELIGIBILITY_APPLICATIONS_READ,
            S.ELIGIBILITY_APPLICATIONS_APPROVE,
            S.ELIGIBILITY_PROCEDURE_ACT,
            S.ELIGIBILITY_ASSESSMENTS_RUN,
            S.ELIGIBILITY_POLICIES_READ,
            S.MONITORING_HOUSEHOLDS_READ,
            S.MONITORING_ALERTS_READ,
            S.MONITORING_STATISTICS_READ,
            S.MONITORING_ALERTS_WRITE,
            S.MONITORING_SPOT_CHECKS_WRITE,
            S.MONITORING_IMPORTS_WRITE,
            S.VERIFICATION_CONSENTS_READ,
            S.VERIFICATION_CHECKS_RUN,
            S.VERIFICATION_CHECKS_READ,
            S.VERIFICATION_NOTICES_READ,
            S.PAYMENT_PAYROLL_READ,
            S.PAYMENT_RECOVERIES_DECIDE,
            S.PII_READ_FULL,
        ),
        Role.CITY_ADMIN: _staff(
            S.ELIGIBILITY_APPLICATIONS_READ,
            S.ELIGIBILITY_ASSESSMENTS_RUN,
            S.ELIGIBILITY_POLICIES_READ,
            S.MONITORING_HOUSEHOLDS_READ,
            S.MONITORING_ALERTS_READ,
            S.MONITORING_STATISTICS_READ,
            S.MONITORING_IMPORTS_WRITE,
            S.VERIFICATION_CONSENTS_READ,
            S.VERIFICATION_CHECKS_READ,
            S.VERIFICATION_NOTICES_READ,
            S.PAYMENT_PAYROLL_READ,
            S.PROCUREMENT_PROVIDERS_READ,
            S.PROCUREMENT_PROJECTS_READ,
            S.AUTH_USERS_WRITE,
            S.AUTH_CLIENTS_WRITE,
            S.AUTH_KEYS_ROTATE,
        ),
        Role.AUDITOR: _staff(
            S.AUDIT_READ,
            S.ELIGIBILITY_APPLICATIONS_READ,
            S.ELIGIBILITY_POLICIES_READ,
            S.MONITORING_HOUSEHOLDS_READ,
            S.MONITORING_ALERTS_READ,
            S.MONITORING_STATISTICS_READ,
            S.VERIFICATION_CONSENTS_READ,
            S.VERIFICATION_CHECKS_READ,
            S.VERIFICATION_NOTICES_READ,
            S.PAYMENT_PAYROLL_READ,
            S.PROCUREMENT_PROVIDERS_READ,
            S.PROCUREMENT_PROJECTS_READ,
            S.PROCUREMENT_DELIVERY_READ,
        ),
        Role.PROCUREMENT_OFFICER: _staff(
            S.PROCUREMENT_PROVIDERS_READ,
            S.PROCUREMENT_PROVIDERS_WRITE,
            S.PROCUREMENT_PROJECTS_READ,
            S.PROCUREMENT_PROJECTS_WRITE,
            S.PROCUREMENT_CONTRACTS_WRITE,
            S.PROCUREMENT_DELIVERY_READ,
            S.PROCUREMENT_EVALUATIONS_WRITE,
            S.ELIGIBILITY_POLICIES_READ,
        ),
        Role.PAYMENT_OFFICER: _staff(
            S.PAYMENT_PAYROLL_READ,
            S.PAYMENT_PAYROLL_WRITE,
            S.PAYMENT_ACCOUNTS_WRITE,
            S.PAYMENT_RECOVERIES_WRITE,
            S.PAYMENT_FUNDS_WRITE,
            S.PAYMENT_BANKFILES_READ,
            S.PAYMENT_BANKFILES_WRITE,
        ),
        Role.CITIZEN: frozenset(
            {
                S.ELIGIBILITY_SELF_CHECK,
                S.ELIGIBILITY_APPLICATIONS_READ,
                S.ELIGIBILITY_APPLICATIONS_WRITE,
                S.ELIGIBILITY_POLICIES_READ,
                S.VERIFICATION_CONSENTS_READ,
                S.VERIFICATION_CONSENTS_WRITE,
            }
        ),
        Role.CITIZEN_UNBOUND: frozenset({S.AUTH_IDENTITY_BIND}),
        Role.DEPARTMENT: frozenset({S.ELIGIBILITY_POLICIES_READ}),
        Role.THIRD_PARTY: frozenset({S.ELIGIBILITY_POLICIES_READ}),
    }
)
"""Role → scopes, for every `Role`. Read-only."""

ALL_SCOPES: frozenset[str] = frozenset(Scope)
"""Every scope the platform defines."""

PRIVILEGED_SCOPES: frozenset[str] = frozenset(
    {
        S.AUDIT_READ,
        S.PII_READ_FULL,
        S.AUTH_USERS_WRITE,
        S.AUTH_CLIENTS_WRITE,
        S.AUTH_KEYS_ROTATE,
        S.AUTH_IDENTITY_BIND,
        S.AUTH_PASSWORD_CHANGE,
        S.ELIGIBILITY_HOUSEHOLDS_RESOLVE,
    }
)
"""Scopes never granted to a department or third-party client: staff roles carry them, an
unbound citizen's token carries `auth:identity:bind` only, and `eligibility:households:resolve`
is held by no role at all: only the gateway's own service token (kind `service`, minted for one
real-name binding) carries it."""

SERVICE_SCOPES: frozenset[str] = frozenset({S.ELIGIBILITY_HOUSEHOLDS_RESOLVE})
"""Scopes only a platform service's own token carries (kind `service`): no role maps to them."""

AGREEMENT_ONLY_SCOPES: frozenset[str] = frozenset(
    {
        S.VERIFICATION_NOTICES_PUSH,
        S.VERIFICATION_EXCHANGE_SEARCH,
        S.VERIFICATION_EXCHANGE_SUBSCRIBE,
        S.PROCUREMENT_BIDS_WRITE,
        S.PROCUREMENT_DELIVERY_WRITE,
    }
)
"""Scopes no role holds: a department client gets them in its data-sharing agreement only, a
social organisation (third-party client, 承接主体) in its procurement agreement only."""

CITY_WIDE_ROLES: frozenset[str] = frozenset({Role.CITY_ADMIN, Role.AUDITOR, Role.PROCUREMENT_OFFICER})
"""Staff roles that see the whole city when the token carries no region. Procurement officers
work at the city bureau (the provider registry is city-wide) and hold no household scope."""

HOUSEHOLD_DATA_SCOPES: frozenset[str] = frozenset({S.MONITORING_HOUSEHOLDS_READ, S.ELIGIBILITY_APPLICATIONS_READ})
"""Scopes that let a department or third party touch household records at all."""


def scopes_for_roles(roles: Iterable[str], table: Mapping[str, frozenset[str]] = ROLE_SCOPES) -> frozenset[str]:
    """The union of the scopes of `roles`; unknown roles grant nothing (deny by default)."""
    if isinstance(roles, str):
        raise TypeError("roles must be a collection of role names, not one string")
    granted: set[str] = set()
    for role in roles:
        granted |= table.get(role, frozenset())
    return frozenset(granted)
