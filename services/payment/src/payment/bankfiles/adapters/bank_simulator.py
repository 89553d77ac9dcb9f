"""A bank simulator for tests and the demo: reads a batch file (pain.001 or CSV 代发) and writes the
result files a bank would send back (pain.002, camt.054 or the CSV return file), so the payment
service can run the whole loop without a bank.

Formats: pain.002.001.10 (status of every transfer), camt.054.001.08 (a booked debit per paid
transfer; rejected transfers are never debited) and the CSV return file. The pain.002 and
camt.054 this writes follow the ISO 20022 message structure but are not validated against
their XSDs in the tests (only pain.001's official XSD is at hand); the readers accept them.

Outcomes are deterministic:

- every payee account ending in ``0000`` fails as ``invalid_account`` (AC01, 账号不存在);
- of the others, a share ``failure_rate`` fails, chosen by a hash of ``seed`` and the
  instruction id, with a reason drawn the same way from closed / frozen / name mismatch /
  deceased / other;
- the rest are paid on ``processed_on`` with a bank reference ``SIM<date><n>``.

Streaming: the CSV result is written in one pass (its header repeats the batch's totals). The
pain.002 and camt.054 headers declare counts and sums before the transactions, so the batch is
read twice (outcomes are recomputed, not stored): pass a path or a seekable stream.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO, Final
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from payment.bankfiles.adapters.csv_daifa import STATUS_FAILED, STATUS_PAID, CsvEncoding, read_csv_daifa
from payment.bankfiles.adapters.pain001 import PAIN001_MESSAGE_NAME
from payment.bankfiles.adapters.results import Source, iter_source
from payment.bankfiles.domain.model import CSV_REASON_TEXT, CURRENCY, ISO_CODE_FOR_REASON
from shared.events.payment import PaymentFailureReason
from shared.types import format_fen

PAIN002_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
CAMT054_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
_RANDOM_REASONS: Final = (
    PaymentFailureReason.ACCOUNT_CLOSED,
    PaymentFailureReason.ACCOUNT_FROZEN,
    PaymentFailureReason.NAME_MISMATCH,
    PaymentFailureReason.PAYEE_DECEASED,
    PaymentFailureReason.BANK_REJECTED,
)


@dataclass(frozen=True, slots=True)
class _BatchLine:
    end_to_end_id: str
    account: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class _BatchInfo:
    message_id: str
    payment_information_id: str
    count: int
    total_fen: int
    debtor_account: str


@dataclass(frozen=True, slots=True)
class BankSimulator:
    """The deterministic bank. ``created_at`` and ``processed_on`` are passed in (no clock)."""

    created_at: datetime
    processed_on: date
    seed: int = 0
    failure_rate: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError("failure_rate is a share between 0 and 1")

    def outcome(self, end_to_end_id: str, account: str) -> PaymentFailureReason | None:
        """None when paid; the failure reason otherwise."""
        if account.endswith("0000"):
            return PaymentFailureReason.INVALID_ACCOUNT
        if self.failure_rate <= 0.0:
            return None
        digest = hashlib.sha256(f"{self.seed}:{end_to_end_id}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.failure_rate:
            return None
        return _RANDOM_REASONS[digest[8] % len(_RANDOM_REASONS)]

    def _reference(self, n: int) -> str:
        return f"SIM{self.processed_on:%Y%m%d}{n:010d}"

    # ------------------------------------------------------------------------ pain.001 → pain.002

    def pain002_for(self, batch: Source, out: BinaryIO) -> None:
        """Write the pain.002.001.10 status report for the pain.001 ``batch`` (path or seekable
        stream) to ``out``: one ``TxInfAndSts`` per transfer, ACSC or RJCT with a reason code,
        and ``NbOfTxsPerSts`` with the count and sum per status."""
        info, lines = _read_pain001(batch)
        per_status = {"ACSC": [0, 0], "RJCT": [0, 0]}
        for line in lines:
            status = "ACSC" if self.outcome(line.end_to_end_id, line.account) is None else "RJCT"
            per_status[status][0] += 1
            per_status[status][1] += line.amount_fen
        if not isinstance(batch, str | os.PathLike):
            batch.seek(0)
        info, lines = _read_pain001(batch)
        paid, failed = per_status["ACSC"][0], per_status["RJCT"][0]
        group_status = "ACSC" if not failed else ("RJCT" if not paid else "PART")
        counts = "".join(
            f"<NbOfTxsPerSts><DtldNbOfTxs>{n}</DtldNbOfTxs><DtldSts>{status}</DtldSts>"
            f"<DtldCtrlSum>{format_fen(total)}</DtldCtrlSum></NbOfTxsPerSts>"
            for status, (n, total) in per_status.items()
            if n
        )
        out.write(
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Document xmlns={quoteattr(PAIN002_NAMESPACE)}><CstmrPmtStsRpt>\n"
                f"<GrpHdr><MsgId>SIM{escape(info.message_id)[:32]}</MsgId>"
                f"<CreDtTm>{self.created_at.isoformat(timespec='seconds')}</CreDtTm></GrpHdr>\n"
                f"<OrgnlGrpInfAndSts><OrgnlMsgId>{escape(info.message_id)}</OrgnlMsgId>"
                f"<OrgnlMsgNmId>{PAIN001_MESSAGE_NAME}</OrgnlMsgNmId>"
                f"<OrgnlNbOfTxs>{info.count}</OrgnlNbOfTxs><OrgnlCtrlSum>{format_fen(info.total_fen)}</OrgnlCtrlSum>"
                f"<GrpSts>{group_status}</GrpSts>{counts}</OrgnlGrpInfAndSts>\n"
                f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{escape(info.payment_information_id)}</OrgnlPmtInfId>\n"
            ).encode()
        )
        for n, line in enumerate(lines, start=1):
            reason = self.outcome(line.end_to_end_id, line.account)
            if reason is None:
                status = (
                    "<TxSts>ACSC</TxSts>"
                    f"<FctvIntrBkSttlmDt><Dt>{self.processed_on.isoformat()}</Dt></FctvIntrBkSttlmDt>"
                    f"<AcctSvcrRef>{self._reference(n)}</AcctSvcrRef>"
                )
            else:
                status = f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{ISO_CODE_FOR_REASON[reason]}</Cd></Rsn></StsRsnInf>"
            out.write(
                (
                    f"<TxInfAndSts><OrgnlEndToEndId>{escape(line.end_to_end_id)}</OrgnlEndToEndId>{status}"
                    f'<OrgnlTxRef><Amt><InstdAmt Ccy="{CURRENCY}">{format_fen(line.amount_fen)}</InstdAmt></Amt>'
                    "</OrgnlTxRef></TxInfAndSts>\n"
                ).encode()
            )
        out.write(b"</OrgnlPmtInfAndSts>\n</CstmrPmtStsRpt></Document>\n")

    # ------------------------------------------------------------------------ pain.001 → camt.054

    def camt054_for(self, batch: Source, out: BinaryIO) -> None:
        """Write the camt.054.001.08 debit notification for the pain.001 ``batch`` (path or
        seekable stream) to ``out``: one booked debit entry per **paid** transfer on the bureau's
        account (a rejected transfer is never debited; its rejection is in ``pain002_for``), and
        ``TxsSummry/TtlNtries`` with the entries' count and sum."""
        info, lines = _read_pain001(batch)
        count = total = 0
        for line in lines:
            if self.outcome(line.end_to_end_id, line.account) is None:
                count += 1
                total += line.amount_fen
        if not isinstance(batch, str | os.PathLike):
            batch.seek(0)
        info, lines = _read_pain001(batch)
        out.write(
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Document xmlns={quoteattr(CAMT054_NAMESPACE)}><BkToCstmrDbtCdtNtfctn>\n"
                f"<GrpHdr><MsgId>SIMN{escape(info.message_id)[:31]}</MsgId>"
                f"<CreDtTm>{self.created_at.isoformat(timespec='seconds')}</CreDtTm></GrpHdr>\n"
                f"<Ntfctn><Id>SIMN{escape(info.payment_information_id)[:31]}</Id>"
                f"<CreDtTm>{self.created_at.isoformat(timespec='seconds')}</CreDtTm>"
                f"<Acct><Id><Othr><Id>{escape(info.debtor_account)}</Id></Othr></Id><Ccy>{CURRENCY}</Ccy></Acct>"
                f"<TxsSummry><TtlNtries><NbOfNtries>{count}</NbOfNtries><Sum>{format_fen(total)}</Sum>"
                "</TtlNtries></TxsSummry>\n"
            ).encode()
        )
        booked = self.processed_on.isoformat()
        for n, line in enumerate(lines, start=1):
            if self.outcome(line.end_to_end_id, line.account) is not None:
                continue
            amount = format_fen(line.amount_fen)
            out.write(
                (
                    f'<Ntry><Amt Ccy="{CURRENCY}">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
                    f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>"
                    f"<AcctSvcrRef>{self._reference(n)}</AcctSvcrRef>"
                    "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
                    f"<NtryDtls><TxDtls><Refs><MsgId>{escape(info.message_id)}</MsgId>"
                    f"<PmtInfId>{escape(info.payment_information_id)}</PmtInfId>"
                    f"<EndToEndId>{escape(line.end_to_end_id)}</EndToEndId></Refs>"
                    f'<Amt Ccy="{CURRENCY}">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls></NtryDtls></Ntry>\n'
                ).encode()
            )
        out.write(b"</Ntfctn>\n</BkToCstmrDbtCdtNtfctn></Document>\n")

    # ------------------------------------------------------------------------ CSV → CSV

    def csv_result_for(self, batch: BinaryIO, out: BinaryIO, *, encoding: CsvEncoding = "utf-8-sig") -> None:
        """Write the CSV return file for the CSV 代发 ``batch`` to ``out``, one line at a time."""
        (batch_no, count, total), lines = read_csv_daifa(batch, encoding=encoding)
        text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=True)
        try:
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow([batch_no, count, format_fen(total), self.processed_on.isoformat()])
            for line in lines:
                reason = self.outcome(line.end_to_end_id, line.account)
                writer.writerow(
                    [
                        line.seq,
                        line.end_to_end_id,
                        STATUS_PAID if reason is None else STATUS_FAILED,
                        "" if reason is None else CSV_REASON_TEXT[reason],
                        self._reference(line.seq) if reason is None else "",
                        format_fen(line.amount_fen),
                    ]
                )
        finally:
            text.detach()  # leave the caller's stream open


