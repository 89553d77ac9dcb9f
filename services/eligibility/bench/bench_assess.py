"""Benchmark: full assessments (classification, amounts, explanation data) per second over a
synthetic population, against a baseline that evaluates only the bare 补差 formula over the
same households in the same run, so the ratio means something on a noisy machine.

    uv run python services/eligibility/bench/bench_assess.py --count 1000000

Households are generated lazily in chunks (never a city in memory). Per chunk the script
times, separately: generation, conversion to the rules' input, the baseline, and the full
assessment. Reported: households/s for each, the full/baseline time ratio, and peak RSS.
Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from tqdm import tqdm

from eligibility.assessment.domain.model import HouseholdFacts, MemberFacts, TemporaryFacts
from eligibility.assessment.domain.rules import assess, dibao_baseline
from eligibility.policy.adapters.policy_files import policy_book
from jiuzhu_synthetic import generate
from shared.types import Period, ResidentId, to_centi_m2, to_fen

SELF_CARE = ("eating", "dressing", "bed_transfer", "toileting", "indoor_walking", "bathing")


def fen(text: str) -> int:
    """A money string of the generator ("1234.56") → fen, exactly (`shared.types.to_fen`)."""
    return to_fen(Decimal(text))


def facts(d: dict[str, Any]) -> HouseholdFacts:
    """The same conversion as the API's (the shared value types and unit helpers), from the generator's
    dicts without building the request model."""
    members = []
    for m in d["members"]:
        disability = m.get("disability")
        care = m.get("self_care") or {}
        resident_id = ResidentId(m["resident_id"])
        members.append(
            MemberFacts(
                m["member_id"],
                resident_id.birth_date,
                resident_id.masked(),
                m["relationship"],
                m.get("co_resident", True),
                m.get("status", "none"),
                m.get("in_full_time_education", False),
                m.get("able_to_live_independently", True),
                m.get("has_labour_capacity", True),
                disability["category"] if disability else None,
                disability["grade"] if disability else None,
                m.get("serious_illness", False),
                m.get("sanwu", False),
                sum(1 for k in SELF_CARE if care.get(k) is False),
                m.get("has_able_supporter", True),
                tuple((i["category"], tuple(fen(x) for x in i["monthly"])) for i in m.get("incomes", ())),
            )
        )
    assets = d["assets"]
    rigid = d.get("rigid_expenditure_12m")
    temporary = d.get("temporary")
    current = d.get("current_case")
    return HouseholdFacts(
        d["region_code"],
        d["hukou_type"],
        Period.parse(d["benefit_month"]).first_day,
        tuple(members),
        fen(assets["financial"]),
        tuple((fen(v["value"]), v["purpose"]) for v in assets.get("vehicles", ())),
        assets.get("dwellings", 0),
        to_centi_m2(Decimal(assets["floor_area_m2"])),
        assets.get("company_shareholding", False),
        None
        if rigid is None
        else (fen(rigid["medical"]), fen(rigid["education"]), fen(rigid["rehabilitation"]), fen(rigid["living"])),
        d.get("irregular_income", False),
        d.get("single_person_member_id"),
        None
        if temporary is None
        else TemporaryFacts(
            temporary["kind"],
            temporary["cause"],
            fen(temporary["requested"]),
            temporary.get("prior_grants_same_cause_12m", 0),
        ),
        None if current is None else fen(current["monthly_benefit"]),
        bool(current and current.get("income_rise_from_employment")),
        None,
        None,
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--month", default="2026-03")
    args = parser.parse_args(argv)

    book = policy_book()
    timings = Counter[str]()
    categories = Counter[str]()
    checksum_full = checksum_base = 0
    done = 0
    gc.freeze()
    rss_before = peak_rss_mib()
    progress = tqdm(total=args.count, unit="households", unit_scale=True, file=sys.stderr)
    while done < args.count:
        size = min(args.chunk, args.count - done)
        t0 = time.perf_counter()
        raw = list(generate(args.seed, size, start=done, benefit_month=args.month))
        t1 = time.perf_counter()
        households = [facts(d) for d in raw]
        del raw
        t2 = time.perf_counter()
        policies = [
            book.resolve(h.region_code, "urban" if h.hukou == "urban" else "rural", h.benefit_month) for h in households
        ]
        t3 = time.perf_counter()
        for h, p in zip(households, policies, strict=True):
            checksum_base += dibao_baseline(h, p)
        t4 = time.perf_counter()
        for h, p in zip(households, policies, strict=True):
            a = assess(h, p)
            categories[a.category] += 1
            checksum_full += a.monthly_total
        t5 = time.perf_counter()
        timings["generate"] += t1 - t0
        timings["convert"] += t2 - t1
        timings["resolve"] += t3 - t2
        timings["baseline"] += t4 - t3
        timings["full"] += t5 - t4
        done += size
        progress.update(size)
    progress.close()

    def rate(key: str) -> str:
        return f"{done / timings[key]:>12,.0f} households/s  ({timings[key]:.2f} s)"

    print(f"households           {done:,} (seed {args.seed}, benefit month {args.month}, chunks of {args.chunk:,})")
    print(f"generate (synthetic) {rate('generate')}")
    print(f"convert to facts     {rate('convert')}")
    print(f"baseline (补差 only)  {rate('baseline')}")
    print(f"full assessment      {rate('full')}")
    print(f"full / baseline      {timings['full'] / timings['baseline']:.1f}× the baseline's time per household")
    print(f"peak RSS             {peak_rss_mib():.0f} MiB (before the loop {rss_before:.0f} MiB)")
    print("categories           " + ", ".join(f"{k} {v / done:.2%}" for k, v in categories.most_common()))
    print(f"checksums            full {checksum_full} fen, baseline {checksum_base} fen")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
