"""ISO 20022 **pain.001.001.09** (CustomerCreditTransferInitiationV09) writer, streaming.

Version: pain.001.001.09 (the 2019 release) rather than the older .03: its official XSD is
vendored in ``bankfiles/schemas/`` (taken from the ``sepaxml`` wheel, see the README there) and
``PAIN001_XSD`` points at it for validation in tests. A bank that wants .03 needs few changes
(``BICFI`` → ``BIC``, ``ReqdExctnDt`` without ``Dt``).

Layout: one ``GrpHdr`` (MsgId, CreDtTm, NbOfTxs, CtrlSum, InitgPty = the bureau) and one
``PmtInf`` per run (PmtInfId = run id as hex, TRF, category purpose SSBE "social security
benefit", the execution date, the bureau as debtor with its account and bank, charges borne by
the debtor (DEBT) so every payee receives the full amount), then one ``CdtTrfTxInf`` per
transfer: EndToEndId = instruction id as 32 hex digits, the amount in CNY with exactly two
decimals, the payee's bank (CNAPS 行号 as ``ClrSysMmbId`` with clearing system ``CNAPS``, or
BIC), name, account (``Othr/Id``: Chinese accounts are not IBANs) and the remittance text.

Streaming: the totals come from the header (see ``BatchHeader``); each transfer is rendered
to a small string and written immediately, so memory does not grow with the batch. The text
is escaped with ``xml.sax.saxutils``; the domain already refused control characters.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from payment.bankfiles.domain.errors import BatchTotalsMismatch
from payment.bankfiles.domain.model import CURRENCY, BankId, BatchHeader, Transfer
from shared.types import BankAccountNumber, format_fen

PAIN001_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN001_MESSAGE_NAME = "pain.001.001.09"
PAIN001_XSD = Path(__file__).resolve().parent.parent / "schemas" / "pain.001.001.09.xsd"
CATEGORY_PURPOSE = "SSBE"  # ExternalCategoryPurpose1Code: social security benefit
CLEARING_SYSTEM = "CNAPS"  # ExternalClearingSystemIdentification1Code: China National Advanced Payment System


def _el(name: str, text: str) -> str:
    return f"<{name}>{escape(text)}</{name}>"


@functools.lru_cache(maxsize=4096)
def _agent(bank: BankId) -> str:
    """The agent element of a bank (a county's file names a few banks: each is rendered once)."""
    parts = []
    if bank.bic is not None:
        parts.append(_el("BICFI", bank.bic))
    if bank.cnaps is not None:
        parts.append(
            f"<ClrSysMmbId><ClrSysId><Cd>{CLEARING_SYSTEM}</Cd></ClrSysId>{_el('MmbId', bank.cnaps)}</ClrSysMmbId>"
        )
    if bank.name is not None:
        parts.append(_el("Nm", bank.name))
    return f"<FinInstnId>{''.join(parts)}</FinInstnId>"


def _account(digits: str, *, currency: str | None = None) -> str:
    ccy = _el("Ccy", currency) if currency else ""
    return f"<Id><Othr>{_el('Id', digits)}</Othr></Id>{ccy}"


def _header(header: BatchHeader) -> str:
    count = str(header.transaction_count)
    ctrl_sum = format_fen(header.control_sum_fen)
    debtor = header.debtor
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Document xmlns={quoteattr(PAIN001_NAMESPACE)}><CstmrCdtTrfInitn>\n"
        "<GrpHdr>"
        f"{_el('MsgId', header.message_id)}"
        f"{_el('CreDtTm', header.created_at.isoformat(timespec='seconds'))}"
        f"{_el('NbOfTxs', count)}{_el('CtrlSum', ctrl_sum)}"
        f"<InitgPty>{_el('Nm', debtor.name)}</InitgPty>"
        "</GrpHdr>\n"
        "<PmtInf>"
        f"{_el('PmtInfId', header.payment_information_id)}<PmtMtd>TRF</PmtMtd><BtchBookg>false</BtchBookg>"
        f"{_el('NbOfTxs', count)}{_el('CtrlSum', ctrl_sum)}"
        f"<PmtTpInf><CtgyPurp><Cd>{CATEGORY_PURPOSE}</Cd></CtgyPurp></PmtTpInf>"
        f"<ReqdExctnDt>{_el('Dt', header.requested_execution_date.isoformat())}</ReqdExctnDt>"
        f"<Dbtr>{_el('Nm', debtor.name)}</Dbtr>"
        f"<DbtrAcct>{_account(debtor.account.value, currency=header.currency)}</DbtrAcct>"
        f"<DbtrAgt>{_agent(debtor.bank)}</DbtrAgt>"
        "<ChrgBr>DEBT</ChrgBr>\n"
    )


