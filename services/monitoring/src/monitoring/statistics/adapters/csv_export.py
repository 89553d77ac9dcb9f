"""The statistics as CSV (UTF-8 with a byte-order mark, so Excel opens the Chinese headers):
one row per area and the total, headers in Chinese and English."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from monitoring.statistics.domain.model import (
    CATEGORIES,
    CATEGORY_ZH,
    PROGRAMME_ZH,
    PROGRAMMES,
    AreaFigures,
    Statistics,
)
from shared.types import from_fen

_FIXED = (
    ("month", "月份"),
    ("area", "地区代码"),
    ("households", "监测户数"),
)


def _rate(value: float | None) -> Decimal | str:
    """A share as a percentage with two places ("" for none)."""
    return "" if value is None else (Decimal(str(value)) * 100).quantize(Decimal("0.01"))


def header() -> list[str]:
    columns = [f"{zh} {en}" for en, zh in _FIXED]
    for c in CATEGORIES:
        columns.append(f"{CATEGORY_ZH[c]}在保 active_{c}")
    for c in CATEGORIES:
        columns.append(f"{CATEGORY_ZH[c]}新增 approved_{c}")
    for c in CATEGORIES:
        columns.append(f"{CATEGORY_ZH[c]}退出 terminated_{c}")
    columns += [
        "集中供养率% centralised_rate",
        "检出率% discovery_rate",
        "本月预警 alerts_raised",
        "待处置 alerts_open",
        "逾期 alerts_overdue",
        "本月处置 alerts_closed",
        "平均处置天数 mean_disposal_days",
        "低保零报告 dibao_zero_report",
        "临时救助户数(12个月) temporary_households",
        "本月临时救助金额(元) temporary_granted",
        "本月发放到账(元) paid",
    ]
    columns += [f"{PROGRAMME_ZH[p]}发放(元) paid_{p}" for p in PROGRAMMES]
    return columns


def row(month: str, area: AreaFigures) -> list[str]:
    return [str(v) for v in values(month, area)]


def values(month: str, area: AreaFigures) -> list[object]:
    """The row of `header()` for an area, as values (numbers as numbers, rates in percent)."""
    n = area.counts
    cells: list[object] = [month, area.area_code, n.households]
    cells += [n.active.get(c, 0) for c in CATEGORIES]
    cells += [n.approved.get(c, 0) for c in CATEGORIES]
    cells += [n.terminated.get(c, 0) for c in CATEGORIES]
    cells += [
        _rate(area.centralised_rate),
        _rate(area.discovery_rate),
        n.alerts_raised,
        n.alerts_open,
        n.alerts_overdue,
        n.alerts_closed,
        "" if area.mean_disposal_days is None else area.mean_disposal_days,
        "是" if area.zero_report else "否",
        n.temporary_households,
        from_fen(n.temporary_fen),
        from_fen(n.paid_fen),
    ]
    cells += [from_fen(n.paid_by_programme.get(p, 0)) for p in PROGRAMMES]
    return cells


def to_csv(stats: Statistics) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header())
    for area in (*stats.areas, stats.total):
        writer.writerow(row(stats.month, area))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
