"""Seeded, deterministic synthetic Guiyang households in the ``AssessmentCreate`` shape.

See ``jiuzhu_synthetic.generator`` for the target shares and the construction rules.
"""

from jiuzhu_synthetic.generator import (
    GENERATOR_VERSION,
    Band,
    Household,
    Labels,
    expected_band,
    generate,
    generate_with_labels,
    target_band_shares,
)

__all__ = [
    "GENERATOR_VERSION",
    "Band",
    "Household",
    "Labels",
    "expected_band",
    "generate",
    "generate_with_labels",
    "target_band_shares",
]
