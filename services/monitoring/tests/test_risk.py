"""The risk recompute (issue 13), on SQLite and PostgreSQL: every household of the register with
an active case and a signal in the rules' window gets the highest score of the rules watching its
categories, the same score the alerting uses; the recompute streams in batches (any batch size
gives the same scores), replaces the previous scores, drops households whose case ended, and the
list is region-scoped and filtered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness
from monitoring.risk import service
from monitoring.risk.domain import rules
from monitoring.risk.domain.model import HouseholdInputs
from monitoring.testing import COUNTY, approved, notice, person
from monitoring.warnings.adapters.rule_files import rules_in_force
from shared.events import CaseTerminated, CaseTerminatedData, Event
from shared.events.eligibility import CaseCategory, TerminationReason
from shared.events.verification import Department, DepartmentNoticeKind
from shared.topics import ELIGIBILITY_EVENTS, VERIFICATION_EVENTS

SCORES = "/v1/monitoring/risk-scores"
OTHER_COUNTY = "520103"
TODAY = date.today()
RULES = rules_in_force(TODAY)


async def consume(h: ServiceHarness, event: Event) -> None:
    topic = ELIGIBILITY_EVENTS if event.type.startswith("eligibility.") else VERIFICATION_EVENTS
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("warnings"))
    assert await consumer.process(h.bus.messages(topic)[-1]) == "applied"


def inputs(categories: set[str], **latest: date) -> HouseholdInputs:
    return HouseholdInputs(uuid4(), COUNTY, None, frozenset(categories), latest)


def test_the_score_is_the_highest_of_the_rules_watching_the_household() -> None:
    edge = rules.risk(inputs({"marginal"}, hospitalised=TODAY, unemployed=TODAY), TODAY, RULES)
    assert edge is not None
    assert (edge.score, edge.rule, edge.reached) == (100, "hardship.illness_and_job_loss", True)
    assert edge.reasons == ("hospitalised", "unemployed")
    below = rules.risk(inputs({"marginal"}, unemployed=TODAY), TODAY, RULES)
    assert below is not None
    assert (below.score, below.reached) == (50, False)
    # 低保: the illness rule (40) and the means rule (50 for a vehicle): the higher wins
    dibao = rules.risk(inputs({"dibao"}, hospitalised=TODAY, vehicle_registered=TODAY), TODAY, RULES)
    assert dibao is not None
    assert (dibao.rule, dibao.score) == ("eligibility.means_changed", 50)
    # a kind no rule of its categories weighs, and a signal out of the window, score nothing
    assert rules.risk(inputs({"tekun"}, unemployed=TODAY), TODAY, RULES) is None
    assert rules.risk(inputs({"marginal"}, hospitalised=TODAY - timedelta(days=91)), TODAY, RULES) is None


def test_rows_fold_into_households_keeping_the_latest_day_per_kind() -> None:
    a, b = UUID(int=1), UUID(int=2)
    old, new = TODAY - timedelta(days=30), TODAY
    rows = [
        (a, "dibao", COUNTY, None, "hospitalised", old),
        (a, "marginal", COUNTY, None, "hospitalised", new),
        (a, "marginal", COUNTY, None, "unemployed", old),
        (b, "tekun", OTHER_COUNTY, "520103001000", "death", new),
    ]
    first, second = rules.households(rows)
    assert first.categories == {"dibao", "marginal"}
    assert first.latest == {"hospitalised": new, "unemployed": old}
    assert (second.household_id, second.region_code, second.town_code) == (b, OTHER_COUNTY, "520103001000")


async def seed(h: ServiceHarness) -> dict[str, UUID]:
    """Five households with signals: an at-risk 边缘 (illness + job loss), a 边缘 with illness
    only, a 低保 with a vehicle (at the means rule's threshold), a 特困 whose job-loss signal no
    rule of 特困 weighs, and a 边缘 of another county at risk; and a 低保 with no signal."""
    n = iter(range(400, 500))
    households: dict[str, UUID] = {}
    plan = {
        "at_risk": (
            CaseCategory.MARGINAL,
            COUNTY,
            [DepartmentNoticeKind.HOSPITALISED, DepartmentNoticeKind.UNEMPLOYED],
        ),
        "ill": (CaseCategory.MARGINAL, COUNTY, [DepartmentNoticeKind.HOSPITALISED]),
        "vehicle": (CaseCategory.DIBAO, COUNTY, [DepartmentNoticeKind.VEHICLE_REGISTERED]),
        "tekun": (CaseCategory.TEKUN, COUNTY, [DepartmentNoticeKind.UNEMPLOYED]),
        "elsewhere": (
            CaseCategory.MARGINAL,
            OTHER_COUNTY,
            [DepartmentNoticeKind.HOSPITALISED, DepartmentNoticeKind.UNEMPLOYED],
        ),
        "quiet": (CaseCategory.DIBAO, COUNTY, []),
    }
    for name, (category, county, kinds) in plan.items():
        household, who = uuid4(), person(f"{county}19600101{next(n):03d}")
        households[name] = household
        await consume(h, approved(household, who, category, region=county))
        for kind in kinds:
            await consume(h, notice(who, kind, Department.HEALTH))
    return households


async def scores(h: ServiceHarness, **params: object) -> dict[str, dict[str, object]]:
    response = await h.client.get(SCORES, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return {item["household_id"]: item for item in response.json()["items"]}


async def test_the_recompute_scores_every_household_in_any_batch_size(tier_h: ServiceHarness) -> None:
    h = tier_h
    households = await seed(h)
    assert await scores(h) == {}  # nothing until the first recompute

    done = await service.recompute(h.runtime.database, TODAY)
    assert (done.households, done.reached) == (4, 3)
    found = await scores(h)
    by_name = {name: found.get(str(household)) for name, household in households.items()}
    at_risk, ill, vehicle = by_name["at_risk"], by_name["ill"], by_name["vehicle"]
    assert at_risk is not None
    assert (at_risk["score"], at_risk["reached"]) == (100, True)
    assert ill is not None
    assert (ill["score"], ill["reached"]) == (50, False)
    assert vehicle is not None
    assert (vehicle["rule"], vehicle["reached"]) == ("eligibility.means_changed", True)
    assert by_name["tekun"] is None
    assert by_name["quiet"] is None
    assert next(iter(found)) in {str(households["at_risk"]), str(households["elsewhere"])}  # highest first

    for batch in (1, 2, 3):  # households split across batches come out whole
        again = await service.recompute(h.runtime.database, TODAY, batch=batch)
        assert (again.households, again.reached) == (4, 3)
        assert await scores(h) == found

    # an ended case leaves the register's active households: its score goes at the next recompute
    ended = CaseTerminated.create(
        CaseTerminatedData(
            case_id=await _case_of(h, households["at_risk"]),
            household_id=households["at_risk"],
            reason=TerminationReason.INCOME_ABOVE_STANDARD,
            terminated_on=TODAY,
            last_paid_month=None,
        ),
        subject=str(households["at_risk"]),
        correlation_id="risk-test",
        now=datetime.now(UTC),
    )
    await consume(h, ended)
    await service.recompute(h.runtime.database, TODAY)
    assert str(households["at_risk"]) not in await scores(h)
    # the window moves on: 91 days later nothing scores
    later = await service.recompute(h.runtime.database, TODAY + timedelta(days=91))
    assert later.households == 0


async def test_the_list_is_scoped_and_filtered(tier_h: ServiceHarness) -> None:
    h = tier_h
    households = await seed(h)
    await service.recompute(h.runtime.database, TODAY)
    at_threshold = {str(households[name]) for name in ("at_risk", "elsewhere", "vehicle")}
    assert set(await scores(h, reached="true")) == at_threshold
    assert set(await scores(h, min_score=60)) == {str(households["at_risk"]), str(households["elsewhere"])}
    assert set(await scores(h, region_code=OTHER_COUNTY)) == {str(households["elsewhere"])}
    county = {"kind": "staff", "roles": ("county_approver",), "region": OTHER_COUNTY}
    async with h.anonymous_client(**county) as client:
        mine = (await client.get(SCORES)).json()
        assert [i["household_id"] for i in mine["items"]] == [str(households["elsewhere"])]
        assert (await client.get(SCORES, params={"region_code": COUNTY})).status_code == 403
    async with h.anonymous_client(kind="citizen", roles=("citizen",)) as client:
        assert (await client.get(SCORES)).status_code == 403
    assert (await h.client.get(SCORES, params={"min_score": -1})).status_code == 422


async def _case_of(h: ServiceHarness, household: UUID) -> UUID:
    from monitoring.warnings.adapters.repository import WarningRepository

    async with h.runtime.database.transaction() as session:
        [case] = await WarningRepository(session).active_cases([household])
    return case.case_id
