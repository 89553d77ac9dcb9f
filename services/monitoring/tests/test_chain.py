"""一户一条救助链 (issue 13), through the service's consumers and API on SQLite and PostgreSQL: a
household's application, its case, a 临时救助 grant, a payment that reached it, an alert and
its disposition are the steps of one chain, oldest first; the household counts as 临时救助 for
12 months after the grant; the month's statistics count the grant and the money paid; the same
event twice is one step; the chain is scoped like the register."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness
from monitoring.testing import COUNTY, TOWN, approved, notice, person
from shared.events import (
    ApplicationSubmitted,
    ApplicationSubmittedData,
    AssistanceType,
    Event,
    PaymentSettled,
    PaymentSettledData,
    TemporaryAssistanceGranted,
    TemporaryAssistanceGrantedData,
)
from shared.events.eligibility import ApprovalLevel, CaseCategory, PayoutChannel, TemporaryAssistanceKind
from shared.events.verification import Department, DepartmentNoticeKind
from shared.topics import ELIGIBILITY_EVENTS, PAYMENT_EVENTS, VERIFICATION_EVENTS
from shared.types import Period

TODAY = datetime.now(UTC)
MONTH = str(Period.containing(TODAY))


async def consume(h: ServiceHarness, event: Event, consumer_name: str) -> str:
    topic = {"eligibility": ELIGIBILITY_EVENTS, "payment": PAYMENT_EVENTS}.get(
        event.type.split(".")[0], VERIFICATION_EVENTS
    )
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith(consumer_name))
    return await consumer.process(h.bus.messages(topic)[-1])


def submitted(household: UUID) -> ApplicationSubmitted:
    return ApplicationSubmitted.create(
        ApplicationSubmittedData(
            application_id=uuid4(),
            household_id=household,
            assistance_type=AssistanceType.DIBAO,
            region_code=COUNTY,
            town_code=TOWN,
            member_count=2,
            applicant_masked_id="5201**********0011",
        ),
        subject=str(household),
        correlation_id="chain-test",
        now=TODAY,
    )


def granted(household: UUID, payee_body: str) -> TemporaryAssistanceGranted:
    return TemporaryAssistanceGranted.create(
        TemporaryAssistanceGrantedData(
            grant_id=uuid4(),
            household_id=household,
            kind=TemporaryAssistanceKind.EMERGENCY,
            amount=Decimal("1500.00"),
            approval_level=ApprovalLevel.TOWN,
            case_by_case=False,
            payout=PayoutChannel.CASH_AT_TOWN,
            payee=person(payee_body),
            granted_on=TODAY.date(),
            region_code=COUNTY,
            town_code=TOWN,
        ),
        subject=str(household),
        correlation_id="chain-test",
        now=TODAY,
    )


def settled(
    household: UUID,
    case_id: UUID | None,
    *,
    grant_id: UUID | None = None,
    amount: str = "640.00",
    period: Period | None = None,
) -> PaymentSettled:
    return PaymentSettled.create(
        PaymentSettledData(
            instruction_id=uuid4(),
            household_id=household,
            case_id=case_id,
            grant_id=grant_id,
            period=period or Period.containing(TODAY),
            amount=Decimal(amount),
            settled_on=TODAY.date(),
        ),
        subject=str(household),
        correlation_id="chain-test",
        now=TODAY,
    )


async def test_a_household_s_assistance_is_one_chain(tier_h: ServiceHarness) -> None:
    h = tier_h
    household, body = uuid4(), "52010219600101201"
    case = approved(household, person(body), CaseCategory.MARGINAL)
    grant = granted(household, body)
    assert await consume(h, submitted(household), "register") == "applied"
    assert await consume(h, case, "warnings") == "applied"
    assert await consume(h, grant, "chain") == "applied"
    assert await consume(h, grant, "chain") == "duplicate"
    assert await consume(h, settled(household, case.data.case_id), "chain") == "applied"
    for kind, department in (
        (DepartmentNoticeKind.HOSPITALISED, Department.HEALTH),
        (DepartmentNoticeKind.UNEMPLOYED, Department.HUMAN_RESOURCES),
    ):
        assert await consume(h, notice(person(body), kind, department), "warnings") == "applied"
    [alert] = (await h.client.get("/v1/monitoring/alerts")).json()["items"]
    disposal = {"disposition": "deliver", "evidence": "入户核实，已协助申请临时救助"}
    response = await h.client.post(f"/v1/monitoring/alerts/{alert['alert_id']}/disposal", json=disposal)
    assert response.status_code == 200, response.text

    chain = (await h.client.get(f"/v1/monitoring/households/{household}/chain")).json()
    assert chain["categories"] == ["marginal", "temporary"]
    steps = [s["step"] for s in chain["steps"]]
    assert sorted(steps) == sorted(
        ["applied", "case_approved", "temporary_granted", "paid", "alert_raised", "alert_disposed"]
    )
    by_step = {s["step"]: s for s in chain["steps"]}
    assert by_step["temporary_granted"]["amount"] == "1500.00"
    assert by_step["temporary_granted"]["category"] == "emergency"
    assert by_step["paid"]["amount"] == "640.00"
    assert by_step["paid"]["detail"] == MONTH
    assert by_step["alert_raised"]["category"] == "hardship.illness_and_job_loss"
    assert by_step["alert_disposed"]["detail"] == "deliver"
    assert [s["occurred_on"] for s in chain["steps"]] == sorted(s["occurred_on"] for s in chain["steps"])

    stats = (await h.client.get("/v1/monitoring/statistics", params={"month": MONTH})).json()["total"]
    assert stats["temporary_households"] == 1
    assert stats["temporary_granted"] == "1500.00"
    assert stats["paid"] == "640.00"
    next_year = str(Period.from_date(date(TODAY.year + 1, TODAY.month, 1)))
    later = (await h.client.get("/v1/monitoring/statistics", params={"month": next_year})).json()["total"]
    assert later["temporary_households"] == 0  # 12 months on, no longer a 临时救助 household


async def test_spending_is_counted_by_programme(tier_h: ServiceHarness) -> None:
    """资金发放 by programme: a settled benefit counts under its case's category, a settled
    grant under 临时救助; the total is their sum, in the JSON, the CSV and the upward report."""
    h = tier_h
    marginal, tekun = uuid4(), uuid4()
    marginal_case = approved(marginal, person("52010219600101301"), CaseCategory.MARGINAL)
    tekun_case = approved(tekun, person("52010219600101302"), CaseCategory.TEKUN)
    grant = granted(marginal, "52010219600101301")
    for event, consumer in ((submitted(marginal), "register"), (marginal_case, "warnings"), (tekun_case, "warnings")):
        assert await consume(h, event, consumer) == "applied"
    assert await consume(h, grant, "chain") == "applied"
    for payment in (
        settled(marginal, marginal_case.data.case_id, amount="300.50"),
        settled(tekun, tekun_case.data.case_id, amount="1200.00"),
        settled(tekun, tekun_case.data.case_id, amount="1200.00"),
        settled(marginal, None, grant_id=grant.data.grant_id, amount="1500.00"),
    ):
        assert await consume(h, payment, "chain") == "applied"

    total = (await h.client.get("/v1/monitoring/statistics", params={"month": MONTH})).json()["total"]
    assert total["paid_by_programme"] == {"marginal": "300.50", "tekun": "2400.00", "temporary": "1500.00"}
    assert total["paid"] == "4200.50"
    export = await h.client.get("/v1/monitoring/statistics/export", params={"month": MONTH})
    header, *rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[-1][header.index("特困发放(元) paid_tekun")] == "2400.00"
    assert rows[-1][header.index("临时救助发放(元) paid_temporary")] == "1500.00"
    assert rows[-1][header.index("低保发放(元) paid_dibao")] == "0.00"


async def test_payments_for_months_after_the_payee_s_death_are_findings(tier_h: ServiceHarness) -> None:
    """已死亡仍发放: paid to the end of the month the payee died, stopped from the next. A month
    paid after it is an integrity finding, whether the payment settles after the death is known
    or the death is reported after the payment settled; one open finding per household."""
    h = tier_h
    this_month = Period.containing(TODAY)
    died_on = this_month.prev().first_day  # died last month
    # the death known first, then a payment for this month settles
    first, first_payee = uuid4(), person("52010219600101401")
    first_case = approved(first, first_payee, CaseCategory.DIBAO)
    assert await consume(h, first_case, "warnings") == "applied"
    death = notice(first_payee, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY, occurred_on=died_on)
    assert await consume(h, death, "warnings") == "applied"
    paid_in_death_month = settled(first, first_case.data.case_id, period=this_month.prev())
    assert await consume(h, paid_in_death_month, "chain") == "applied"
    assert not await _findings(h, first)  # the month of the death is still owed
    assert await consume(h, settled(first, first_case.data.case_id, period=this_month), "chain") == "applied"
    [finding] = await _findings(h, first)
    assert finding["reasons"] == [f"paid for months after the payee's death on {died_on}: months {this_month}"]
    assert finding["level"] == "high"
    later = settled(first, first_case.data.case_id, period=this_month.next())
    assert await consume(h, later, "chain") == "applied"
    assert len(await _findings(h, first)) == 1  # one open at a time

    # a payment settled first, the death reported afterwards
    second, second_payee = uuid4(), person("52010219600101402")
    second_case = approved(second, second_payee, CaseCategory.TEKUN)
    assert await consume(h, second_case, "warnings") == "applied"
    assert await consume(h, settled(second, second_case.data.case_id, period=this_month), "chain") == "applied"
    late = notice(second_payee, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY, occurred_on=died_on)
    assert await consume(h, late, "warnings") == "applied"
    [finding] = await _findings(h, second)
    assert finding["reasons"] == [f"paid for months after the payee's death on {died_on}: months {this_month}"]


async def _findings(h: ServiceHarness, household: UUID) -> list[dict[str, object]]:
    items = (await h.client.get("/v1/monitoring/alerts", params={"limit": 100})).json()["items"]
    return [a for a in items if a["household_id"] == str(household) and a["rule"] == "integrity.paid_after_death"]


async def test_the_chain_is_scoped_like_the_register(tier_h: ServiceHarness) -> None:
    h = tier_h
    household = uuid4()
    assert await consume(h, submitted(household), "register") == "applied"
    assert await consume(h, settled(uuid4(), uuid4()), "chain") == "applied"  # a stranger's: nothing kept
    other_town = {"kind": "staff", "roles": ("town_caseworker",), "region": COUNTY + "002000"}
    async with h.anonymous_client(**other_town) as client:
        assert (await client.get(f"/v1/monitoring/households/{household}/chain")).status_code == 403
    own_town = {"kind": "staff", "roles": ("town_caseworker",), "region": TOWN}
    async with h.anonymous_client(**own_town) as client:
        chain = (await client.get(f"/v1/monitoring/households/{household}/chain")).json()
        assert [s["step"] for s in chain["steps"]] == ["applied"]
        assert chain["categories"] == []
    assert (await h.client.get(f"/v1/monitoring/households/{uuid4()}/chain")).status_code == 404
