"""The statistics as an Excel workbook (XlsxWriter, written in memory): the table of every area
(the CSV's columns, numbers as numbers) and the upward report (上报) in a fixed layout — the
same indicator rows in the same order every month, one column per area and the total — that a
county or the city files with the province."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import xlsxwriter

from monitoring.statistics.adapters.csv_export import header, values
from monitoring.statistics.domain.model import (
    CATEGORIES,
    CATEGORY_ZH,
    PROGRAMME_ZH,
    PROGRAMMES,
    AreaFigures,
    Statistics,
)
from shared.types import from_fen

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Indicator = tuple[str, str, str, Callable[[AreaFigures], object]]
"""(code, name, unit, value of an area)."""


def _rate(value: float | None) -> object:
    return "" if value is None else (Decimal(str(value)) * 100).quantize(Decimal("0.01"))


REPORT: tuple[Indicator, ...] = (
    ("A01", "低收入人口监测户数 households in the register", "户", lambda a: a.counts.households),
    *(
        (
            f"B{i + 1:02d}",
            f"{CATEGORY_ZH[c]}在保 active {c}",
            "件",
            lambda a, c=c: a.counts.active.get(c, 0),
        )
        for i, c in enumerate(CATEGORIES)
    ),
    *(
        (
            f"C{i + 1:02d}",
            f"{CATEGORY_ZH[c]}本月新增 new {c}",
            "件",
            lambda a, c=c: a.counts.approved.get(c, 0),
        )
        for i, c in enumerate(CATEGORIES)
    ),
    *(
        (
            f"D{i + 1:02d}",
            f"{CATEGORY_ZH[c]}本月退出 ended {c}",
            "件",
            lambda a, c=c: a.counts.terminated.get(c, 0),
        )
        for i, c in enumerate(CATEGORIES)
    ),
    (
        "E01",
        "临时救助户数（12个月） temporary assistance households, 12 months",
        "户",
        lambda a: a.counts.temporary_households,
    ),
    ("E02", "本月临时救助金额 temporary assistance granted", "元", lambda a: from_fen(a.counts.temporary_fen)),
    ("E03", "本月发放到账金额 paid to households", "元", lambda a: from_fen(a.counts.paid_fen)),
    *(
        (
            f"E{i + 4:02d}",
            f"{PROGRAMME_ZH[p]}本月发放 paid, {p}",
            "元",
            lambda a, p=p: from_fen(a.counts.paid_by_programme.get(p, 0)),
        )
        for i, p in enumerate(PROGRAMMES)
    ),
    ("F01", "特困集中供养率 care-home share of 特困", "%", lambda a: _rate(a.centralised_rate)),
    ("F02", "检出率 found by monitoring", "%", lambda a: _rate(a.discovery_rate)),
    ("G01", "本月预警 alerts raised", "条", lambda a: a.counts.alerts_raised),
    ("G02", "待处置预警 open alerts", "条", lambda a: a.counts.alerts_open),
    ("G03", "逾期预警 overdue alerts", "条", lambda a: a.counts.alerts_overdue),
    ("G04", "本月处置预警 alerts disposed of", "条", lambda a: a.counts.alerts_closed),
    ("G05", "平均处置天数 mean days to disposition", "天", lambda a: a.mean_disposal_days or ""),
    ("H01", "低保零报告 dibao zero report", "是/否", lambda a: "是" if a.zero_report else "否"),
)
"""The upward report's rows: fixed codes and order (a new indicator gets a new code at the end of
its group; a code is never reused)."""


def to_xlsx(stats: Statistics) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    table = book.add_worksheet("统计 figures")
    table.write_row(0, 0, header(), bold)
    for r, area in enumerate((*stats.areas, stats.total), start=1):
        table.write_row(r, 0, values(stats.month, area))
    table.freeze_panes(1, 2)

    report = book.add_worksheet("上报 report")
    scope = f"县（区）{stats.scope_code} 各乡镇" if stats.scope_code else "全市各县（区）"
    report.write(0, 0, f"低收入人口动态监测统计月报 Monthly monitoring report — {stats.month}", bold)
    report.write(1, 0, f"填报范围 scope: {scope}")
    areas = (*stats.areas, stats.total)
    report.write_row(3, 0, ["指标代码 code", "指标名称 indicator", "单位 unit", *[a.area_code for a in areas]], bold)
    for r, (code, name, unit, value_of) in enumerate(REPORT, start=4):
        report.write_row(r, 0, [code, name, unit, *[value_of(a) for a in areas]])
    report.set_column(1, 1, 48)
    book.close()
    return out.getvalue()
