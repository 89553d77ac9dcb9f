"""The 核对报告 as a printable HTML page (rendered server-side with Jinja2, autoescaped): what a
caseworker prints for the application file. Labels in Chinese with the English term beside."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from verification.checks.api.schemas import CheckReport

TEMPLATE = "report.html.j2"
"""Beside this module (`checks/api/report.html.j2`)."""


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("verification.checks.api", ""),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def render(report: CheckReport) -> str:
    flagged = {d.item.value for d in report.summary.discrepancies}
    return str(_environment().get_template(TEMPLATE).render(r=report, s=report.summary, flagged=flagged))
