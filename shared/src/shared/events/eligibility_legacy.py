"""Superseded eligibility event versions: only their upcasters remain (old messages on the
topic, and in dead-letter queues, still parse)."""

from __future__ import annotations

from typing import Any


def upcast_application_submitted_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: v1 knew the county only (`town_code` is null)."""
    data = dict(obj.get("data") or {})
    data.setdefault("town_code", None)
    return {**obj, "type": "eligibility.application_submitted.v2", "data": data}
