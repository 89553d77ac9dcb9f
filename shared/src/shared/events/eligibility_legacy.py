"""Superseded eligibility event versions: only their upcasters remain (old messages on the
topic, and in dead-letter queues, still parse)."""

from __future__ import annotations

from typing import Any


def upcast_application_submitted_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: v1 knew the county only (`town_code` is null). A payload that is not an object
    is passed on unchanged, so validation reports it as the invalid payload it is."""
    data = obj.get("data")
    if isinstance(data, dict):
        data = {**data, "town_code": data.get("town_code")}
    return {**obj, "type": "eligibility.application_submitted.v2", "data": data}
