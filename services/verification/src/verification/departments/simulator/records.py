"""What the simulated departments know about a person: pure, deterministic records.

Every record is a function of ``(seed, resident ID, source)`` alone (incomes also of the month):
each draw uses its own ``random.Random`` seeded with a BLAKE2b digest of
``"seed:resident_id:topic"``, so the same seed and ID always give the same tax, property,
deposit… records, and another seed gives others. The records are department-neutral (元 as
``Decimal``); `app.py` renders each department's own wire shape from them.

Shares (illustrative, for Guiyang social-assistance applicants, not statistics): most people
have no or a small income, at most one dwelling, no vehicle, no company and small deposits;
about 7% are *affluent* in one way (a company, a second dwelling, a newer car, large deposits
or securities), so a check finds discrepancies.

The synthetic population generator (``tools/synthetic``) draws resident IDs at random, so a
person cannot be recognised from the ID alone; but households it generated can be handed in
(`synthetic_wages`), and then the tax department reports those members' generated wages
instead of drawn ones. The other departments still draw their records.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.types import ResidentId, from_fen

_CENT = Decimal("0.01")
_AFFLUENT_SHARE = 0.07


class Affluence(StrEnum):
    """The one way an affluent person fails the asset test (or none)."""

    NONE = "none"
    COMPANY = "company"
    SECOND_DWELLING = "second_dwelling"
    CAR = "car"
    LARGE_DEPOSITS = "large_deposits"
    SECURITIES = "securities"


class HukouStatus(StrEnum):
    ACTIVE = "active"  # 正常
    MOVED_OUT = "moved_out"  # 迁出
    DECEASED = "deceased"  # 死亡注销


@dataclass(frozen=True, slots=True)
class Profile:
    """The person-level facts several departments share (so their answers agree)."""

    age: int
    employed: bool  # a formal job: wages (tax), contributions, a provident-fund account
    monthly_wage: Decimal  # gross, 元 (0 when not employed)
    pensioner: bool
    monthly_pension: Decimal
    unemployment_benefit: bool
    hukou: HukouStatus
    status_date: date | None  # the move-out or death date
    affluence: Affluence


@dataclass(frozen=True, slots=True)
class MonthlyIncome:
    record_id: str
    month: str  # YYYY-MM
    kind: str  # wage | business (tax); pension | unemployment (social insurance)
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Vehicle:
    record_id: str
    brand: str
    vehicle_type: str  # 小型轿车 | 小型普通客车 | 普通二轮摩托车
    first_registered: date
    motorcycle: bool


@dataclass(frozen=True, slots=True)
class Property:
    unit_number: str  # 不动产单元号
    use: str  # 住宅 | 商业 | 车位
    floor_area: Decimal  # ㎡
    registered_on: date


@dataclass(frozen=True, slots=True)
class MarketEntity:
    credit_code: str  # 统一社会信用代码 (synthetic)
    entity_type: str  # 有限责任公司 | 个体工商户 | 农民专业合作社
    role: str  # 法定代表人 | 股东 | 经营者 | 成员
    established_on: date
    active: bool  # 存续 (else 注销)
    registered_capital: Decimal | None


@dataclass(frozen=True, slots=True)
class MarriageRecord:
    certificate_number: str
    kind: str  # 结婚 | 离婚
    registered_on: date
    office: str


@dataclass(frozen=True, slots=True)
class Cremation:
    cremation_number: str
    cremated_on: date
    funeral_home: str


@dataclass(frozen=True, slots=True)
class Deposit:
    account_ref: str  # the bank's internal account sequence, never the card number
    bank: str
    product: str  # 活期 | 定期
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Holding:
    holding_id: str
    security_code: str
    security_type: str  # 股票 | 基金
    market_value: Decimal


@dataclass(frozen=True, slots=True)
class Policy:
    policy_number: str
    company: str
    product_type: str  # 终身寿险 | 两全保险 | 年金保险 | 意外险
    cash_value: Decimal


@dataclass(frozen=True, slots=True)
class ProvidentAccount:
    account_number: str
    balance: Decimal
    monthly_deposit: Decimal
    sealed: bool  # 封存 (no longer paid into)


def _rng(seed: int, resident_id: str, topic: str) -> random.Random:
    digest = hashlib.blake2b(f"{seed}:{resident_id}:{topic}".encode(), digest_size=16, person=b"jiuzhu-dept-v1")
    return random.Random(int.from_bytes(digest.digest(), "big"))


def _code(rng: random.Random, prefix: str, digits: int) -> str:
    return prefix + "".join(str(int(rng.random() * 10)) for _ in range(digits))


def _yuan(fen: int) -> Decimal:
    return from_fen(fen)


def _fen_between(rng: random.Random, low_yuan: int, high_yuan: int) -> int:
    return int(low_yuan * 100 + rng.random() * (high_yuan - low_yuan) * 100)


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=int(rng.random() * max(1, (last - first).days)))


_REFERENCE_DAY = date(2026, 3, 1)
"""The simulated departments' "today" (records never depend on the real clock)."""


