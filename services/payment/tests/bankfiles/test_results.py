"""Result file readers: pain.002, camt.054 and the CSV return file, mapped; malformed, truncated,
DTD-carrying and totals-mismatched files refused with a stable reason."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from payment.bankfiles.adapters.results import read_results
from payment.bankfiles.domain.errors import ResultFileInvalid
from payment.bankfiles.domain.model import ResultFormat, TransferResult, TransferStatus
from services.payment.tests.bankfiles.factories import RUN_ID, instruction_id
from shared.events.payment import PaymentFailureReason as R


def e2e(n: int) -> str:
    return instruction_id(n).hex


def pain002(
    transactions: str,
    *,
    per_status: str = "",
    namespace: str = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10",
    prolog: str = "",
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}\n'
        f'<Document xmlns="{namespace}"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>BANK-RPT-1</MsgId><CreDtTm>2026-12-06T10:00:00+08:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>JZ-20261201-0001</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
        f"<OrgnlNbOfTxs>9</OrgnlNbOfTxs><OrgnlCtrlSum>45.00</OrgnlCtrlSum>{per_status}</OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{RUN_ID.hex}</OrgnlPmtInfId>{transactions}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def tx(n: int, status: str, reason: str | None = None, *, amount: str | None = "5.00", extra: str = "") -> str:
    rsn = f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>" if reason else ""
    ref = f"<OrgnlTxRef><Amt><InstdAmt Ccy='CNY'>{amount}</InstdAmt></Amt></OrgnlTxRef>" if amount else ""
    head = f"<TxInfAndSts><OrgnlEndToEndId>{e2e(n)}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
    return f"{head}{rsn}{extra}{ref}</TxInfAndSts>"


FULL_REPORT_TXS = "".join(
    [
        tx(
            1,
            "ACSC",
            extra="<FctvIntrBkSttlmDt><Dt>2026-12-05</Dt></FctvIntrBkSttlmDt><AcctSvcrRef>B0001</AcctSvcrRef>",
        ),
        tx(2, "RJCT", "AC04"),
        tx(3, "RJCT", "AC06"),
        tx(4, "RJCT", "BE01"),
        tx(5, "RJCT", "AC01"),
        tx(6, "RJCT", "MD07"),
        tx(7, "RJCT", "AM04"),
        tx(8, "ACCP"),
        tx(9, "ACSC"),
    ]
)
FULL_REPORT_COUNTS = (
    "<NbOfTxsPerSts><DtldNbOfTxs>2</DtldNbOfTxs><DtldSts>ACSC</DtldSts><DtldCtrlSum>10.00</DtldCtrlSum></NbOfTxsPerSts>"
    "<NbOfTxsPerSts><DtldNbOfTxs>6</DtldNbOfTxs><DtldSts>RJCT</DtldSts><DtldCtrlSum>30.00</DtldCtrlSum></NbOfTxsPerSts>"
    "<NbOfTxsPerSts><DtldNbOfTxs>1</DtldNbOfTxs><DtldSts>ACCP</DtldSts></NbOfTxsPerSts>"
)


def read_all(data: bytes, format: ResultFormat, **kwargs: str) -> list[TransferResult]:
    _, results = read_results(io.BytesIO(data), format, **kwargs)
    return list(results)


def refused(data: bytes, format: ResultFormat, **kwargs: str) -> ResultFileInvalid:
    with pytest.raises(ResultFileInvalid) as info:
        read_all(data, format, **kwargs)
    return info.value


class TestPain002:
    def test_statuses_and_reason_codes_are_mapped(self) -> None:
        summary, results = read_results(io.BytesIO(pain002(FULL_REPORT_TXS, per_status=FULL_REPORT_COUNTS)), "pain002")
        assert summary.original_message_id == "JZ-20261201-0001"
        assert summary.message_id == "BANK-RPT-1"
        assert summary.run_id == RUN_ID
        assert (summary.count, summary.total_fen) == (9, None)  # ACCP declares no sum
        assert (summary.original_count, summary.original_total_fen) == (9, 4500)
        by_id = {r.instruction_id: r for r in results}
        assert by_id[instruction_id(1)] == TransferResult(
            instruction_id=instruction_id(1),
            status=TransferStatus.PAID,
            bank_reference="B0001",
            settled_on=date(2026, 12, 5),
            amount_fen=500,
        )
        assert by_id[instruction_id(9)].settled_on == date(2026, 12, 6)  # no settlement date: the report's
        reasons = {n: by_id[instruction_id(n)].failure_reason for n in range(2, 8)}
        assert reasons == {
            2: R.ACCOUNT_CLOSED,
            3: R.ACCOUNT_FROZEN,
            4: R.NAME_MISMATCH,
            5: R.INVALID_ACCOUNT,
            6: R.PAYEE_DECEASED,
            7: R.BANK_REJECTED,
        }
        assert by_id[instruction_id(7)].bank_reason_code == "AM04"
        assert by_id[instruction_id(8)].status is TransferStatus.PENDING

    def test_a_report_without_per_status_totals_is_read_as_it_is(self) -> None:
        summary, results = read_results(io.BytesIO(pain002(tx(2, "RJCT", "AC04", amount=None))), "pain002")
        assert (summary.count, summary.total_fen) == (None, None)
        (only,) = results
        assert only.failure_reason is R.ACCOUNT_CLOSED

    def test_counts_that_do_not_match_are_refused(self) -> None:
        counts = FULL_REPORT_COUNTS.replace("<DtldNbOfTxs>6</DtldNbOfTxs>", "<DtldNbOfTxs>7</DtldNbOfTxs>")
        assert refused(pain002(FULL_REPORT_TXS, per_status=counts), "pain002").reason == "result_totals_mismatch"

    def test_sums_that_do_not_match_are_refused(self) -> None:
        counts = FULL_REPORT_COUNTS.replace("<DtldCtrlSum>10.00</DtldCtrlSum>", "<DtldCtrlSum>10.01</DtldCtrlSum>")
        assert refused(pain002(FULL_REPORT_TXS, per_status=counts), "pain002").reason == "result_totals_mismatch"

    def test_a_missing_transaction_is_a_totals_mismatch(self) -> None:
        assert (
            refused(
                pain002(FULL_REPORT_TXS[: FULL_REPORT_TXS.rindex("<TxInfAndSts>")], per_status=FULL_REPORT_COUNTS),
                "pain002",
            ).reason
            == "result_totals_mismatch"
        )

    @pytest.mark.parametrize(
        ("transactions", "reason"),
        [
            (tx(1, "XXXX"), "result_bad_value"),
            (tx(1, "ACSC").replace(e2e(1), "not-a-uuid"), "result_bad_value"),
            (tx(1, "ACSC").replace(f"<OrgnlEndToEndId>{e2e(1)}</OrgnlEndToEndId>", ""), "result_missing_field"),
            (tx(1, "ACSC", amount="5.001"), "result_bad_value"),
            (tx(1, "ACSC", amount="-5.00"), "result_bad_value"),
        ],
    )
    def test_bad_values_are_refused(self, transactions: str, reason: str) -> None:
        assert refused(pain002(transactions), "pain002").reason == reason


def camt054(entries: str, *, summary: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>'
        "<GrpHdr><MsgId>NTF-1</MsgId><CreDtTm>2026-12-05T18:00:00+08:00</CreDtTm></GrpHdr>"
        "<Ntfctn><Id>N1</Id><Acct><Id><Othr><Id>110060224018010012345</Id></Othr></Id></Acct>"
        f"{summary}{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def entry(amount: str, direction: str, details: str, *, status: str = "BOOK", ref: str = "E1") -> str:
    return (
        f"<Ntry><Amt Ccy='CNY'>{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>"
        f"<BookgDt><Dt>2026-12-05</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
        f"<NtryDtls>{details}</NtryDtls></Ntry>"
    )


def tx_details(n: int | None, amount: str | None = None, *, ref: str | None = None, extra: str = "") -> str:
    e2e_id = e2e(n) if n is not None else "NOTPROVIDED"
    amt = f"<Amt Ccy='CNY'>{amount}</Amt>" if amount else ""
    acct_ref = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    return f"<TxDtls><Refs>{acct_ref}<EndToEndId>{e2e_id}</EndToEndId></Refs>{amt}{extra}</TxDtls>"


CAMT_ENTRIES = "".join(
    [
        entry("15.00", "DBIT", tx_details(1, "5.00", ref="T1") + tx_details(2, "10.00", ref="T2"), ref="BATCH"),
        entry("7.00", "DBIT", tx_details(3), ref="E3"),
        entry("0.50", "DBIT", tx_details(None), ref="FEE"),  # a fee: counted, yields nothing
        entry("7.00", "CRDT", tx_details(4, extra="<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>"), ref="RET"),
        entry("3.00", "DBIT", tx_details(5), status="PDNG"),
    ]
)
CAMT_SUMMARY = "<TxsSummry><TtlNtries><NbOfNtries>5</NbOfNtries><Sum>32.50</Sum></TtlNtries></TxsSummry>"


class TestCamt054:
    def test_booked_debits_are_paid_and_returns_failed(self) -> None:
        summary, results = read_results(io.BytesIO(camt054(CAMT_ENTRIES, summary=CAMT_SUMMARY)), "camt054")
        assert (summary.message_id, summary.count, summary.total_fen) == ("NTF-1", 5, 3250)
        by_id = {r.instruction_id: r for r in results}
        assert set(by_id) == {instruction_id(n) for n in (1, 2, 3, 4, 5)}
        assert (by_id[instruction_id(1)].status, by_id[instruction_id(1)].bank_reference) == (TransferStatus.PAID, "T1")
        assert by_id[instruction_id(2)].amount_fen == 1000
        assert by_id[instruction_id(3)] == TransferResult(
            instruction_id=instruction_id(3),
            status=TransferStatus.PAID,
            bank_reference="E3",
            settled_on=date(2026, 12, 5),
            amount_fen=700,
        )
        returned = by_id[instruction_id(4)]
        assert (returned.status, returned.failure_reason, returned.bank_reason_code) == (
            TransferStatus.FAILED,
            R.ACCOUNT_CLOSED,
            "AC04",
        )
        assert by_id[instruction_id(5)].status is TransferStatus.PENDING

    @pytest.mark.parametrize(
        "summary", ["<NbOfNtries>4</NbOfNtries><Sum>32.50</Sum>", "<NbOfNtries>5</NbOfNtries><Sum>32.49</Sum>"]
    )
    def test_totals_that_do_not_match_are_refused(self, summary: str) -> None:
        data = camt054(CAMT_ENTRIES, summary=f"<TxsSummry><TtlNtries>{summary}</TtlNtries></TxsSummry>")
        assert refused(data, "camt054").reason == "result_totals_mismatch"

    def test_an_entry_without_direction_is_refused(self) -> None:
        data = camt054(entry("1.00", "XXXX", tx_details(1)))
        assert refused(data, "camt054").reason == "result_missing_field"


def csv_return(
    lines: list[str], *, head: str = "JZ-20261201-0001,3,15.00,2026-12-05", encoding: str = "utf-8-sig"
) -> bytes:
    return "\r\n".join([head, *lines, ""]).encode(encoding)


CSV_LINES = [
    f"1,{e2e(1)},成功,,B0001,5.00",
    f"2,{e2e(2)},失败,账户已冻结,,5.00",
    f"3,{e2e(3)},失败,户名不符,,5.00",
]


class TestCsvReturn:
    def test_lines_are_mapped(self) -> None:
        summary, results = read_results(io.BytesIO(csv_return(CSV_LINES)), "csv")
        assert (summary.original_message_id, summary.count, summary.total_fen) == ("JZ-20261201-0001", 3, 1500)
        paid, frozen, name = results
        assert (paid.status, paid.bank_reference, paid.settled_on) == (TransferStatus.PAID, "B0001", date(2026, 12, 5))
        assert (frozen.failure_reason, frozen.bank_reason_code) == (R.ACCOUNT_FROZEN, "账户已冻结")
        assert name.failure_reason is R.NAME_MISMATCH

    def test_title_rows_blank_lines_and_gbk(self) -> None:
        data = csv_return(
            ["序号,指令号,状态,失败原因,银行流水号,金额", *CSV_LINES, ""],
            head="批次号,总笔数,总金额,处理日期\r\nJZ-20261201-0001,3,15.00,20261205",
            encoding="gbk",
        )
        results = read_all(data, "csv", encoding="gbk")
        assert [r.instruction_id for r in results] == [instruction_id(n) for n in (1, 2, 3)]
        assert results[0].settled_on == date(2026, 12, 5)

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("账户已销户", R.ACCOUNT_CLOSED),
            ("止付", R.ACCOUNT_FROZEN),
            ("收款人户名与账号不一致", R.NAME_MISMATCH),
            ("无此账户", R.INVALID_ACCOUNT),
            ("账户持有人已死亡", R.PAYEE_DECEASED),
            ("AC04", R.ACCOUNT_CLOSED),
            ("name_mismatch", R.NAME_MISMATCH),
            ("系统繁忙", R.BANK_REJECTED),
            ("", R.BANK_REJECTED),
        ],
    )
    def test_failure_texts_are_mapped(self, text: str, reason: R) -> None:
        (result,) = read_all(csv_return([f"1,{e2e(1)},失败,{text},,5.00"], head="B,1,5.00,2026-12-05"), "csv")
        assert result.failure_reason is reason

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (csv_return(CSV_LINES[:2]), "result_totals_mismatch"),  # a line missing
            (csv_return(CSV_LINES, head="JZ-20261201-0001,3,15.01,2026-12-05"), "result_totals_mismatch"),
            (csv_return([*CSV_LINES[:2], CSV_LINES[2][:30]]), "result_malformed"),  # truncated mid-line
            (csv_return(CSV_LINES, head="JZ-20261201-0001,3"), "result_malformed"),
            (csv_return(CSV_LINES, head="JZ-20261201-0001,three,15.00,2026-12-05"), "result_bad_value"),
            (csv_return(CSV_LINES, head="JZ-20261201-0001,3,15.00,2026-13-45"), "result_bad_value"),
            (csv_return([CSV_LINES[0].replace("成功", "OK"), *CSV_LINES[1:]]), "result_bad_value"),
            (csv_return([CSV_LINES[0].replace(e2e(1), "x1"), *CSV_LINES[1:]]), "result_bad_value"),
            (csv_return([*CSV_LINES[:2], '3,"unterminated']), "result_malformed"),
            (csv_return(CSV_LINES, encoding="gbk"), "result_encoding"),  # GBK bytes read as UTF-8
            (b"", "result_malformed"),
            (b"\r\n\r\n", "result_malformed"),
        ],
    )
    def test_bad_files_are_refused(self, data: bytes, reason: str) -> None:
        assert refused(data, "csv").reason == reason


class TestHostileAndBrokenXml:
    BILLION_LAUGHS = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    XXE = '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'

    @pytest.mark.parametrize("format", ["pain002", "camt054"])
    @pytest.mark.parametrize(
        "prolog", [BILLION_LAUGHS, XXE, '<!DOCTYPE Document SYSTEM "http://example.invalid/x.dtd">']
    )
    def test_a_doctype_is_refused(self, format: ResultFormat, prolog: str) -> None:
        body = pain002(tx(1, "ACSC").replace("ACSC", "&lol3;" if "lol" in prolog else "&xxe;"))
        if format == "camt054":
            body = camt054(entry("1.00", "DBIT", tx_details(1)))
        data = body.replace(b"?>", b"?>" + prolog.encode(), 1)
        assert refused(data, format).reason == "result_dtd_forbidden"

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (b"", "result_malformed"),
            (b"not xml at all", "result_malformed"),
            (pain002(FULL_REPORT_TXS)[:-40], "result_malformed"),  # truncated
            (pain002(FULL_REPORT_TXS).replace(b"</TxSts>", b"</TxStatus>", 1), "result_malformed"),
            (
                pain002(tx(1, "ACSC"), namespace="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"),
                "result_wrong_message",
            ),
            (b"<Document><CstmrPmtStsRpt/></Document>", "result_wrong_message"),
            (camt054(""), "result_wrong_message"),  # a camt.054 read as a pain.002
        ],
    )
    def test_broken_pain002_files_are_refused(self, data: bytes, reason: str) -> None:
        assert refused(data, "pain002").reason == reason

    def test_a_pain002_without_its_group_parts_is_refused(self) -> None:
        data = (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
            b"<GrpHdr><MsgId>X</MsgId></GrpHdr></CstmrPmtStsRpt></Document>"
        )
        assert refused(data, "pain002").reason == "result_missing_field"

    def test_a_truncated_file_fails_while_iterating_not_before(self) -> None:
        """The header reads fine; the break is found when the lines are read (so a caller
        applying results in one transaction rolls back)."""
        data = pain002(FULL_REPORT_TXS, per_status=FULL_REPORT_COUNTS)
        summary, results = read_results(io.BytesIO(data[: len(data) // 2 + 200]), "pain002")
        assert summary.original_message_id == "JZ-20261201-0001"
        with pytest.raises(ResultFileInvalid) as info:
            list(results)
        assert info.value.reason == "result_malformed"

    def test_the_error_never_echoes_raw_parser_text_or_numbers(self) -> None:
        error = refused(b"<Document><unclosed>6222021234567890128", "pain002")
        assert "6222021234567890128" not in f"{error.detail} {error.message_zh}"


class TestSources:
    def test_a_path_is_opened_and_read(self, tmp_path: Path) -> None:
        path = tmp_path / "return.csv"
        path.write_bytes(csv_return(CSV_LINES))
        summary, results = read_results(path, "csv")
        assert summary.count == 3
        assert len(list(results)) == 3
        assert len(list(read_results(str(path), "csv")[1])) == 3

    def test_an_unknown_format_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="format"):
            read_results(io.BytesIO(b""), "mt940")  # type: ignore[arg-type]

    def test_instruction_ids_in_either_uuid_form(self) -> None:
        line = f"1,{instruction_id(1)},成功,,B1,5.00"  # hyphenated
        (result,) = read_all(csv_return([line], head="B,1,5.00,2026-12-05"), "csv")
        assert result.instruction_id == UUID(str(instruction_id(1)))


class TestHeaderFirst:
    def test_a_pain002_whose_transactions_come_before_its_group_info_is_refused_up_front(self) -> None:
        data = (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
            "<GrpHdr><MsgId>X</MsgId><CreDtTm>2026-12-06T10:00:00+08:00</CreDtTm></GrpHdr>"
            f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>P</OrgnlPmtInfId>{tx(1, 'ACSC')}</OrgnlPmtInfAndSts>"
            "</CstmrPmtStsRpt></Document>"
        ).encode()
        with pytest.raises(ResultFileInvalid) as info:
            read_results(io.BytesIO(data), "pain002")  # before any result is handed out
        assert info.value.reason == "result_missing_field"

    def test_a_camt054_without_its_group_header_is_refused_up_front(self) -> None:
        data = camt054(entry("1.00", "DBIT", tx_details(1))).replace(b"<MsgId>NTF-1</MsgId>", b"")
        with pytest.raises(ResultFileInvalid) as info:
            read_results(io.BytesIO(data), "camt054")
        assert info.value.reason == "result_missing_field"
