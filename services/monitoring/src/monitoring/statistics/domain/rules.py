"""Pure rules of the statistics: rates from counts, the 低保 zero-report, totals."""

from __future__ import annotations

from collections.abc import Sequence

from monitoring.statistics.domain.model import AreaCounts, AreaFigures, AreaLevel, Statistics
from shared.events.eligibility import CaseCategory

TOTAL = "total"
"""The area code of the row that sums the others."""


def rate(part: int, whole: int) -> float | None:
    """`part / whole` rounded to four places (a share, 0–1); None when there is no whole."""
    return None if whole <= 0 else round(part / whole, 4)


def figures(counts: AreaCounts) -> AreaFigures:
    """The published figures of an area from its counts."""
    dibao = CaseCategory.DIBAO.value
    return AreaFigures(
        area_code=counts.area_code,
        counts=counts,
        centralised_rate=rate(counts.tekun_centralised, counts.active.get(CaseCategory.TEKUN.value, 0)),
        discovery_rate=rate(counts.discovered, counts.households),
        mean_disposal_days=None if counts.alerts_closed == 0 else round(counts.disposal_days / counts.alerts_closed, 1),
        zero_report=counts.approved.get(dibao, 0) == 0 and counts.terminated.get(dibao, 0) == 0,
    )


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in sorted({*a, *b})}


def total_of(rows: Sequence[AreaCounts]) -> AreaCounts:
    """The counts of all `rows` together (the rates are recomputed, never averaged)."""
    total = AreaCounts(area_code=TOTAL)
    for row in rows:
        total = AreaCounts(
            area_code=TOTAL,
            households=total.households + row.households,
            discovered=total.discovered + row.discovered,
            active=_add(total.active, row.active),
            tekun_centralised=total.tekun_centralised + row.tekun_centralised,
            approved=_add(total.approved, row.approved),
            terminated=_add(total.terminated, row.terminated),
            alerts_raised=total.alerts_raised + row.alerts_raised,
            alerts_open=total.alerts_open + row.alerts_open,
            alerts_overdue=total.alerts_overdue + row.alerts_overdue,
            alerts_closed=total.alerts_closed + row.alerts_closed,
            disposal_days=total.disposal_days + row.disposal_days,
            temporary_households=total.temporary_households + row.temporary_households,
            temporary_fen=total.temporary_fen + row.temporary_fen,
            paid_fen=total.paid_fen + row.paid_fen,
            paid_by_programme=_add(total.paid_by_programme, row.paid_by_programme),
        )
    return total


def statistics(month: str, level: AreaLevel, scope_code: str | None, rows: Sequence[AreaCounts]) -> Statistics:
    """The month's table: a row per area in code order, and the total."""
    ordered = sorted(rows, key=lambda r: r.area_code)
    return Statistics(
        month=month,
        level=level,
        scope_code=scope_code,
        areas=tuple(figures(r) for r in ordered),
        total=figures(total_of(ordered)),
    )
