"""Write synthetic households as JSON lines, streaming (one household in memory at a time).

    python -m jiuzhu_synthetic --seed 1 --count 1000 [--start 0] [--out households.jsonl]
        [--benefit-month 2026-03] [--months 12] [--labels labels.jsonl]

Each line is one ``AssessmentCreate``-shaped household (UTF-8, compact separators). With
``--labels``, a second file gets one line per household with the generator's latent labels
(``index``, ``band``, …) in the same order.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import IO

from jiuzhu_synthetic.generator import generate_with_labels

_FLUSH_EVERY = 256


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jiuzhu_synthetic",
        description="Seeded synthetic Guiyang households (AssessmentCreate JSON lines).",
    )
    parser.add_argument("--seed", type=int, required=True, help="the population seed")
    parser.add_argument("--count", type=int, required=True, help="how many households")
    parser.add_argument("--start", type=int, default=0, help="index of the first household (default 0)")
    parser.add_argument("--out", default="-", help="output file (default: stdout)")
    parser.add_argument("--benefit-month", default="2026-03", help="YYYY-MM (default 2026-03)")
    parser.add_argument("--months", type=int, default=12, help="monthly income values per item, 1-24 (default 12)")
    parser.add_argument("--labels", default=None, help="also write the latent labels here (JSON lines)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        rows = generate_with_labels(
            args.seed, args.count, start=args.start, benefit_month=args.benefit_month, months=args.months
        )
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out: IO[bytes] = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")  # noqa: SIM115
    labels_out: IO[bytes] | None = open(args.labels, "wb") if args.labels else None  # noqa: SIM115
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    try:
        lines: list[str] = []
        label_lines: list[str] = []
        for household, labels in rows:
            lines.append(encode(household))
            if labels_out is not None:
                label_lines.append(encode(dataclasses.asdict(labels)))
            if len(lines) >= _FLUSH_EVERY:
                _flush(out, lines, labels_out, label_lines)
        _flush(out, lines, labels_out, label_lines)
        out.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, like other Unix filters.
        sys.stderr.close()
        return 0
    finally:
        if out is not sys.stdout.buffer:
            out.close()
        if labels_out is not None:
            labels_out.close()
    return 0


def _flush(out: IO[bytes], lines: list[str], labels_out: IO[bytes] | None, label_lines: list[str]) -> None:
    if lines:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))
        lines.clear()
    if labels_out is not None and label_lines:
        labels_out.write(("\n".join(label_lines) + "\n").encode("utf-8"))
        label_lines.clear()


if __name__ == "__main__":
    raise SystemExit(main())
