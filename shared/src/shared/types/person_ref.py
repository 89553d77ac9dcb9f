"""`PersonRef`: how events name a person without a clear resident ID (人员标识).

Events never carry a clear 公民身份号码. To match one person across services (a death notice
against the register, a payee against a case, duplicates across counties) they carry a
**person reference**: a keyed pseudonym of the resident ID, plus the masked ID for humans.

- ``ref`` is ``pr1_`` followed by 52 lower-case base32 characters (RFC 4648 alphabet, no
  padding): the 32 bytes of ``HMAC-SHA256(person_ref_key, domain ‖ canonical resident ID)``
  under one city-wide pseudonymisation key. Equal refs mean the same person; a ref reveals
  nothing to whoever lacks the key. ``pr1`` names the scheme (key and algorithm): a new key
  would be ``pr2_`` so that refs of two schemes are never compared by mistake.
- ``masked_id`` is the ID as ``shared.types.mask_resident_id`` masks it
  (``5201**********123X``): for caseworkers to read, never to match on.

This module only *checks the shape*: shared depends on pydantic only and holds no key. The
one function that computes a reference is ``jiuzhu_platform.person_ref.person_ref``.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PERSON_REF_PREFIX: Final = "pr1_"
PERSON_REF_LENGTH: Final = len(PERSON_REF_PREFIX) + 52  # base32 of 32 bytes, unpadded
PERSON_REF_PATTERN: Final = r"^pr1_[a-z2-7]{52}$"
MASKED_RESIDENT_ID_PATTERN: Final = r"^[0-9]{4}\*{10}[0-9]{3}[0-9X]$"

_PERSON_REF_RE: Final = re.compile(PERSON_REF_PATTERN)

PseudonymRef: TypeAlias = Annotated[
    str,
    StringConstraints(pattern=PERSON_REF_PATTERN, min_length=PERSON_REF_LENGTH, max_length=PERSON_REF_LENGTH),
]
"""The pseudonym alone: ``pr1_`` + 52 lower-case base32 characters."""

MaskedResidentId: TypeAlias = Annotated[
    str,
    StringConstraints(pattern=MASKED_RESIDENT_ID_PATTERN, min_length=18, max_length=18),
]
"""An 18-character resident ID as ``mask_resident_id`` masks it: 4 digits, 10 ``*``, 4 characters."""


def is_person_ref(value: str) -> bool:
    """Whether ``value`` has the shape of a person reference pseudonym (``pr1_…``)."""
    return bool(_PERSON_REF_RE.fullmatch(value))


class PersonRef(BaseModel):
    """人员标识: a person as events name them, a keyed pseudonym plus the masked ID.

    Match people on ``ref`` only (equal refs, same person, under the same key); show
    ``masked_id`` to people. Built by ``jiuzhu_platform.person_ref.person_ref(resident_id, key)``
    in the services that hold the city-wide pseudonymisation key; everyone else only
    compares and forwards it.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    ref: PseudonymRef = Field(description="Keyed pseudonym of the resident ID (HMAC-SHA256, city-wide key)")
    masked_id: MaskedResidentId = Field(description="The resident ID masked for humans (5201**********123X)")
