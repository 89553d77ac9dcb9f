"""The department simulator: twelve data sources over HTTP, each in its own department's shape.

Shapes (request → answer), all keyed by the resident ID in the body except the paged bank GET:

- hukou (公安): ``POST /gongan/rkxx/v2/query`` ``{"requestId", "idCard"}`` →
  ``{"resultCode": "00", "serialNo", "data": {"hh", "ryzt", "ryztmc", "bgrq"}}``
- vehicles (交管): ``POST /jgj/vehicle/v1/owner-query`` ``{"sfzmhm", "qqxh"}`` →
  ``{"code": "1", "total", "vehicles": [{"xh", "clpp1", "cllxmc", "ccdjrq", "mtc"}]}``
- tax (税务): ``POST /tax/v1/income-query`` ``{"nsrsbh", "ssqq", "ssqz", "qqlsh"}`` →
  ``{"code": 0, "msg", "data": {"lsh", "records": [{"sbxh", "sssq", "sdxm", "sre"}]}}``
- social insurance (人社): ``POST /hrss/si/benefit-payments`` ``{"aac002", "aae041", "aae042"}``
  → ``{"status": "OK", "lsh", "payments": [{"aaz031", "aae003", "aae140", "amountFen"}]}``
  (amounts in integer 分, months ``YYYYMM``)
- provident fund (公积金): ``POST /gjj/api/account`` form-encoded ``zjhm, zjlx, ywlsh`` →
  ``{"ret": "0000", "ywlsh", "accounts": [{"grzh", "grzhye", "gryjce", "grzhzt"}]}``
- real estate (不动产): ``POST /bdc/services/QueryService`` XML ``<QueryRequest>`` →
  XML ``<QueryResponse><Head>…</Head><Body><Bdc>…</Bdc>…</Body></QueryResponse>``
- market registration (市场监管): ``POST /samr/v3/person-entities`` ``{"certNo", "certType"}`` →
  ``{"success": true, "result": {"total", "items": [{"uniscid", "entTypeName", "regStatus", …}]}}``
- marriage (民政): ``POST /mca/marriage/v1/records`` ``{"cert_num", "request_id"}`` →
  ``{"code": 200, "result": {"records": [{"zh", "djlx", "djrq", "djjg"}]}}``
- funeral (殡葬): ``POST /mca/funeral/v1/cremations`` ``{"deceased_id_no"}`` →
  ``{"found": false}`` or ``{"found": true, "record": {…}}``
- bank deposits (银行): ``GET /bank/deposits?id_no=&page=&page_size=`` (at most 2 a page) →
  ``{"total", "page", "page_size", "items": [{"acct_seq", "bank_name", "product", "balance"}]}``
- securities (中国结算): ``POST /csdc/v1/holdings`` ``{"zjhm", "zjlb"}`` →
  ``{"rtnCode": "0", "asOf", "holdings": [{"cyxh", "zqdm", "zqlb", "sz"}]}`` (``sz`` a JSON number)
- commercial insurance (保险): ``POST /iachina/policy/cash-value``
  ``{"header": {"transNo"}, "body": {"insuredIdNo"}}`` →
  ``{"header": {"respCode": "0000", …}, "body": {"policies": [{"policyNo", "cashValue", …}]}}``

A malformed resident ID is answered 400 in the department's error shape. Faults (latency,
random or forced 503, hangs, garbage bodies) are set per source at start and through
``POST /_admin/config``; ``GET /_admin/config`` shows them (and answers once the server is up).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from shared.types import InvalidResidentId, ResidentId, to_fen
from verification.departments.domain.model import Source
from verification.departments.simulator import records

NonNegative = Annotated[float, Field(ge=0)]
Rate = Annotated[float, Field(ge=0, le=1)]

BANK_MAX_PAGE_SIZE = 2
GARBAGE_BODY = b'{"code": 0, "data": {"rec'
"""What a broken proxy sends: a truncated body (neither JSON nor XML)."""


class SimulatorConfig(BaseModel):
    """Faults per source (keys are `Source` values); a plain number applies to every source."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: dict[Source, NonNegative] | NonNegative = 0
    failure_rate: dict[Source, Rate] | Rate = 0.0
    fail_sources: set[Source] = Field(default_factory=set)
    """Always answer 503."""
    hang_sources: set[Source] = Field(default_factory=set)
    """Answer nothing for `hang_seconds` (past any caller's timeout), then 504."""
    garbage_sources: set[Source] = Field(default_factory=set)
    """Answer 200 with a truncated body."""
    hang_seconds: NonNegative = 30.0

    def latency_for(self, source: Source) -> float:
        value = self.latency_ms if not isinstance(self.latency_ms, dict) else self.latency_ms.get(source, 0)
        return float(value)

    def failure_rate_for(self, source: Source) -> float:
        value = self.failure_rate if not isinstance(self.failure_rate, dict) else self.failure_rate.get(source, 0)
        return float(value)


