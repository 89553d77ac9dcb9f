"""Floor area as integer hundredths of a square metre (centi-m²)."""

from __future__ import annotations

from decimal import Decimal

from shared.types.errors import InvalidArea
from shared.types.money import _hundredths_text, _scaled_exactly


def to_centi_m2(area_m2: Decimal | int) -> int:
    """Square metres → integer hundredths of a square metre (m² × 100), exactly:
    ``to_centi_m2(Decimal("61.37")) == 6137``. Strict: an area finer than 0.01 m² raises
    ``InvalidArea`` (``area_precision``) instead of being truncated."""
    scaled = _scaled_exactly(area_m2, 2)
    if scaled is None:
        raise InvalidArea(
            "area_precision",
            f"floor area {area_m2} has more than two decimal places (or is not finite)",
            "面积最多保留两位小数",
        )
    return scaled


def format_centi_m2(centi_m2: int) -> str:
    """Hundredths of a square metre as square metres with two places:
    ``format_centi_m2(6137) == "61.37"``."""
    return _hundredths_text(centi_m2)
