"""Members of synthetic households (tools/synthetic) handed to the simulator: the tax department
reports their generated wages, month by month."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from jiuzhu_synthetic import generate
from verification.departments.domain.model import IncomeCategory, PersonQuery, Source
from verification.departments.simulator import records

MakeQuery = Callable[..., PersonQuery]


def first_wage_earner(households: list[dict[str, Any]]) -> tuple[str, list[Decimal]]:
    for household in households:
        for member in household["members"]:
            wages = [item for item in member["incomes"] if item["category"] == "wage"]
            if len(wages) == 1:
                return member["resident_id"], [Decimal(x) for x in wages[0]["monthly"]]
    raise AssertionError("no wage earner among the generated households")


class TestSyntheticHouseholds:
    async def test_a_generated_members_wages_are_what_tax_reports(self, connectors_for, make_query: MakeQuery) -> None:
        households = list(generate(7, 40, benefit_month="2026-03", months=12))
        rid, monthly = first_wage_earner(households)
        async with connectors_for(households=households) as connectors:
            answer = await connectors[Source.TAX].query(make_query(rid))

        months = [f"2025-{m:02d}" for m in range(3, 13)] + ["2026-01", "2026-02"]
        expected = [(month, amount) for month, amount in zip(months, monthly, strict=True) if amount > 0]
        assert expected
        assert [(f.month, f.amount) for f in answer.findings] == expected
        assert all(f.category is IncomeCategory.WAGE for f in answer.findings)

    async def test_someone_outside_the_households_still_gets_drawn_records(
        self, connectors_for, make_query: MakeQuery, make_id: Callable[[int], str]
    ) -> None:
        households = list(generate(7, 5))
        employed = next(n for n in range(1000) if records.profile(2026, make_id(n)).employed)
        person = make_query(make_id(employed))
        async with connectors_for(households=households) as with_households:
            known = await with_households[Source.TAX].query(person)
        async with connectors_for() as without:
            plain = await without[Source.TAX].query(person)

        assert plain.findings
        assert known.findings == plain.findings