class SimulatorConfigUpdate(BaseModel):
    """A partial `SimulatorConfig`: the fields given replace the current ones."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: dict[Source, NonNegative] | NonNegative | None = None
    failure_rate: dict[Source, Rate] | Rate | None = None
    fail_sources: set[Source] | None = None
    hang_sources: set[Source] | None = None
    garbage_sources: set[Source] | None = None
    hang_seconds: NonNegative | None = None


class _Faults:
    """The live fault settings of one app (changed at runtime by the admin endpoint)."""

    def __init__(self, config: SimulatorConfig, seed: int) -> None:
        self.config = config
        self._random = random.Random(f"faults:{seed}")

    async def before(self, source: Source) -> Response | None:
        """Apply latency, then return the fault answer for `source`, or None to answer normally."""
        config = self.config
        latency = config.latency_for(source)
        if latency > 0:
            await asyncio.sleep(latency / 1000)
        if source in config.hang_sources:
            await asyncio.sleep(config.hang_seconds)
            return Response(status_code=504)
        if source in config.fail_sources or self._random.random() < config.failure_rate_for(source):
            return JSONResponse({"error": "service unavailable"}, status_code=503)
        if source in config.garbage_sources:
            return Response(GARBAGE_BODY, media_type="application/json")
        return None


def _canonical_id(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    try:
        return ResidentId(raw).value
    except InvalidResidentId:
        return None


def _serial(prefix: str, request_id: object) -> str:
    digest = hashlib.blake2b(str(request_id).encode(), digest_size=8).hexdigest().upper()
    return f"{prefix}{digest}"


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _month(value: object, compact: bool = False) -> date | None:
    """``YYYY-MM`` (or ``YYYYMM`` when `compact`) → the month's first day."""
    if not isinstance(value, str):
        return None
    text = value if not compact else f"{value[:4]}-{value[4:]}"
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        return None


def _xml_text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _xml_response(code: str, message: str, serial: str, items: list[ET.Element], status: int = 200) -> Response:
    root = ET.Element("QueryResponse")
    head = ET.SubElement(root, "Head")
    _xml_text(head, "ReturnCode", code)
    _xml_text(head, "ReturnMsg", message)
    _xml_text(head, "Serial", serial)
    _xml_text(head, "Count", str(len(items)))
    body = ET.SubElement(root, "Body")
    body.extend(items)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(xml, status_code=status, media_type="application/xml")


Handler = Callable[[Request], Awaitable[Response]]