def _read_pain001(batch: Source) -> tuple[_BatchInfo, Iterator[_BatchLine]]:
    """The group header and the transfers of a pain.001 (as ``write_pain001`` writes it), lazily."""
    events = iter_source(batch, _pain001_items)
    info = next(events)
    if not isinstance(info, _BatchInfo):  # pragma: no cover - the header comes first
        raise ValueError("pain.001 transfers before the payment information id")
    return info, (line for line in events if isinstance(line, _BatchLine))


def _pain001_items(stream: BinaryIO) -> Iterator[_BatchInfo | _BatchLine]:
    parser = etree.iterparse(
        stream,
        events=("end",),
        tag=("{*}GrpHdr", "{*}PmtInfId", "{*}DbtrAcct", "{*}CdtTrfTxInf"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
    )
    message_id = count = total = None
    payment_information_id = ""
    for _, element in parser:
        name = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
        if name == "GrpHdr":
            message_id = element.findtext("{*}MsgId")
            count = int(element.findtext("{*}NbOfTxs"))
            total = _fen(element.findtext("{*}CtrlSum"))
        elif name == "PmtInfId":
            payment_information_id = element.text or ""
        elif name == "DbtrAcct":
            if message_id is None or count is None or total is None:
                raise ValueError("pain.001 without a group header")
            debtor_account = element.findtext("{*}Id/{*}Othr/{*}Id") or ""
            yield _BatchInfo(message_id, payment_information_id, count, total, debtor_account)
        elif name == "CdtTrfTxInf":
            yield _BatchLine(
                end_to_end_id=element.findtext("{*}PmtId/{*}EndToEndId"),
                account=element.findtext("{*}CdtrAcct/{*}Id/{*}Othr/{*}Id"),
                amount_fen=_fen(element.findtext("{*}Amt/{*}InstdAmt")),
            )
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]


def _fen(yuan: str | None) -> int:
    whole, _, fraction = (yuan or "").partition(".")
    return int(whole) * 100 + int(fraction.ljust(2, "0")[:2])