def profile(seed: int, resident_id: str) -> Profile:
    rid = ResidentId(resident_id)
    rng = _rng(seed, rid.value, "profile")
    born = rid.birth_date
    age = _REFERENCE_DAY.year - born.year - ((_REFERENCE_DAY.month, _REFERENCE_DAY.day) < (born.month, born.day))
    working_age = 18 <= age < 60
    employed = working_age and rng.random() < 0.28
    wage = _yuan(_fen_between(rng, 1_900, 3_800)) if employed else Decimal("0.00")
    pensioner = age >= 60 and rng.random() < 0.75
    # Most rural elderly draw the basic 城乡居民 pension (≈ 150 元); some urban retirees more.
    pension_fen = _fen_between(rng, 140, 260) if rng.random() < 0.7 else _fen_between(rng, 1_500, 3_200)
    unemployment = working_age and not employed and rng.random() < 0.03
    r = rng.random()
    hukou = HukouStatus.DECEASED if r < 0.005 else HukouStatus.MOVED_OUT if r < 0.03 else HukouStatus.ACTIVE
    status_date = None if hukou is HukouStatus.ACTIVE else _day_between(rng, date(2024, 1, 1), _REFERENCE_DAY)
    affluence = Affluence.NONE
    if age >= 18 and rng.random() < _AFFLUENT_SHARE:
        kinds = [a for a in Affluence if a is not Affluence.NONE]
        affluence = kinds[int(rng.random() * len(kinds))]
    return Profile(
        age=age,
        employed=employed,
        monthly_wage=wage,
        pensioner=pensioner,
        monthly_pension=_yuan(pension_fen) if pensioner else Decimal("0.00"),
        unemployment_benefit=unemployment,
        hukou=hukou,
        status_date=status_date,
        affluence=affluence,
    )


def hukou_record_id(seed: int, resident_id: str) -> str:
    """户号: the register entry the person is (or was) listed in."""
    return _code(_rng(seed, resident_id, "hukou"), "HH5201", 10)


def months_between(first: date, last: date) -> list[str]:
    """The months ``YYYY-MM`` from ``first``'s to ``last``'s, both included (at most 36)."""
    months: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month) and len(months) < 36:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


KnownWages = Mapping[str, Mapping[str, Decimal]]
"""resident ID → month (YYYY-MM) → wage (元), from synthetic households."""


def synthetic_wages(households: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Decimal]]:
    """The wages of the members of generated households (``AssessmentCreate``-shaped dicts, as
    ``python -m jiuzhu_synthetic`` writes them), by resident ID and month. A member's
    ``monthly`` amounts are taken as the months just before ``benefit_month``, oldest first
    (the look-back window of the assessment)."""
    wages: dict[str, dict[str, Decimal]] = {}
    for household in households:
        benefit = date.fromisoformat(f"{household['benefit_month']}-01")
        for member in household["members"]:
            for item in member.get("incomes", []):
                if item["category"] != "wage":
                    continue
                monthly = [Decimal(a) for a in item["monthly"]]
                last = benefit - timedelta(days=1)
                first_year, first_month = divmod(last.year * 12 + last.month - 1 - (len(monthly) - 1), 12)
                months = months_between(date(first_year, first_month + 1, 1), last)
                per_month = wages.setdefault(member["resident_id"], {})
                for month, amount in zip(months, monthly, strict=True):
                    per_month[month] = per_month.get(month, Decimal("0.00")) + amount
    return wages


def tax_incomes(
    seed: int, resident_id: str, months: list[str], known_wages: KnownWages | None = None
) -> list[MonthlyIncome]:
    """纳税记录: monthly 工资薪金 of the employed (varying ±15%), or the generated wages of a
    known synthetic person; 经营所得 of company owners."""
    p = profile(seed, resident_id)
    known = (known_wages or {}).get(resident_id)
    items: list[MonthlyIncome] = []
    for month in months:
        rng = _rng(seed, resident_id, f"tax:{month}")
        if known is not None:
            if known.get(month, Decimal("0.00")) > 0:
                items.append(MonthlyIncome(_code(rng, "SB", 14), month, "wage", known[month]))
        elif p.employed and rng.random() < 0.92:  # a month without pay now and then
            amount = (p.monthly_wage * Decimal(str(round(0.85 + 0.3 * rng.random(), 3)))).quantize(_CENT)
            items.append(MonthlyIncome(_code(rng, "SB", 14), month, "wage", amount))
        if p.affluence is Affluence.COMPANY:
            items.append(
                MonthlyIncome(_code(rng, "SB", 14), month, "business", _yuan(_fen_between(rng, 6_000, 20_000)))
            )
    return items


