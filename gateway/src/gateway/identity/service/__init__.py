"""Identity use cases, one module per caller:

- `staff`: staff sign-in (password, TOTP) and changing one's own password;
- `citizens`: a citizen's sign-in code, sign-in and real-name binding;
- `sessions`: refresh-token rotation and logout (staff and citizens);
- `oauth`: OAuth2 client credentials for departments and third parties;
- `admin`: users, clients, TOTP enrolment, disabling, key rotation, housekeeping;

over what they share: `context` (the dependencies, configuration and sign-in throttle),
`lockout` (the lock-out steps of the sign-ins) and `tokens` (minting tokens).
`IdentityService` holds one of each, built once (`IdentityService.build`): the routes, the
command line and the embedded mode call `identity.staff.login(...)`,
`identity.admin.create_user(...)`.

Each use case is the unit-of-work edge of its part (like a worker's `database.transaction()`)
and opens its own short transactions. It has to, because many refusals must be *stored* (a
failed login counts towards a lockout and is audited) while the answer is an error: the state
change commits, then the refusal is raised. Slow work (argon2) runs between transactions, never
inside one. Decisions come from `gateway.identity.domain.rules`; these modules only load,
decide, store and audit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from gateway.identity.adapters.audit import AuditLog
from gateway.identity.adapters.clients import CodeSender, RealNameVerifier
from gateway.identity.adapters.crypto import SecretHasher
from gateway.identity.adapters.households import HouseholdDirectory, LocalHouseholds
from gateway.identity.keys import SigningKeys
from gateway.identity.revocation import RevocationList
from gateway.identity.service.admin import Administration
from gateway.identity.service.citizens import CitizenSignIn
from gateway.identity.service.context import IdentityConfig, IdentityContext, LoginThrottle
from gateway.identity.service.oauth import ClientCredentials
from gateway.identity.service.sessions import Sessions
from gateway.identity.service.staff import StaffSignIn
from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import KeyRing


@dataclass(frozen=True, slots=True)
class IdentityService:
    context: IdentityContext
    staff: StaffSignIn
    citizens: CitizenSignIn
    sessions: Sessions
    clients: ClientCredentials
    admin: Administration

    @classmethod
    def build(
        cls,
        *,
        database: Database,
        ring: KeyRing,
        keys: SigningKeys,
        hasher: SecretHasher,
        audit: AuditLog,
        revocations: RevocationList,
        code_sender: CodeSender,
        real_name: RealNameVerifier,
        households: HouseholdDirectory | None = None,
        config: IdentityConfig,
        clock: Callable[[], datetime],
        random_below: Callable[[int], int] = secrets.randbelow,
    ) -> IdentityService:
        """`households`: where real-name binding finds a household (eligibility's register when
        the gateway has that upstream); the gateway's own map without one."""
        context = IdentityContext(
            database=database,
            ring=ring,
            keys=keys,
            hasher=hasher,
            audit=audit,
            revocations=revocations,
            config=config,
            clock=clock,
            throttle=LoginThrottle(config.login_attempts_per_minute, config.login_ip_attempts_per_minute),
        )
        return cls(
            context=context,
            staff=StaffSignIn(context),
            citizens=CitizenSignIn(
                context,
                code_sender=code_sender,
                real_name=real_name,
                households=households or LocalHouseholds(database, ring),
                random_below=random_below,
            ),
            sessions=Sessions(context),
            clients=ClientCredentials(context),
            admin=Administration(context),
        )
