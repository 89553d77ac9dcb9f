"""Pure rules of the chain: a household's categories now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from monitoring.chain.domain.model import TEMPORARY, TEMPORARY_MONTHS, ChainRecord, Step


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, last)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def categories(active_case_categories: Iterable[str], records: Iterable[ChainRecord], today: date) -> list[str]:
    """The register categories of a household: those of its active cases, and 临时救助 when it
    was granted one in the last 12 months (DOMAIN-RULES §5.1)."""
    found = sorted(set(active_case_categories))
    since = months_before(today, TEMPORARY_MONTHS)
    if any(r.step is Step.TEMPORARY_GRANTED and since < r.occurred_on <= today for r in records):
        found.append(TEMPORARY)
    return found
