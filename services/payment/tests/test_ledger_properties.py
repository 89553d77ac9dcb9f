"""The ledger's books balance, to the fen, whatever eligibility decides and whatever the bank
does (property tests over the pure rules): for any sequence of an approval (possibly
backdated), amount changes (suspensions included), a termination (possibly backdated after
payments) and monthly runs whose lines the bank pays or returns at random,

    owed by the ledger  ==  paid  −  recovered (paid after the last entitled month)  +  still due

and once a last run pays everything still due, owed == paid − recovered exactly. (The first
version of these rules failed here: a backdated reduction of months already paid was neither
recovered nor noticed, and a backdated increase was never topped up.)"""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from payment.ledger.domain import rules
from payment.ledger.domain.model import Entitlement, Version
from shared.events.eligibility import CaseCategory
from shared.types import Period

START = Period(2026, 1)
MONTHS = 12
COMPONENTS = ("gap", "supplement", "price_subsidy")

amounts = st.dictionaries(st.sampled_from(COMPONENTS), st.integers(min_value=0, max_value=200_000), min_size=1)


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, object]]:
    """(month index, event) in time order: approval first, then changes, maybe a termination."""
    approval_month = draw(st.integers(0, MONTHS - 1))
    backdate = draw(st.integers(0, approval_month))
    steps: list[tuple[str, object]] = [("approve", (approval_month, approval_month - backdate, draw(amounts)))]
    for month in range(approval_month, MONTHS):
        if draw(st.booleans()):
            steps.append(("run", (month, draw(st.lists(st.booleans(), min_size=0, max_size=40)))))
        if draw(st.integers(0, 5)) == 0:
            steps.append(("change", (month, draw(st.integers(0, month)), draw(amounts))))
        if draw(st.integers(0, 9)) == 0:
            steps.append(("terminate", (month, draw(st.integers(0, month)))))
            break
    return steps


def owed_through(e: Entitlement, through: Period) -> int:
    return sum(sum(e.owed(m).values()) for m in e.months(through))


@settings(max_examples=300, deadline=None)
@given(histories(), st.data())
def test_owed_equals_paid_minus_recovered_plus_still_due(
    history: list[tuple[str, object]], data: st.DataObject
) -> None:
    entitlement: Entitlement | None = None
    paid: dict[tuple[str, str], int] = {}  # (period, component) → fen paid
    attempts: dict[tuple[str, str], int] = {}
    horizon = START
    for kind, value in history:
        if kind == "approve":
            month, effective, fen = value  # type: ignore[misc]
            entitlement = Entitlement(
                uuid.uuid4(),
                uuid.uuid4(),
                "520102",
                None,
                CaseCategory.DIBAO,
                "pr1_x",
                "m",
                versions=[Version(START.shift(effective), dict(fen))],
            )
            horizon = START.shift(month)
        elif kind == "change":
            assert entitlement is not None
            month, effective, fen = value  # type: ignore[misc]
            rules.with_version(entitlement, Version(START.shift(max(effective, 0)), dict(fen)))
            horizon = max(horizon, START.shift(month))
        elif kind == "terminate":
            assert entitlement is not None
            month, until = value  # type: ignore[misc]
            entitlement.entitled_until = START.shift(until)
            horizon = max(horizon, START.shift(month))
        else:
            assert entitlement is not None
            month, bank = value  # type: ignore[misc]
            run = START.shift(month)
            horizon = max(horizon, run)
            for n, due in enumerate(rules.due_for_case(entitlement, run, paid, attempts)):
                key = (str(due.period), due.component)
                attempts[key] = attempts.get(key, 0) + 1
                if bank[n] if n < len(bank) else True:
                    paid[key] = paid.get(key, 0) + due.amount_fen
    assert entitlement is not None

    owed = owed_through(entitlement, horizon)
    total_paid = sum(paid.values())
    _, recovered = rules.overpayments(entitlement, [(Period.parse(p), c, fen) for (p, c), fen in paid.items()])
    still_due = sum(d.amount_fen for d in rules.due_for_case(entitlement, horizon, paid, attempts))

    assert owed == total_paid - recovered + still_due
    # a last run that the bank pays in full leaves nothing due
    for due in rules.due_for_case(entitlement, horizon, paid, attempts):
        key = (str(due.period), due.component)
        paid[key] = paid.get(key, 0) + due.amount_fen
    assert owed == sum(paid.values()) - recovered