# A transfer's element is, in this order: LINE_START, the id, AFTER_INSTRUCTION_ID, the id again,
# AFTER_END_TO_END_ID, the amount, AFTER_AMOUNT, the payee's block (`pain001_payee_block`),
# BEFORE_REMITTANCE, the remittance text (escaped) and LINE_END. The payroll has PostgreSQL
# render all but the payee's block from these same pieces (its account is decrypted here).
LINE_START = "<CdtTrfTxInf><PmtId><InstrId>"
AFTER_INSTRUCTION_ID = "</InstrId><EndToEndId>"
AFTER_END_TO_END_ID = f'</EndToEndId></PmtId><Amt><InstdAmt Ccy="{CURRENCY}">'
AFTER_AMOUNT = "</InstdAmt></Amt>"
BEFORE_REMITTANCE = "<RmtInf><Ustrd>"
LINE_END = "</Ustrd></RmtInf></CdtTrfTxInf>\n"


def pain001_payee_block(name: str, account: BankAccountNumber, bank: BankId) -> str:
    """The creditor's agent, name and account of a transfer (the account's digits have nothing
    to escape)."""
    return (
        f"<CdtrAgt>{_agent(bank)}</CdtrAgt>"
        f"<Cdtr>{_el('Nm', name)}</Cdtr><CdtrAcct><Id><Othr><Id>{account.value}</Id></Othr></Id></CdtrAcct>"
    )


PAIN001_TAIL = b"</PmtInf>\n</CstmrCdtTrfInitn></Document>\n"
"""What closes the message after the last transfer."""


def pain001_head(header: BatchHeader) -> bytes:
    """The message up to its first transfer: the group header and the payment information."""
    return _header(header).encode("utf-8")


def write_pain001_transfers(transfers: Iterable[Transfer], out: BinaryIO) -> tuple[int, int]:
    """The transfers' elements (one a line) to ``out``, consuming ``transfers`` once: (how many,
    their fen). A message is ``pain001_head``, the transfers of one or more calls in order, then
    ``PAIN001_TAIL``."""
    count = 0
    total = 0
    # What consecutive lines share (the payee, the bank, the remittance text) is rendered once
    # for as long as it stays the same object (the payroll hands over a payee's lines so).
    name: str | None = None
    account: BankAccountNumber | None = None
    bank: BankId | None = None
    remittance: str | None = None
    payee = purpose = ""
    write = out.write
    for t in transfers:
        if t.payee_name is not name or t.payee_account is not account or t.payee_bank is not bank:
            name, account, bank = t.payee_name, t.payee_account, t.payee_bank
            payee = f"{AFTER_AMOUNT}{pain001_payee_block(name, account, bank)}{BEFORE_REMITTANCE}"
        if t.remittance is not remittance:
            remittance = t.remittance
            purpose = f"{escape(remittance)}{LINE_END}"
        e2e = t.end_to_end_id  # the id (hex) has nothing to escape
        write(
            f"{LINE_START}{e2e}{AFTER_INSTRUCTION_ID}{e2e}{AFTER_END_TO_END_ID}{format_fen(t.amount_fen)}"
            f"{payee}{purpose}".encode()
        )
        count += 1
        total += t.amount_fen
    return count, total


def write_pain001(header: BatchHeader, transfers: Iterable[Transfer], out: BinaryIO) -> None:
    """Write one pain.001.001.09 message for ``header`` and ``transfers`` to ``out`` (UTF-8),
    consuming ``transfers`` once, one at a time.

    Raises ``BatchTotalsMismatch`` after the last transfer when their count or sum differs from
    ``header.transaction_count`` / ``header.control_sum_fen`` (discard ``out`` then).
    """
    out.write(pain001_head(header))
    streamed = write_pain001_transfers(transfers, out)
    out.write(PAIN001_TAIL)
    if streamed != (header.transaction_count, header.control_sum_fen):
        raise BatchTotalsMismatch(declared=(header.transaction_count, header.control_sum_fen), streamed=streamed)