def create_simulator_app(
    seed: int = 2026,
    latency_ms: dict[str, float] | float = 0,
    failure_rate: dict[str, float] | float = 0.0,
    fail_sources: set[str] | frozenset[str] = frozenset(),
    *,
    hang_sources: set[str] | frozenset[str] = frozenset(),
    garbage_sources: set[str] | frozenset[str] = frozenset(),
    hang_seconds: float = 30.0,
    households: Iterable[Mapping[str, Any]] = (),
) -> FastAPI:
    """The twelve simulated departments in one app; their records depend on `seed` only, except
    the tax records of the members of `households` (synthetic, ``AssessmentCreate``-shaped),
    which are those households' generated wages."""
    known_wages = records.synthetic_wages(households)
    config = SimulatorConfig.model_validate(
        {
            "latency_ms": latency_ms,
            "failure_rate": failure_rate,
            "fail_sources": set(fail_sources),
            "hang_sources": set(hang_sources),
            "garbage_sources": set(garbage_sources),
            "hang_seconds": hang_seconds,
        }
    )
    faults = _Faults(config, seed)
    app = FastAPI(title="Jiuzhu department simulator", docs_url=None, redoc_url=None)

    def route(source: Source, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                fault = await faults.before(source)
                return fault if fault is not None else await handler(request)

            app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)
            return handler

        return register

    @app.get("/_admin/config")
    async def read_config() -> SimulatorConfig:
        return faults.config

    @app.post("/_admin/config")
    async def update_config(update: SimulatorConfigUpdate) -> SimulatorConfig:
        changes = update.model_dump(exclude_unset=True, exclude_none=True)
        faults.config = SimulatorConfig.model_validate({**faults.config.model_dump(), **changes})
        return faults.config

    @route(Source.HUKOU, "POST", "/gongan/rkxx/v2/query")
    async def hukou(request: Request) -> Response:
        body = await _json_body(request)
        rid = _canonical_id(body.get("idCard"))
        if rid is None:
            return JSONResponse({"resultCode": "E01", "resultMsg": "身份证号码格式错误"}, status_code=400)
        p = records.profile(seed, rid)
        code, name = {
            records.HukouStatus.ACTIVE: ("01", "正常"),
            records.HukouStatus.MOVED_OUT: ("02", "迁出"),
            records.HukouStatus.DECEASED: ("03", "死亡注销"),
        }[p.hukou]
        data = {
            "hh": records.hukou_record_id(seed, rid),
            "ryzt": code,
            "ryztmc": name,
            "bgrq": p.status_date.isoformat() if p.status_date else None,
        }
        serial = _serial("GA", body.get("requestId"))
        return JSONResponse({"resultCode": "00", "resultMsg": "查询成功", "serialNo": serial, "data": data})

    @route(Source.VEHICLES, "POST", "/jgj/vehicle/v1/owner-query")
    async def vehicles(request: Request) -> Response:
        body = await _json_body(request)
        rid = _canonical_id(body.get("sfzmhm"))
        if rid is None:
            return JSONResponse({"code": "-1", "message": "身份证明号码不合法"}, status_code=400)
        items = [
            {
                "xh": v.record_id,
                "clpp1": v.brand,
                "cllxmc": v.vehicle_type,
                "ccdjrq": v.first_registered.isoformat(),
                "mtc": "1" if v.motorcycle else "0",
                "zt": "A",
            }
            for v in records.vehicles(seed, rid)
        ]
        return JSONResponse({"code": "1", "message": "成功", "total": len(items), "vehicles": items})

    @route(Source.TAX, "POST", "/tax/v1/income-query")
    async def tax(request: Request) -> Response:
        body = await _json_body(request)
        rid = _canonical_id(body.get("nsrsbh"))
        first, last = _month(body.get("ssqq")), _month(body.get("ssqz"))
        if rid is None or first is None or last is None:
            return JSONResponse({"code": 40001, "msg": "纳税人识别号或所属期不合法", "data": None}, status_code=400)
        items = [
            {
                "sbxh": i.record_id,
                "sssq": i.month,
                "sdxm": "0101" if i.kind == "wage" else "0201",
                "sdxmmc": "工资薪金所得" if i.kind == "wage" else "经营所得",
                "sre": str(i.amount),
            }
            for i in records.tax_incomes(seed, rid, records.months_between(first, last), known_wages)
        ]
        data = {"lsh": _serial("SW", body.get("qqlsh")), "records": items}
        return JSONResponse({"code": 0, "msg": "success", "data": data})

    @route(Source.SOCIAL_INSURANCE, "POST", "/hrss/si/benefit-payments")
    async def social_insurance(request: Request) -> Response:
        body = await _json_body(request)
        rid = _canonical_id(body.get("aac002"))
        first, last = _month(body.get("aae041"), compact=True), _month(body.get("aae042"), compact=True)
        if rid is None or first is None or last is None:
            return JSONResponse({"status": "ERROR", "error": "AAC002_INVALID"}, status_code=400)
        payments = [
            {
                "aaz031": i.record_id,
                "aae003": i.month.replace("-", ""),
                "aae140": "110" if i.kind == "pension" else "210",
                "amountFen": to_fen(i.amount),
            }
            for i in records.social_insurance_benefits(seed, rid, records.months_between(first, last))
        ]
        lsh = _serial("RS", request.headers.get("x-request-id"))
        return JSONResponse({"status": "OK", "lsh": lsh, "payments": payments})

    @route(Source.PROVIDENT_FUND, "POST", "/gjj/api/account")
    async def provident_fund(request: Request) -> Response:
        # Parsed by hand: starlette's form parser needs python-multipart, not a dependency.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        rid = _canonical_id(form.get("zjhm"))
        if rid is None:
            return JSONResponse({"ret": "1001", "msg": "证件号码错误"}, status_code=400)
        account = records.provident_account(seed, rid)
        accounts = (
            []
            if account is None
            else [
                {
                    "grzh": account.account_number,
                    "grzhye": str(account.balance),
                    "gryjce": str(account.monthly_deposit),
                    "grzhzt": "02" if account.sealed else "01",
                }
            ]
        )
        return JSONResponse(
            {"ret": "0000", "msg": "ok", "ywlsh": _serial("GJJ", form.get("ywlsh")), "accounts": accounts}
        )

    @route(Source.REAL_ESTATE, "POST", "/bdc/services/QueryService")
    async def real_estate(request: Request) -> Response:
        raw = await request.body()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _xml_response("4000", "报文须为UTF-8编码", "", [], status=400)
        if "<!DOCTYPE" in text or "<!ENTITY" in text:  # no DTDs: no entity expansion
            return _xml_response("4002", "不支持DTD", "", [], status=400)
        try:
            root = ET.fromstring(raw)  # noqa: S314 (no DTD got this far: nothing to expand)
        except ET.ParseError:
            return _xml_response("4000", "报文格式错误", "", [], status=400)
        rid = _canonical_id(root.findtext("Qlr/Zjh"))
        serial = _serial("BDC", root.findtext("RequestId"))
        if rid is None:
            return _xml_response("4001", "证件号码不合法", serial, [], status=400)
        items: list[ET.Element] = []
        for unit in records.properties(seed, rid):
            element = ET.Element("Bdc")
            _xml_text(element, "Bdcdyh", unit.unit_number)
            _xml_text(element, "Ghyt", unit.use)
            _xml_text(element, "Jzmj", str(unit.floor_area))
            _xml_text(element, "Djsj", unit.registered_on.isoformat())
            items.append(element)
        return _xml_response("0000", "查询成功", serial, items)

    @route(Source.MARKET_REGISTRATION, "POST", "/samr/v3/person-entities")
    async def market_registration(request: Request) -> Response:
        body = await _json_body(request)
        rid = _canonical_id(body.get("certNo"))
        if rid is None:
            return JSONResponse({"success": False, "errorCode": "CERT_NO_INVALID"}, status_code=400)
        items = [
            {
                "uniscid": e.credit_code,
                "entTypeName": e.entity_type,
                "personRole": e.role,
                "estDate": e.established_on.isoformat(),
                "regStatus": "存续" if e.active else "注销",
                "regCap": str(e.registered_capital) if e.registered_capital is not None else None,
            }
            for e in records.market_entities(seed, rid)
        ]
        return JSONResponse({"success": True, "result": {"total": len(items), "items": items}})

    @route(Source.MARRIAGE, "POST", "/mca/marriage/v1/records")
    async def marriage(request: Request) -> Response:
        body = await _json_body(request)
        rid = _canonical_id(body.get("cert_num"))
        if rid is None:
            return JSONResponse({"code": 400, "message": "cert_num invalid"}, status_code=400)
        items = [
            {
                "zh": m.certificate_number,
                "djlx": "IA" if m.kind == "结婚" else "IB",
                "djrq": m.registered_on.isoformat(),
                "djjg": m.office,
            }
            for m in records.marriages(seed, rid)
        ]
        return JSONResponse({"code": 200, "message": "OK", "result": {"records": items}})

    @route(Source.FUNERAL, "POST", "/mca/funeral/v1/cremations")
    async def funeral(request: Request) -> Response:
        body = await _json_body(request)
        rid = _canonical_id(body.get("deceased_id_no"))
        if rid is None:
            return JSONResponse({"found": False, "error": "deceased_id_no invalid"}, status_code=400)
        found = records.cremation(seed, rid)
        if found is None:
            return JSONResponse({"found": False})
        record = {
            "cremation_no": found.cremation_number,
            "cremated_on": found.cremated_on.isoformat(),
            "funeral_home": found.funeral_home,
        }
        return JSONResponse({"found": True, "record": record})

    @route(Source.BANK_DEPOSITS, "GET", "/bank/deposits")
    async def bank_deposits(request: Request) -> Response:
        params = request.query_params
        rid = _canonical_id(params.get("id_no"))
        try:
            page, page_size = int(params.get("page", "1")), int(params.get("page_size", str(BANK_MAX_PAGE_SIZE)))
        except ValueError:
            page = page_size = 0
        if rid is None or page < 1 or page_size < 1:
            return JSONResponse({"error": "invalid id_no or paging"}, status_code=400)
        page_size = min(page_size, BANK_MAX_PAGE_SIZE)
        accounts = records.deposits(seed, rid)
        items = [
            {
                "acct_seq": d.account_ref,
                "bank_name": d.bank,
                "product": d.product,
                "balance": str(d.balance),
                "ccy": "CNY",
            }
            for d in accounts[(page - 1) * page_size : page * page_size]
        ]
        return JSONResponse({"total": len(accounts), "page": page, "page_size": page_size, "items": items})

    @route(Source.SECURITIES, "POST", "/csdc/v1/holdings")
    async def securities(request: Request) -> Response:
        body = await _json_body(request)
        rid = _canonical_id(body.get("zjhm"))
        if rid is None:
            return JSONResponse({"rtnCode": "E1001", "rtnMsg": "证件号码无效"}, status_code=400)
        holdings = [
            f'{{"cyxh": "{h.holding_id}", "zqdm": "{h.security_code}", '
            f'"zqlb": "{h.security_type}", "sz": {h.market_value}}}'
            for h in records.holdings(seed, rid)
        ]
        # Written by hand: market values are JSON numbers with exactly two decimals (not floats).
        text = f'{{"rtnCode": "0", "asOf": "2026-03-01", "holdings": [{", ".join(holdings)}]}}'
        return Response(text.encode(), media_type="application/json")

    @route(Source.COMMERCIAL_INSURANCE, "POST", "/iachina/policy/cash-value")
    async def commercial_insurance(request: Request) -> Response:
        body = await _json_body(request)
        header = body.get("header") if isinstance(body.get("header"), dict) else {}
        inner = body.get("body") if isinstance(body.get("body"), dict) else {}
        rid = _canonical_id(inner.get("insuredIdNo")) if isinstance(inner, dict) else None
        trans_no = header.get("transNo") if isinstance(header, dict) else None
        if rid is None:
            answer = {
                "header": {"transNo": trans_no, "respCode": "1001", "respMsg": "被保险人证件号码错误"},
                "body": None,
            }
            return JSONResponse(answer, status_code=400)
        policies = [
            {
                "policyNo": p.policy_number,
                "companyName": p.company,
                "productType": p.product_type,
                "cashValue": str(p.cash_value),
            }
            for p in records.policies(seed, rid)
        ]
        answer = {
            "header": {"transNo": trans_no, "respCode": "0000", "respMsg": "成功"},
            "body": {"policies": policies},
        }
        return JSONResponse(answer)

    return app


__all__ = ["BANK_MAX_PAGE_SIZE", "GARBAGE_BODY", "SimulatorConfig", "SimulatorConfigUpdate", "create_simulator_app"]