def social_insurance_benefits(seed: int, resident_id: str, months: list[str]) -> list[MonthlyIncome]:
    """养老金 and 失业保险金 paid per month."""
    p = profile(seed, resident_id)
    items: list[MonthlyIncome] = []
    for month in months:
        rng = _rng(seed, resident_id, f"social_insurance:{month}")
        if p.pensioner:
            items.append(MonthlyIncome(_code(rng, "RS", 16), month, "pension", p.monthly_pension))
        if p.unemployment_benefit:
            items.append(MonthlyIncome(_code(rng, "RS", 16), month, "unemployment", Decimal("1512.00")))
    return items


def provident_account(seed: int, resident_id: str) -> ProvidentAccount | None:
    p = profile(seed, resident_id)
    rng = _rng(seed, resident_id, "provident_fund")
    if not (p.employed and rng.random() < 0.45) and not (p.age >= 45 and rng.random() < 0.05):
        return None
    deposit = (p.monthly_wage * Decimal("0.24")).quantize(_CENT) if p.employed else Decimal("0.00")
    return ProvidentAccount(_code(rng, "GJJ", 12), _yuan(_fen_between(rng, 200, 30_000)), deposit, not p.employed)


def vehicles(seed: int, resident_id: str) -> list[Vehicle]:
    p = profile(seed, resident_id)
    rng = _rng(seed, resident_id, "vehicles")
    found: list[Vehicle] = []
    if p.affluence is Affluence.CAR:
        brand = ("大众", "丰田", "比亚迪", "本田")[int(rng.random() * 4)]
        registered = _day_between(rng, date(2020, 1, 1), date(2025, 12, 31))
        found.append(Vehicle(_code(rng, "JG", 12), brand, "小型轿车", registered, motorcycle=False))
    if p.age >= 18 and rng.random() < 0.05:  # an old motorcycle or 微型面包车 for work
        if rng.random() < 0.7:
            registered = _day_between(rng, date(2008, 1, 1), date(2018, 12, 31))
            found.append(Vehicle(_code(rng, "JG", 12), "嘉陵", "普通二轮摩托车", registered, motorcycle=True))
        else:
            registered = _day_between(rng, date(2006, 1, 1), date(2014, 12, 31))
            found.append(Vehicle(_code(rng, "JG", 12), "五菱", "小型普通客车", registered, motorcycle=False))
    return found


def properties(seed: int, resident_id: str) -> list[Property]:
    p = profile(seed, resident_id)
    rng = _rng(seed, resident_id, "real_estate")
    owned: list[Property] = []
    dwellings = 0
    if p.age >= 25 and rng.random() < 0.4:
        dwellings = 1
    if p.affluence is Affluence.SECOND_DWELLING:
        dwellings = 2
    for _ in range(dwellings):
        area = Decimal(_fen_between(rng, 35, 130)).scaleb(-2).quantize(_CENT)
        registered = _day_between(rng, date(2005, 1, 1), date(2025, 6, 30))
        owned.append(Property(_code(rng, "520102", 22), "住宅", area, registered))
    return owned


_ENTITY_TYPES = ("有限责任公司", "个体工商户", "农民专业合作社")


def market_entities(seed: int, resident_id: str) -> list[MarketEntity]:
    p = profile(seed, resident_id)
    rng = _rng(seed, resident_id, "market_registration")
    found: list[MarketEntity] = []
    if p.affluence is Affluence.COMPANY:
        capital = Decimal(int(1 + rng.random() * 50) * 10_000).quantize(_CENT)
        founded = _day_between(rng, date(2012, 1, 1), date(2025, 1, 1))
        found.append(MarketEntity(_code(rng, "91520102MA", 8), _ENTITY_TYPES[0], "法定代表人", founded, True, capital))
    if p.age >= 18 and rng.random() < 0.04:  # a small stall, often already closed
        founded = _day_between(rng, date(2010, 1, 1), date(2025, 1, 1))
        found.append(
            MarketEntity(_code(rng, "92520102MA", 8), _ENTITY_TYPES[1], "经营者", founded, rng.random() < 0.5, None)
        )
    if p.age >= 18 and rng.random() < 0.02:
        founded = _day_between(rng, date(2010, 1, 1), date(2024, 1, 1))
        found.append(MarketEntity(_code(rng, "93520102MA", 8), _ENTITY_TYPES[2], "成员", founded, True, None))
    return found


