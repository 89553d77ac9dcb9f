"""Peak memory of a burst of sign-ins against the gateway's argon2id hasher, by concurrency bound.

Each configuration runs in a fresh Python process (peak RSS is per process): it builds the
gateway's `SecretHasher` with the production parameters (time cost 3, 64 MiB, parallelism 4) and
`--max-concurrent` N (0: unbounded, i.e. as many as the default thread pool runs), fires BURST
password verifications at once, and reports the process's peak RSS, its growth over the idle
process, and the burst's wall time. The gateway's k8s memory limit is set from these figures.

    make bench-argon2                      # or: python gateway/bench/bench_argon2_memory.py --burst 40
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def burst(max_concurrent: int, count: int) -> dict[str, float]:
    from gateway.identity.adapters.crypto import SecretHasher

    bound = max_concurrent if max_concurrent > 0 else 10_000
    hasher = SecretHasher(time_cost=3, memory_cost_kib=65536, parallelism=4, max_concurrent=bound)
    hashed = await hasher.hash("a-Correct-Horse-Battery")
    idle = peak_rss_mib()
    started = time.perf_counter()
    results = await asyncio.gather(*(hasher.verify(hashed, f"wrong-{i}") for i in range(count)))
    elapsed = time.perf_counter() - started
    assert not any(results)
    return {"idle_mib": idle, "peak_mib": peak_rss_mib(), "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=40, help="concurrent sign-ins (default 40)")
    parser.add_argument("--bounds", default="1,2,4,0", help="max_concurrent values to compare (0: unbounded)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(asyncio.run(burst(args.child, args.burst))))
        return
    print(f"burst of {args.burst} argon2id verifications (t=3, m=64 MiB, p=4), one process per bound")
    print(f"{'max_concurrent':>15} {'peak RSS MiB':>13} {'growth MiB':>11} {'burst s':>8} {'per sign-in ms':>15}")
    for bound in (int(b) for b in args.bounds.split(",")):
        out = subprocess.run(  # noqa: S603 (this very script, with our own arguments)
            [sys.executable, __file__, "--burst", str(args.burst), "--child", str(bound)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        label = str(bound) if bound else "unbounded"
        growth = r["peak_mib"] - r["idle_mib"]
        print(
            f"{label:>15} {r['peak_mib']:>13.0f} {growth:>11.0f} {r['seconds']:>8.2f} "
            f"{1000 * r['seconds'] / args.burst:>15.0f}"
        )


if __name__ == "__main__":
    main()
