"""Each connector against the simulator (ASGI transport): the department's shape becomes findings
equal to the simulator's records; same seed same answer, another seed another."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from verification.departments.connectors import BankDepositsConnector
from verification.departments.domain.model import FindingKind, IncomeCategory, PersonQuery, Source, SourceAnswer
from verification.departments.simulator import records

SEED = 2026
PEOPLE = 300

MakeId = Callable[[int], str]
MakeQuery = Callable[..., PersonQuery]


def first_id(make_id: MakeId, predicate: Callable[[str], bool]) -> str:
    """The first of the test population the simulator's records say `predicate` of."""
    for n in range(PEOPLE * 10):
        rid = make_id(n)
        if predicate(rid):
            return rid
    raise AssertionError("no such person in the test population")


class TestEveryConnector:
    async def test_all_twelve_sources_answer_with_their_own_source_and_a_department_reference(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        person = make_query(make_id(7))
        async with connectors_for(seed=SEED) as connectors:
            answers = {source: await connectors[source].query(person) for source in Source}

        assert set(connectors) == set(Source)
        assert all(answer.source is source for source, answer in answers.items())
        assert answers[Source.HUKOU].department_reference.startswith("GA")
        assert answers[Source.TAX].department_reference.startswith("SW")

    async def test_no_finding_carries_the_resident_id_or_the_name(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        async with connectors_for(seed=SEED) as connectors:
            for n in range(40):
                person = make_query(make_id(n))
                for connector in connectors.values():
                    answer = await connector.query(person)
                    for finding in answer.findings:
                        assert person.resident_id not in finding.reference
                        assert person.resident_id not in finding.detail
                        assert person.name not in finding.detail
                        assert len(finding.detail) <= 200


class TestTax:
    async def test_monthly_wages_are_the_records_in_yuan_for_the_asked_months(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        rid = first_id(make_id, lambda r: records.profile(SEED, r).employed)
        person = make_query(rid)
        months = records.months_between(person.period_start, person.period_end)
        expected = records.tax_incomes(SEED, rid, months)
        async with connectors_for(seed=SEED) as connectors:
            answer = await connectors[Source.TAX].query(person)

        assert len(months) == 12
        assert expected  # an employed person has wages
        assert [(f.month, f.amount, f.reference) for f in answer.findings] == [
            (i.month, i.amount, i.record_id) for i in expected
        ]
        assert all(f.kind is FindingKind.INCOME and f.category is IncomeCategory.WAGE for f in answer.findings)
        assert {f.month for f in answer.findings} <= set(months)


class TestSocialInsurance:
    async def test_pension_in_fen_becomes_exact_yuan(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        rid = first_id(make_id, lambda r: records.profile(SEED, r).monthly_pension.as_tuple().digits[-1] != 0)
        pension = records.profile(SEED, rid).monthly_pension
        async with connectors_for(seed=SEED) as connectors:
            answer = await connectors[Source.SOCIAL_INSURANCE].query(make_query(rid))

        assert len(answer.findings) == 12
        assert {f.amount for f in answer.findings} == {pension}
        assert all(f.amount is not None and f.amount.as_tuple().exponent == -2 for f in answer.findings)
        assert answer.findings[0].month == "2025-03"
        assert answer.findings[-1].month == "2026-02"
        assert all(f.category is IncomeCategory.TRANSFER and f.detail == "养老金" for f in answer.findings)


class TestBankDeposits:
    async def test_every_page_is_fetched(self, connectors_for, make_id: MakeId, make_query: MakeQuery) -> None:
        page_size = BankDepositsConnector.page_size
        rid = first_id(make_id, lambda r: len(records.deposits(SEED, r)) > 2 * page_size)
        expected = records.deposits(SEED, rid)
        async with connectors_for(seed=SEED) as connectors:
            answer = await connectors[Source.BANK_DEPOSITS].query(make_query(rid))

        assert [(f.reference, f.amount) for f in answer.findings] == [(d.account_ref, d.balance) for d in expected]
        assert all(f.kind is FindingKind.FINANCIAL_ASSET and f.category == "deposit" for f in answer.findings)

    async def test_no_account_is_an_empty_answer(self, connectors_for, make_id: MakeId, make_query: MakeQuery) -> None:
        rid = first_id(make_id, lambda r: not records.deposits(SEED, r))
        async with connectors_for(seed=SEED) as connectors:
            answer = await connectors[Source.BANK_DEPOSITS].query(make_query(rid))

        assert answer.findings == ()


class TestRealEstate:
    async def test_xml_units_become_properties(self, connectors_for, make_id: MakeId, make_query: MakeQuery) -> None:
        rid = first_id(make_id, lambda r: len(records.properties(SEED, r)) == 2)
        expected = records.properties(SEED, rid)
        async with connectors_for(seed=SEED) as connectors:
            answer = await connectors[Source.REAL_ESTATE].query(make_query(rid))

        assert [(f.reference, f.occurred_on, f.count) for f in answer.findings] == [
            (p.unit_number, p.registered_on, 1) for p in expected
        ]
        assert all(f.kind is FindingKind.PROPERTY and f.category == "residential" for f in answer.findings)
        assert answer.findings[0].detail == f"住宅 {expected[0].floor_area}㎡"
        assert answer.department_reference.startswith("BDC")


class TestSecurities:
    async def test_json_number_market_values_are_exact(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        rid = first_id(make_id, lambda r: len(records.holdings(SEED, r)) == 2)
        expected = records.holdings(SEED, rid)
        async with connectors_for(seed=SEED) as connectors:
            answer = await connectors[Source.SECURITIES].query(make_query(rid))

        assert [(f.category, f.amount) for f in answer.findings] == [
            ("stock", expected[0].market_value),
            ("fund", expected[1].market_value),
        ]
        assert all(isinstance(f.amount, Decimal) for f in answer.findings)


class TestMarketRegistration:
    async def test_a_company_is_a_business_and_a_cancelled_stall_is_not(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        rid = first_id(make_id, lambda r: any(not e.active for e in records.market_entities(SEED, r)))
        active = [e for e in records.market_entities(SEED, rid) if e.active]
        company = first_id(make_id, lambda r: records.profile(SEED, r).affluence is records.Affluence.COMPANY)
        async with connectors_for(seed=SEED) as connectors:
            closed_answer = await connectors[Source.MARKET_REGISTRATION].query(make_query(rid))
            company_answer = await connectors[Source.MARKET_REGISTRATION].query(make_query(company))

        assert [f.reference for f in closed_answer.findings] == [e.credit_code for e in active]
        assert company_answer.findings[0].category == "company"
        assert company_answer.findings[0].kind is FindingKind.BUSINESS
        assert company_answer.findings[0].detail == "有限责任公司 法定代表人"


class TestCivilStatus:
    async def test_a_deceased_person_has_a_hukou_cancellation_and_usually_a_cremation(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        rid = first_id(make_id, lambda r: records.cremation(SEED, r) is not None)
        died_on = records.profile(SEED, rid).status_date
        async with connectors_for(seed=SEED) as connectors:
            hukou = await connectors[Source.HUKOU].query(make_query(rid))
            funeral = await connectors[Source.FUNERAL].query(make_query(rid))

        assert [(f.category, f.occurred_on) for f in hukou.findings] == [("deceased", died_on)]
        assert [f.category for f in funeral.findings] == ["cremated"]
        assert funeral.findings[0].occurred_on is not None
        assert died_on is not None
        assert funeral.findings[0].occurred_on > died_on

    async def test_marriage_and_divorce_are_status_findings(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        rid = first_id(make_id, lambda r: len(records.marriages(SEED, r)) == 2)
        async with connectors_for(seed=SEED) as connectors:
            answer = await connectors[Source.MARRIAGE].query(make_query(rid))

        assert [f.category for f in answer.findings] == ["married", "divorced"]


class TestDeterminism:
    @staticmethod
    async def everything(connectors_for, seed: int, people: list[PersonQuery]) -> list[list[tuple[object, ...]]]:
        def key(answer: SourceAnswer) -> list[tuple[object, ...]]:
            return [(f.kind, f.category, f.reference, f.month, f.amount, f.occurred_on) for f in answer.findings]

        async with connectors_for(seed=seed) as connectors:
            return [key(await c.query(p)) for p in people for c in connectors.values()]

    async def test_same_seed_same_answers_other_seed_other_answers(
        self, connectors_for, make_id: MakeId, make_query: MakeQuery
    ) -> None:
        people = [make_query(make_id(n)) for n in range(10)]

        first = await self.everything(connectors_for, SEED, people)
        again = await self.everything(connectors_for, SEED, people)
        other = await self.everything(connectors_for, SEED + 1, people)

        assert first == again
        assert first != other
        assert sum(map(len, first)) > 10  # not trivially equal because empty


class TestPlausibility:
    def test_most_people_are_poor_and_a_few_are_clearly_not(self, make_id: MakeId) -> None:
        ids = [make_id(n) for n in range(PEOPLE)]
        profiles = [records.profile(SEED, r) for r in ids]
        affluent = sum(p.affluence is not records.Affluence.NONE for p in profiles)
        with_car = sum(any(not v.motorcycle for v in records.vehicles(SEED, r)) for r in ids)
        two_homes = sum(len(records.properties(SEED, r)) >= 2 for r in ids)
        big_savings = sum(sum(d.balance for d in records.deposits(SEED, r)) > 50_000 for r in ids)

        assert 0.02 * PEOPLE <= affluent <= 0.15 * PEOPLE
        assert with_car <= 0.12 * PEOPLE
        assert 1 <= two_homes <= 0.05 * PEOPLE
        assert 1 <= big_savings <= 0.05 * PEOPLE
        employed = [p for p in profiles if p.employed]
        assert employed
        assert all(Decimal("1900") <= p.monthly_wage < Decimal("3800") for p in employed)
