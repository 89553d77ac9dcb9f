"""The dashboard's charts as server-side SVG (no script, no web font, no CDN: the page works
offline and the same picture can go into a report). Bars by area, each area's label a link
that drills down (`#region=<county>`) when the rows are counties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from monitoring.statistics.domain.model import CATEGORIES, CATEGORY_ZH, AreaFigures, AreaLevel, Statistics

WIDTH = 760
LABEL = 150  # the area labels' column
ROW = 26
TOP = 58  # title and legend
PALETTE = ("#2f6db5", "#d9822b", "#3a9a5b", "#8e5bb5", "#c2464c", "#7a6a3a")
"""A colour per category (six: the five case categories and 防返贫), distinct from each other."""


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: Sequence[float]


def _label(area: AreaFigures, level: AreaLevel) -> str:
    if area.area_code == "":
        return "未填乡镇 (no town)"
    return area.area_code


def bar_chart(
    title: str,
    areas: Sequence[AreaFigures],
    level: AreaLevel,
    series: Sequence[Series],
    *,
    percent: bool = False,
) -> str:
    """Horizontal bars, one row per area; several series are stacked (or, for `percent`, one
    series on a 0–100% scale)."""
    height = TOP + ROW * max(len(areas), 1) + 20
    totals = [sum(s.values[i] for s in series) for i in range(len(areas))]
    scale_max = 1.0 if percent else max([*totals, 1])
    span = WIDTH - LABEL - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label={quoteattr(title)}>',
        f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    x = 0
    for s in series:
        parts.append(f'<rect x="{x}" y="30" width="12" height="12" fill="{s.color}"/>')
        parts.append(f'<text x="{x + 16}" y="41" font-size="12">{escape(s.name)}</text>')
        x += 24 + 13 * len(s.name)
    if not areas:
        parts.append(f'<text x="{LABEL}" y="{TOP + 16}" font-size="13" fill="#777">无数据 (no data)</text>')
    for i, area in enumerate(areas):
        y = TOP + i * ROW
        label = escape(_label(area, level))
        if level is AreaLevel.COUNTY and area.area_code:
            label = f'<a href="#region={escape(area.area_code)}" class="drill">{label}</a>'
        parts.append(f'<text class="area" x="0" y="{y + 16}" font-size="12">{label}</text>')
        left = float(LABEL)
        for s in series:
            value = s.values[i]
            width = span * value / scale_max if scale_max else 0
            if width > 0:
                parts.append(
                    f'<rect class="bar" x="{left:.1f}" y="{y + 3}" width="{width:.1f}" height="{ROW - 8}" '
                    f'fill="{s.color}"><title>{escape(s.name)}: {_value(value, percent)}</title></rect>'
                )
            left += width
        parts.append(
            f'<text x="{left + 6:.1f}" y="{y + 16}" font-size="12" fill="#333">{_value(totals[i], percent)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _value(value: float, percent: bool) -> str:
    return f"{value * 100:.1f}%" if percent else f"{value:,.0f}"


def charts(stats: Statistics) -> str:
    """The dashboard's panels for a month, as one HTML fragment of SVG charts."""
    areas = stats.areas
    by_category = [
        Series(CATEGORY_ZH[c], PALETTE[i % len(PALETTE)], [a.counts.active.get(c, 0) for a in areas])
        for i, c in enumerate(CATEGORIES)
    ]
    alerts = [
        Series("待处置 open", "#2f6db5", [a.counts.alerts_open for a in areas]),
        Series("逾期 overdue", "#c2464c", [a.counts.alerts_overdue for a in areas]),
        Series("本月已处置 closed", "#3a9a5b", [a.counts.alerts_closed for a in areas]),
    ]
    money = [
        Series("发放到账 paid", "#3a9a5b", [a.counts.paid_fen / 100 for a in areas]),
        Series("临时救助 temporary", "#d9822b", [a.counts.temporary_fen / 100 for a in areas]),
    ]
    with_tekun = [a for a in areas if a.centralised_rate is not None]  # a rate of no 特困 is no rate
    centralised = [Series("集中供养率 care-home share", "#8e5bb5", [a.centralised_rate or 0.0 for a in with_tekun])]
    return "\n".join(
        (
            bar_chart(f"在保对象（按类别） Active cases by category — {stats.month}", areas, stats.level, by_category),
            bar_chart("预警任务 Alerts", areas, stats.level, alerts),
            bar_chart("本月资金（元） Money to households this month, yuan", areas, stats.level, money),
            bar_chart("特困集中供养率 Care-home share of 特困", with_tekun, stats.level, centralised, percent=True),
        )
    )