_OFFICES = ("南明区民政局", "云岩区民政局", "花溪区民政局", "乌当区民政局", "白云区民政局", "清镇市民政局")


def marriages(seed: int, resident_id: str) -> list[MarriageRecord]:
    p = profile(seed, resident_id)
    rng = _rng(seed, resident_id, "marriage")
    if p.age < 22 or rng.random() < 0.25:
        return []
    born_year = _REFERENCE_DAY.year - p.age
    first = date(min(born_year + 22 + int(rng.random() * 10), 2025), 1, 1)
    married = _day_between(rng, first, date(first.year, 12, 31))
    office = _OFFICES[int(rng.random() * len(_OFFICES))]
    found = [MarriageRecord(_code(rng, "J520100-", 10), "结婚", married, office)]
    if rng.random() < 0.12 and married < date(2025, 1, 1):
        divorced = _day_between(rng, married + timedelta(days=365), _REFERENCE_DAY)
        found.append(MarriageRecord(_code(rng, "L520100-", 10), "离婚", divorced, office))
    return found


def cremation(seed: int, resident_id: str) -> Cremation | None:
    p = profile(seed, resident_id)
    rng = _rng(seed, resident_id, "funeral")
    if p.hukou is not HukouStatus.DECEASED or p.status_date is None or rng.random() < 0.2:
        return None  # alive, or buried in the countryside without cremation
    return Cremation(_code(rng, "HH", 12), p.status_date + timedelta(days=3), "贵阳市殡仪馆")


_BANKS = ("贵阳银行", "贵州农信", "中国农业银行", "中国建设银行", "中国邮政储蓄银行", "中国工商银行")


def deposits(seed: int, resident_id: str) -> list[Deposit]:
    p = profile(seed, resident_id)
    rng = _rng(seed, resident_id, "bank_deposits")
    found: list[Deposit] = []
    if p.affluence is Affluence.LARGE_DEPOSITS:
        for _ in range(3 + int(rng.random() * 3)):
            bank = _BANKS[int(rng.random() * len(_BANKS))]
            found.append(Deposit(_code(rng, "DP", 14), bank, "定期", _yuan(_fen_between(rng, 30_000, 120_000))))
    if rng.random() < 0.75:
        for _ in range(1 + int(rng.random() * 3)):
            bank = _BANKS[int(rng.random() * len(_BANKS))]
            balance = _yuan(_fen_between(rng, 0, 600) if rng.random() < 0.7 else _fen_between(rng, 600, 9_000))
            found.append(Deposit(_code(rng, "DP", 14), bank, "活期", balance))
    return found


def holdings(seed: int, resident_id: str) -> list[Holding]:
    p = profile(seed, resident_id)
    rng = _rng(seed, resident_id, "securities")
    found: list[Holding] = []
    if p.affluence is Affluence.SECURITIES:
        found.append(
            Holding(_code(rng, "ZQ", 12), _code(rng, "60", 4), "股票", _yuan(_fen_between(rng, 40_000, 160_000)))
        )
        found.append(
            Holding(_code(rng, "ZQ", 12), _code(rng, "16", 4), "基金", _yuan(_fen_between(rng, 10_000, 60_000)))
        )
    elif p.age >= 18 and rng.random() < 0.01:
        found.append(Holding(_code(rng, "ZQ", 12), _code(rng, "00", 4), "股票", _yuan(_fen_between(rng, 200, 3_000))))
    return found


_INSURERS = ("中国人寿", "中国平安", "太平洋保险", "泰康人寿")


def policies(seed: int, resident_id: str) -> list[Policy]:
    rng = _rng(seed, resident_id, "commercial_insurance")
    found: list[Policy] = []
    if rng.random() < 0.1:
        company = _INSURERS[int(rng.random() * len(_INSURERS))]
        kind = ("终身寿险", "两全保险", "年金保险")[int(rng.random() * 3)]
        found.append(Policy(_code(rng, "P", 15), company, kind, _yuan(_fen_between(rng, 300, 8_000))))
    if rng.random() < 0.15:  # accident cover: no cash value
        company = _INSURERS[int(rng.random() * len(_INSURERS))]
        found.append(Policy(_code(rng, "P", 15), company, "意外险", Decimal("0.00")))
    return found
