"""`python -m payment payroll`: the operator's command opens and calculates a county's run in its
own process (progress bar on the terminal, totals printed), and the run is then the API's like
any other (approval stays four-eyes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jiuzhu_platform.testing import ServiceHarness
from payment.testing import COUNTY, approved, deliver, resident


async def test_the_payroll_command_calculates_a_run(h: ServiceHarness) -> None:
    for n in range(3):
        _, event = approved(resident(f"52010219600101{n}61"), "2026-12", gap="500.00")
        await deliver(h, event)
    settings = h.runtime.settings
    ring = settings.model_dump()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")} | {
        "PAYMENT_ENV": "test",
        "PAYMENT_BUS": "inprocess",
        "PAYMENT_DATABASE_URL": settings.database_url.get_secret_value(),
        "PAYMENT_PII_KEYS": json.dumps({k: _secret(v) for k, v in ring["pii_keys"].items()}),
        "PAYMENT_PII_ACTIVE_KEY": ring["pii_active_key"],
        "PAYMENT_PII_INDEX_KEY": _secret(ring["pii_index_key"]),
        "PAYMENT_PERSON_REF_KEY": _secret(ring["person_ref_key"]),
    }

    done = subprocess.run(
        [sys.executable, "-m", "payment", "payroll", "--county", COUNTY, "--period", "2026-12", "--officer", "ops-1"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr.decode()
    assert '"count": 3' in done.stdout.decode()
    [run] = (await h.client.get("/v1/payment/payroll-runs")).json()["items"]
    assert (run["status"], run["calculated_by"]) == ("calculated", "ops-1")


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if getter else value)
