"""A large bank file is written on several cores (PostgreSQL): its lines split by account, the
first part by the calling process and each other by a helper process that reads its part from
the database; the parts joined in account order give, byte for byte, the file one process
writes (pain.001 and CSV, whose 序号 run on across the parts)."""

from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID

import pytest

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.testing import ServiceHarness
from payment.payroll import service
from payment.payroll.adapters.repository import InstructionRepository
from payment.payroll.bankfile import FileProcesses, JoinedFile, write_batch
from payment.settings import DEV_DEBTOR, Settings
from payment.testing import COUNTY, approved, caseworker, deliver, officer, resident

RUNS = "/v1/payment/payroll-runs"
PAYEES = 24


@pytest.fixture
def pg_h(tier_h: ServiceHarness) -> ServiceHarness:
    if tier_h.runtime.database.dialect != "postgresql":
        pytest.skip("helper processes read PostgreSQL (SQLite files are written by the process alone)")
    return tier_h


async def exported_run(h: ServiceHarness) -> UUID:
    """A run of PAYEES payees, two lines each (November's arrears and December), exported."""
    for n in range(PAYEES):
        payee = resident(f"52010219600101{n:03d}")
        _, event = approved(payee, "2026-11", gap=f"{500 + n}.00")
        await deliver(h, event)
        body = {
            "resident_id": payee,
            "holder_name": f"王{n}",
            "account_number": "6222021234567890128",
            "bank_name": "中国工商银行贵阳南明支行",
            "county_code": COUNTY,
            "effective_from": "2026-01-01",
        }
        recorded = await h.client.post("/v1/payment/payee-accounts", json=body, headers=caseworker(h))
        assert recorded.status_code == 201, recorded.text
        account = recorded.json()["account_id"]
        confirm = await h.client.post(f"/v1/payment/payee-accounts/{account}/confirm", headers=officer(h, "officer-a"))
        assert confirm.status_code == 200, confirm.text
    opened = await h.client.post(RUNS, json={"period": "2026-12", "county_code": COUNTY})
    run_id = opened.json()["id"]
    for step, by, body in (
        ("calculate", "officer-a", None),
        ("approve", "officer-b", {}),
        ("export", "officer-a", None),
    ):
        done = await h.client.post(f"{RUNS}/{run_id}/{step}", json=body, headers=officer(h, by))
        assert done.status_code == 200, done.text
    return UUID(run_id)


@pytest.mark.parametrize("file_format", ["pain001", "csv"])
async def test_a_file_written_in_parts_is_the_file_one_process_writes(pg_h: ServiceHarness, file_format: str) -> None:
    h = pg_h
    run_id = await exported_run(h)
    settings = h.runtime.settings
    assert isinstance(settings, Settings)
    async with h.runtime.database.read() as session:
        run = await service.get_run(session, RegionScope(AccessLevel.COUNTY, region_code=COUNTY), run_id)
        bounds = await InstructionRepository(session).account_bounds(run_id, 3)
    assert len(bounds) == 2  # three parts: this process and two helpers

    alone = await write_batch(h.runtime.database, run, DEV_DEBTOR, file_format, now=h.runtime.now())  # type: ignore[arg-type]
    parts = await write_batch(
        h.runtime.database,
        run,
        DEV_DEBTOR,
        file_format,  # type: ignore[arg-type]
        now=h.runtime.now(),
        processes=FileProcesses(settings, processes=3, from_lines=1),
    )

    expected, got = alone.read(), parts.read()
    assert got == expected
    assert expected.count(b"\n") >= 2 * PAYEES


def test_a_joined_file_reads_its_pieces_in_order_without_copying_them(tmp_path: Path) -> None:
    first, second = tmp_path / "part-0", tmp_path / "part-1"
    first.write_bytes(b"0123456789")
    second.write_bytes(b"")  # a part may be empty
    third = tmp_path / "part-2"
    third.write_bytes(b"abcdef")
    closed: list[bool] = []
    joined = JoinedFile([b"<head>", str(first), str(second), str(third), b"<tail>"], lambda: closed.append(True))

    assert joined.seek(0, os.SEEK_END) == 28  # the size, as a caller finds it
    joined.seek(0)
    chunks = []
    while chunk := joined.read(4):  # chunks across the pieces' edges
        chunks.append(chunk)
    assert b"".join(chunks) == b"<head>0123456789abcdef<tail>"
    joined.seek(14)
    assert joined.read() == b"89abcdef<tail>"
    assert not closed
    joined.close()
    joined.close()
    assert closed == [True]  # once
