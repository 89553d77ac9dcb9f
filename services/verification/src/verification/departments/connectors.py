"""Department connectors: one adapter per source behind `SourceConnector`, over one shared
`httpx.AsyncClient` (its connection pool and timeouts belong to whoever built it).

Each adapter speaks its department's API (see `simulator/app.py` for the shapes: JSON envelopes,
amounts in 分, ``YYYYMM`` months, a form post, XML, paging) and turns the answer into findings.
A failure is one of two errors, with a short reason code:

- `SourceUnavailable` (a retry may help): ``timeout``, ``connect_error``, ``transport_error``,
  ``http_5xx`` (and any other non-2xx, non-4xx status), ``bad_answer`` (unparseable body or an
  unexpected shape), ``department_error`` (a 2xx whose envelope reports a failure);
- `SourceRefused` (it will not): ``http_4xx``.

Connectors do not retry and take no timeout decisions of their own. A finding's `reference` is
the department's record id; its `detail` holds no personal data (no ID, name, plate or account
number).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from shared.types import from_fen, parse_money
from verification.departments.domain.model import (
    Finding,
    FindingKind,
    IncomeCategory,
    PersonQuery,
    Source,
    SourceAnswer,
    SourceConnector,
    SourceRefused,
    SourceUnavailable,
)

Clock = Callable[[], datetime]

_DETAIL_LIMIT = 200
_MAX_PAGES = 50


class _BadAnswer(Exception):
    """The body is not what the department's API promises."""


