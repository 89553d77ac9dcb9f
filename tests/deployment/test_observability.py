"""The alert rules and the Grafana dashboard (deploy/k8s/components/observability) speak about
metrics that exist: every PromQL expression parses, and every metric it names is one the code
exports (the platform's technical metrics and the services' business metrics)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from jiuzhu_platform.metrics import Metrics
from tests.access.support import DEFINITIONS

OBSERVABILITY = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "components" / "observability"


def exported_metric_names() -> set[str]:
    """Sample names as Prometheus stores them (`_total`, `_bucket`, `_count`, `_sum` included)."""
    names: set[str] = set()
    for family in Metrics("any").registry.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}.get(family.type, ("",))
        names |= {family.name + suffix for suffix in suffixes}
    names |= {metric.name for definition in DEFINITIONS for metric in definition.business_metrics}
    return names


def selectors(node: Any) -> Iterator[str]:
    if type(node).__name__ == "VectorSelector":
        yield node.name
    for attribute in ("expr", "lhs", "rhs", "param", "vector_selector"):
        child = getattr(node, attribute, None)
        if child is not None and type(child).__module__ != "builtins":
            yield from selectors(child)
    for child in getattr(node, "args", None) or []:
        yield from selectors(child)


def rule_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load((OBSERVABILITY / "prometheus-rules.yaml").read_text(encoding="utf-8"))
    return [(rule["alert"], rule["expr"]) for group in rules["spec"]["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[tuple[str, str]]:
    dashboard = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text(encoding="utf-8"))
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel.get("targets", [])]


@pytest.mark.parametrize(("where", "expression"), rule_expressions() + dashboard_expressions())
def test_every_expression_parses_and_names_exported_metrics(where: str, expression: str) -> None:
    parsed = promql_parser.parse(expression)
    names = set(selectors(parsed))
    assert names, f"{where}: no metric in {expression!r}"
    unknown = names - exported_metric_names()
    assert not unknown, f"{where}: {sorted(unknown)} is not exported by the code"


def test_the_checks_can_fail() -> None:
    with pytest.raises(ValueError, match="parenthesis"):
        promql_parser.parse("sum by (job) (rate(outbox_lag_seconds[5m])")
    assert set(selectors(promql_parser.parse("rate(jiuzhu_nothing_total[5m])"))) - exported_metric_names()


def test_every_business_metric_is_on_the_dashboard() -> None:
    shown = {name for _, expression in dashboard_expressions() for name in selectors(promql_parser.parse(expression))}
    business = {metric.name for definition in DEFINITIONS for metric in definition.business_metrics}
    assert business <= shown, f"not on the dashboard: {sorted(business - shown)}"
