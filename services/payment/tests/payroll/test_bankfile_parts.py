"""A large bank file is written on several cores (PostgreSQL): its lines split by account, the
first part by the calling process and each other by a helper process that reads its part from
the database; the parts joined in account order give, byte for byte, the file one process
writes (pain.001 and CSV, whose 序号 run on across the parts)."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path
from uuid import UUID

import pytest

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.testing import ServiceHarness
from payment.bankfiles.adapters.pain001 import write_pain001_transfers
from payment.payroll import bankfile, service
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


async def account(
    h: ServiceHarness, payee: str, holder: str, bank_name: str = "工商银行贵阳南明支行", bank_code: str | None = None
) -> None:
    """The payee's account recorded and confirmed (by a second officer)."""
    body = {
        "resident_id": payee,
        "holder_name": holder,
        "account_number": "6222021234567890128",
        "bank_name": bank_name,
        "bank_code": bank_code,
        "county_code": COUNTY,
        "effective_from": "2026-01-01",
    }
    recorded = await h.client.post("/v1/payment/payee-accounts", json=body, headers=caseworker(h))
    assert recorded.status_code == 201, recorded.text
    account = recorded.json()["account_id"]
    confirm = await h.client.post(f"/v1/payment/payee-accounts/{account}/confirm", headers=officer(h, "officer-a"))
    assert confirm.status_code == 200, confirm.text


async def exported_run(h: ServiceHarness) -> UUID:
    """A run of PAYEES payees, two lines each (November's arrears and December), exported."""
    for n in range(PAYEES):
        payee = resident(f"52010219600101{n:03d}")
        _, event = approved(payee, "2026-11", gap=f"{500 + n}.00")
        await deliver(h, event)
        await account(h, payee, f"王{n}")
    return await export(h)


async def export(h: ServiceHarness) -> UUID:
    """December's run of the county calculated, approved and exported."""
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


async def test_helpers_started_for_a_file_too_small_for_them_are_stopped(
    pg_h: ServiceHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helper processes start before the file's size is known (they import while its parts
    are found); a file too small for them is written by the process alone, and none of them is
    left running."""
    h = pg_h
    run_id = await exported_run(h)
    settings = h.runtime.settings
    assert isinstance(settings, Settings)
    started: list[asyncio.subprocess.Process] = []
    start = bankfile._start_helper

    async def recorded() -> asyncio.subprocess.Process:
        started.append(await start())
        return started[-1]

    monkeypatch.setattr(bankfile, "_start_helper", recorded)
    async with h.runtime.database.read() as session:
        run = await service.get_run(session, RegionScope(AccessLevel.COUNTY, region_code=COUNTY), run_id)

    alone = await write_batch(h.runtime.database, run, DEV_DEBTOR, "pain001", now=h.runtime.now())
    small = await write_batch(
        h.runtime.database,
        run,
        DEV_DEBTOR,
        "pain001",
        now=h.runtime.now(),
        processes=FileProcesses(settings, processes=3, from_lines=10 * PAYEES),
    )

    with small, alone:
        assert small.read() == alone.read()
    assert len(started) == 3
    assert all(helper.returncode is not None for helper in started)  # killed and waited for


async def test_the_database_renders_pain001_lines_as_the_writer_does(pg_h: ServiceHarness) -> None:
    """On PostgreSQL the database renders pain.001's lines from the writer's own pieces, a payee
    at a time (`bankfile._rendered`); they are, byte for byte, what `write_pain001_transfers`
    makes of the same run's transfers: amounts of a few fen, months of arrears, names to
    escape, a bank without its 联行号 (the default one), a component with no text of its own."""
    h = pg_h
    payees = [
        (resident("52010219600101601"), "2026-09", {"gap": "0.05", "supplement": "120.00", "price_subsidy": "35.10"}),
        (resident("52010219600101602"), "2026-12", {"gap": "1000.00"}),
        (resident("52010219600101603"), "2026-11", {"gap": "600.00", "supplement": "0.50"}),
    ]
    banks = [
        ("农商行 A&B <南明> 支行", None),
        ("中国工商银行贵阳南明支行", "102701000019"),
        ('贵阳银行 "云岩"', "313701098010"),
    ]
    for (payee, since, amounts), (bank_name, bank_code), holder in zip(
        payees, banks, ["王&五", "李<四>", "张三"], strict=True
    ):
        _, event = approved(payee, since, **amounts)
        await deliver(h, event)
        await account(h, payee, holder, bank_name, bank_code)
    run_id = await export(h)
    everything = (None, None)

    by_database, by_writer = io.BytesIO(), io.BytesIO()
    streamed = await bankfile._write_transfers(h.runtime.database, run_id, "pain001", by_database, everything, 1)
    transfers = [t async for page in bankfile._transfers(h.runtime.database, run_id, everything) for t in page]
    written = write_pain001_transfers(iter(transfers), by_writer)

    assert by_database.getvalue() == by_writer.getvalue()
    assert streamed == written == (17, sum(t.amount_fen for t in transfers))  # 4 months × 3 + 1 + 2 months × 2
    assert b"A&amp;B &lt;\xe5\x8d\x97\xe6\x98\x8e&gt;" in by_database.getvalue()
    assert "社会救助金".encode() in by_database.getvalue()  # price_subsidy has no text of its own


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