_PARSE_ERRORS = (_BadAnswer, ValueError, KeyError, TypeError, ArithmeticError, ET.ParseError)
"""What reading a malformed body raises (JSON and money errors are `ValueError`s)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------------ field readers


def _obj(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _BadAnswer("expected an object")
    return value


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise _BadAnswer("expected a list")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _BadAnswer("expected a non-empty string")
    return value


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadAnswer("expected an integer")
    return value


def _yuan(value: object) -> Decimal:
    """An amount in 元 given as a decimal string or an exact JSON number (parsed as Decimal)."""
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        raise _BadAnswer("expected an amount")
    return parse_money(value)


def _day(value: object) -> date:
    return date.fromisoformat(_text(value))


def _detail(*parts: str) -> str:
    return " ".join(p for p in parts if p)[:_DETAIL_LIMIT]


def _json(response: httpx.Response) -> dict[str, Any]:
    """The body as JSON; numbers with a fraction become `Decimal` (never float)."""
    return _obj(json.loads(response.content, parse_float=Decimal))


def _xml(response: httpx.Response) -> ET.Element:
    """The body as UTF-8 XML without a DTD, so nothing can expand (defusedxml is not a
    dependency); checked on the decoded text, so another encoding cannot hide a DTD."""
    text = response.content.decode("utf-8")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise _BadAnswer("DTD in an answer")
    return ET.fromstring(response.content)  # noqa: S314 (no DTD, so nothing to expand)


# ----------------------------------------------------------------------------------- the base


class DepartmentConnector:
    """The transport and error mapping every connector shares; subclasses ask and read."""

    source: Source

    def __init__(self, base_url: str, *, client: httpx.AsyncClient, now: Clock = _utc_now) -> None:
        self._base_url = base_url.rstrip("/")
        self._client = client
        self._now = now

    async def query(self, person: PersonQuery) -> SourceAnswer:
        try:
            findings, reference = await self._ask(person)
        except (SourceUnavailable, SourceRefused):
            raise
        except _PARSE_ERRORS as exc:
            raise SourceUnavailable(self.source, "bad_answer") from exc
        return SourceAnswer(self.source, tuple(findings), self._now(), reference)

    async def aclose(self) -> None:
        """Nothing to close: the shared client belongs to whoever passed it in."""

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        raise NotImplementedError

    async def _send(
        self, method: str, path: str, person: PersonQuery, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**(headers or {}), "X-Request-Id": str(person.query_id)}
        try:
            response = await self._client.request(method, self._base_url + path, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise SourceUnavailable(self.source, "timeout") from exc
        except httpx.ConnectError as exc:
            raise SourceUnavailable(self.source, "connect_error") from exc
        except httpx.TransportError as exc:
            raise SourceUnavailable(self.source, "transport_error") from exc
        status = response.status_code
        if 400 <= status < 500:
            raise SourceRefused(self.source, f"http_{status}")
        if not 200 <= status < 300:
            raise SourceUnavailable(self.source, f"http_{status}")
        return response

    def _failed(self) -> SourceUnavailable:
        return SourceUnavailable(self.source, "department_error")


def _month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# ----------------------------------------------------------------------------- the connectors


class HukouConnector(DepartmentConnector):
    """公安 人口信息: one register entry, its status (正常 / 迁出 / 死亡注销) and the change date."""

    source = Source.HUKOU
    _STATUS: ClassVar[Mapping[str, str]] = {"01": "active", "02": "moved_out", "03": "deceased"}

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {"requestId": str(person.query_id), "idCard": person.resident_id, "name": person.name}
        answer = _json(await self._send("POST", "/gongan/rkxx/v2/query", person, json=body))
        if answer.get("resultCode") != "00":
            raise self._failed()
        data = _obj(answer.get("data"))
        status = self._STATUS[_text(data.get("ryzt"))]
        changed = data.get("bgrq")
        finding = Finding(
            kind=FindingKind.STATUS,
            category=status,
            reference=_text(data.get("hh")),
            occurred_on=_day(changed) if changed is not None else None,
            detail=_detail("户籍状态", _text(data.get("ryztmc"))),
        )
        return [finding], _text(answer.get("serialNo"))


class VehiclesConnector(DepartmentConnector):
    """公安交管 机动车登记: the vehicles registered to the person (as 机动车所有人)."""

    source = Source.VEHICLES

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {"sfzmhm": person.resident_id, "qqxh": str(person.query_id), "cxyy": "社会救助家庭经济状况核对"}
        answer = _json(await self._send("POST", "/jgj/vehicle/v1/owner-query", person, json=body))
        if answer.get("code") != "1":
            raise self._failed()
        findings = [
            Finding(
                kind=FindingKind.VEHICLE,
                category="motorcycle" if _text(v.get("mtc")) == "1" else "car",
                reference=_text(v.get("xh")),
                count=1,
                occurred_on=_day(v.get("ccdjrq")),
                detail=_detail(_text(v.get("clpp1")), _text(v.get("cllxmc"))),
            )
            for v in map(_obj, _list(answer.get("vehicles")))
        ]
        if _int(answer.get("total")) != len(findings):
            raise _BadAnswer("total disagrees with the list")
        return findings, ""


class TaxConnector(DepartmentConnector):
    """税务 个人所得税 申报: monthly income by 所得项目 over the asked period."""

    source = Source.TAX
    _CATEGORY: ClassVar[Mapping[str, IncomeCategory]] = {
        "0101": IncomeCategory.WAGE,  # 工资薪金所得
        "0201": IncomeCategory.BUSINESS,  # 经营所得
        "0401": IncomeCategory.PROPERTY,  # 利息股息红利所得
        "0501": IncomeCategory.PROPERTY,  # 财产租赁所得
    }

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {
            "nsrsbh": person.resident_id,
            "ssqq": _month_text(person.period_start),
            "ssqz": _month_text(person.period_end),
            "qqlsh": str(person.query_id),
        }
        answer = _json(await self._send("POST", "/tax/v1/income-query", person, json=body))
        if answer.get("code") != 0:
            raise self._failed()
        data = _obj(answer.get("data"))
        findings = [
            Finding(
                kind=FindingKind.INCOME,
                category=self._CATEGORY[_text(r.get("sdxm"))],
                reference=_text(r.get("sbxh")),
                month=_month_text(date.fromisoformat(_text(r.get("sssq")) + "-01")),
                amount=_yuan(r.get("sre")),
                detail=_detail(str(r.get("sdxmmc") or "")),
            )
            for r in map(_obj, _list(data.get("records")))
        ]
        return findings, _text(data.get("lsh"))


class SocialInsuranceConnector(DepartmentConnector):
    """人社 待遇发放: pensions and 失业保险金 paid per month (amounts in 分, months YYYYMM)."""

    source = Source.SOCIAL_INSURANCE
    _BENEFIT: ClassVar[Mapping[str, str]] = {"110": "养老金", "120": "养老金", "170": "养老金", "210": "失业保险金"}

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {
            "aac002": person.resident_id,
            "aae041": person.period_start.strftime("%Y%m"),
            "aae042": person.period_end.strftime("%Y%m"),
        }
        answer = _json(await self._send("POST", "/hrss/si/benefit-payments", person, json=body))
        if answer.get("status") != "OK":
            raise self._failed()
        findings = []
        for payment in map(_obj, _list(answer.get("payments"))):
            month = _text(payment.get("aae003"))
            if len(month) != 6 or not month.isdigit():
                raise _BadAnswer("month is not YYYYMM")
            findings.append(
                Finding(
                    kind=FindingKind.INCOME,
                    category=IncomeCategory.TRANSFER,
                    reference=_text(payment.get("aaz031")),
                    month=_month_text(date(int(month[:4]), int(month[4:]), 1)),
                    amount=from_fen(_int(payment.get("amountFen"))),
                    detail=self._BENEFIT[_text(payment.get("aae140"))],
                )
            )
        return findings, _text(answer.get("lsh"))


class ProvidentFundConnector(DepartmentConnector):
    """住房公积金 个人账户: balance and state (a form post, as the fund centre's API is)."""

    source = Source.PROVIDENT_FUND
    _STATE: ClassVar[Mapping[str, str]] = {"01": "正常缴存", "02": "封存"}

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        form = {"zjhm": person.resident_id, "zjlx": "01", "ywlsh": str(person.query_id)}
        answer = _json(await self._send("POST", "/gjj/api/account", person, data=form))
        if answer.get("ret") != "0000":
            raise self._failed()
        findings = [
            Finding(
                kind=FindingKind.FINANCIAL_ASSET,
                category="provident_fund",
                reference=_text(a.get("grzh")),
                amount=_yuan(a.get("grzhye")),
                detail=_detail("住房公积金", self._STATE[_text(a.get("grzhzt"))]),
            )
            for a in map(_obj, _list(answer.get("accounts")))
        ]
        return findings, _text(answer.get("ywlsh"))


class RealEstateConnector(DepartmentConnector):
    """不动产登记: the units the person holds rights in (XML in, XML out)."""

    source = Source.REAL_ESTATE
    _USE: ClassVar[Mapping[str, str]] = {"住宅": "residential", "商业": "commercial", "车位": "parking"}

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        request = ET.Element("QueryRequest")
        ET.SubElement(request, "RequestId").text = str(person.query_id)
        holder = ET.SubElement(request, "Qlr")
        ET.SubElement(holder, "Zjzl").text = "1"  # 身份证
        ET.SubElement(holder, "Zjh").text = person.resident_id
        content = ET.tostring(request, encoding="utf-8", xml_declaration=True)
        response = await self._send(
            "POST", "/bdc/services/QueryService", person, content=content, headers={"Content-Type": "application/xml"}
        )
        root = _xml(response)
        if root.tag != "QueryResponse":
            raise _BadAnswer("not a QueryResponse")
        if root.findtext("Head/ReturnCode") != "0000":
            raise self._failed()
        findings = []
        for unit in root.iterfind("Body/Bdc"):
            use = _text(unit.findtext("Ghyt"))
            area = Decimal(_text(unit.findtext("Jzmj")))
            findings.append(
                Finding(
                    kind=FindingKind.PROPERTY,
                    category=self._USE.get(use, "other"),
                    reference=_text(unit.findtext("Bdcdyh")),
                    count=1,
                    occurred_on=_day(unit.findtext("Djsj")),
                    detail=_detail(use, f"{area}㎡"),
                )
            )
        if int(_text(root.findtext("Head/Count"))) != len(findings):
            raise _BadAnswer("count disagrees with the units")
        return findings, root.findtext("Head/Serial") or ""


class MarketRegistrationConnector(DepartmentConnector):
    """市场监管 市场主体: the entities the person runs or holds; only those still registered
    (存续 / 在业 / 开业) are findings, a cancelled (注销) one is history."""

    source = Source.MARKET_REGISTRATION
    _ACTIVE = frozenset({"存续", "在业", "开业"})

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {"certNo": person.resident_id, "certType": "SFZ"}
        answer = _json(await self._send("POST", "/samr/v3/person-entities", person, json=body))
        if answer.get("success") is not True:
            raise self._failed()
        result = _obj(answer.get("result"))
        items = [_obj(item) for item in _list(result.get("items"))]
        if _int(result.get("total")) != len(items):
            raise _BadAnswer("total disagrees with the list")
        findings = [
            Finding(
                kind=FindingKind.BUSINESS,
                category=_entity_category(_text(item.get("entTypeName"))),
                reference=_text(item.get("uniscid")),
                count=1,
                amount=_yuan(item["regCap"]) if item.get("regCap") is not None else None,
                occurred_on=_day(item.get("estDate")),
                detail=_detail(_text(item.get("entTypeName")), _text(item.get("personRole"))),
            )
            for item in items
            if _text(item.get("regStatus")) in self._ACTIVE
        ]
        return findings, ""


def _entity_category(type_name: str) -> str:
    if "个体" in type_name:
        return "individual_business"
    if "合作社" in type_name:
        return "cooperative"
    if "公司" in type_name or "企业" in type_name:
        return "company"
    return "other"


class MarriageConnector(DepartmentConnector):
    """民政 婚姻登记: 结婚 (IA) and 离婚 (IB) registrations."""

    source = Source.MARRIAGE
    _KIND: ClassVar[Mapping[str, tuple[str, str]]] = {"IA": ("married", "结婚登记"), "IB": ("divorced", "离婚登记")}

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {"cert_num": person.resident_id, "request_id": str(person.query_id)}
        answer = _json(await self._send("POST", "/mca/marriage/v1/records", person, json=body))
        if answer.get("code") != 200:
            raise self._failed()
        findings = []
        for record in map(_obj, _list(_obj(answer.get("result")).get("records"))):
            category, label = self._KIND[_text(record.get("djlx"))]
            findings.append(
                Finding(
                    kind=FindingKind.STATUS,
                    category=category,
                    reference=_text(record.get("zh")),
                    occurred_on=_day(record.get("djrq")),
                    detail=_detail(label, _text(record.get("djjg"))),
                )
            )
        return findings, ""


class FuneralConnector(DepartmentConnector):
    """民政 殡葬: a cremation record, if any."""

    source = Source.FUNERAL

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {"deceased_id_no": person.resident_id}
        answer = _json(await self._send("POST", "/mca/funeral/v1/cremations", person, json=body))
        found = answer.get("found")
        if found is False:
            return [], ""
        if found is not True:
            raise _BadAnswer("found is not a boolean")
        record = _obj(answer.get("record"))
        finding = Finding(
            kind=FindingKind.STATUS,
            category="cremated",
            reference=_text(record.get("cremation_no")),
            occurred_on=_day(record.get("cremated_on")),
            detail=_detail("火化", _text(record.get("funeral_home"))),
        )
        return [finding], ""


class BankDepositsConnector(DepartmentConnector):
    """银行 存款: accounts and balances, a page at a time (``page``/``page_size``, ``total``)."""

    source = Source.BANK_DEPOSITS
    page_size = 2

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        items: list[dict[str, Any]] = []
        total: int | None = None
        for page in range(1, _MAX_PAGES + 1):
            params = {"id_no": person.resident_id, "page": page, "page_size": self.page_size}
            answer = _json(await self._send("GET", "/bank/deposits", person, params=params))
            total = _int(answer.get("total")) if total is None else total
            batch = [_obj(item) for item in _list(answer.get("items"))]
            items.extend(batch)
            if len(items) >= total:
                break
            if not batch:
                raise _BadAnswer("a page came back empty before the total was reached")
        else:
            raise _BadAnswer("too many pages")
        if len(items) != total:
            raise _BadAnswer("more items than the total")
        findings = [
            Finding(
                kind=FindingKind.FINANCIAL_ASSET,
                category="deposit",
                reference=_text(item.get("acct_seq")),
                amount=_yuan(item.get("balance")),
                detail=_detail(_text(item.get("bank_name")), _text(item.get("product"))),
            )
            for item in items
        ]
        return findings, ""


class SecuritiesConnector(DepartmentConnector):
    """证券登记结算: holdings at market value (a JSON number, read as an exact Decimal)."""

    source = Source.SECURITIES
    _KIND: ClassVar[Mapping[str, str]] = {"股票": "stock", "基金": "fund", "债券": "bond"}

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {"zjhm": person.resident_id, "zjlb": "01"}
        answer = _json(await self._send("POST", "/csdc/v1/holdings", person, json=body))
        if answer.get("rtnCode") != "0":
            raise self._failed()
        findings = []
        for holding in map(_obj, _list(answer.get("holdings"))):
            kind = _text(holding.get("zqlb"))
            findings.append(
                Finding(
                    kind=FindingKind.FINANCIAL_ASSET,
                    category=self._KIND.get(kind, "other_security"),
                    reference=_text(holding.get("cyxh")),
                    amount=_yuan(holding.get("sz")),
                    detail=_detail(kind, _text(holding.get("zqdm"))),
                )
            )
        return findings, ""


class CommercialInsuranceConnector(DepartmentConnector):
    """商业保险: policies with a cash value (现金价值); pure-protection cover (value 0) is no asset."""

    source = Source.COMMERCIAL_INSURANCE

    async def _ask(self, person: PersonQuery) -> tuple[list[Finding], str]:
        body = {
            "header": {"transNo": str(person.query_id), "transDate": person.period_end.isoformat()},
            "body": {"insuredIdNo": person.resident_id},
        }
        answer = _json(await self._send("POST", "/iachina/policy/cash-value", person, json=body))
        header = _obj(answer.get("header"))
        if header.get("respCode") != "0000":
            raise self._failed()
        findings = []
        for policy in map(_obj, _list(_obj(answer.get("body")).get("policies"))):
            value = _yuan(policy.get("cashValue"))
            if value > 0:
                findings.append(
                    Finding(
                        kind=FindingKind.FINANCIAL_ASSET,
                        category="insurance_cash_value",
                        reference=_text(policy.get("policyNo")),
                        amount=value,
                        detail=_detail(_text(policy.get("companyName")), _text(policy.get("productType"))),
                    )
                )
        return findings, _text(header.get("transNo"))


# ------------------------------------------------------------------------------- the factory

CONNECTOR_CLASSES: dict[Source, type[DepartmentConnector]] = {
    cls.source: cls
    for cls in (
        HukouConnector,
        VehiclesConnector,
        TaxConnector,
        SocialInsuranceConnector,
        ProvidentFundConnector,
        RealEstateConnector,
        MarketRegistrationConnector,
        MarriageConnector,
        FuneralConnector,
        BankDepositsConnector,
        SecuritiesConnector,
        CommercialInsuranceConnector,
    )
}


def build_connectors(
    base_urls: Mapping[Source, str], *, client: httpx.AsyncClient, now: Clock = _utc_now
) -> dict[Source, SourceConnector]:
    """One connector per source in `base_urls`, all over `client` (which the caller closes)."""
    return {source: CONNECTOR_CLASSES[source](url, client=client, now=now) for source, url in base_urls.items()}


def simulator_urls(base: str) -> dict[Source, str]:
    """Every source on one simulator (``python -m verification.departments.simulator``)."""
    return dict.fromkeys(Source, base.rstrip("/"))
